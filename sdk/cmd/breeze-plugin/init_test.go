package main

import (
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/sdk/pack"
)

// The authoring loop as a new author runs it: init a collector against
// this SDK, then the generated module's own make test, make build and make
// pack (with breeze-plugin on PATH), and the archive verifies against the
// key the Makefile made.
func TestInitMakesAWorkingModule(t *testing.T) {
	for _, tool := range []string{"go", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	sdk, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "breeze-plugin"), ".").CombinedOutput(); err != nil {
		t.Fatalf("build breeze-plugin: %v\n%s", err, out)
	}
	work := t.TempDir()
	t.Chdir(work)
	if err := runInit([]string{"--kind", "collector", "disk-temp", "--sdk", sdk, "--id", "acme.disk-temp"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "disk-temp")
	for _, f := range []string{"go.mod", "go.sum", "main.go", "main_test.go", "plugin.json", "Makefile", ".gitignore"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(mod), "module example.com/disk-temp") || !strings.Contains(string(mod), "replace "+sdkModule+" => "+sdk) {
		t.Fatalf("go.mod:\n%s", mod)
	}
	make := func(target string) string {
		t.Helper()
		cmd := exec.Command("make", target)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		return string(out)
	}
	if out := make("test"); !strings.Contains(out, "ok") {
		t.Fatalf("make test:\n%s", out)
	}
	make("pack")
	archive := filepath.Join(dir, "dist", "acme.disk-temp-0.1.0.tar.gz")
	pubPEM, err := os.ReadFile(filepath.Join(dir, "dev.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pack.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pack.VerifyArchive(archive, nil, pack.VerifyOptions{AllowUnsigned: false})
	if err == nil {
		t.Fatal("the archive verified without any trusted key")
	}
	_ = res
	got, err := pack.VerifyArchive(archive, []ed25519.PublicKey{pub}, pack.VerifyOptions{})
	if err != nil || got.Manifest.ID != "acme.disk-temp" || got.Manifest.Kind != "collector" {
		t.Fatalf("verify: %+v %v", got, err)
	}
	// A second init into the same directory is refused; a bad kind too.
	if err := runInit([]string{"disk-temp", "--sdk", sdk}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("init over a module: %v", err)
	}
	if err := runInit([]string{"--kind", "miner", "x"}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Fatalf("bad kind: %v", err)
	}
	if err := runInit([]string{"Bad_Name"}); err == nil || !strings.Contains(err.Error(), "lower-case") {
		t.Fatalf("bad name: %v", err)
	}
}
