//go:build linux

package service

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testInstaller(t *testing.T, euid int) (*systemd, *recorder, string) {
	dir := t.TempDir()
	rec := &recorder{}
	return &systemd{
		unitPath: filepath.Join(dir, "unit", "breeze-agent.service"),
		binPath:  filepath.Join(dir, "bin", "breeze-agent"),
		euid:     func() int { return euid },
		run:      rec.run,
		lookPath: func(string) (string, error) { return "/usr/bin/systemctl", nil },
	}, rec, dir
}

func TestInstallWritesUnitCopiesBinaryAndEnables(t *testing.T) {
	s, rec, dir := testInstaller(t, 0)
	if err := os.MkdirAll(filepath.Dir(s.unitPath), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "build", "breeze-agent")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("#!/bin/true\nbinary"), 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.Install(context.Background(), Options{BinaryPath: src, ConfigPath: "/etc/breeze/agent.json", Out: &out}); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(s.binPath)
	if err != nil || string(bin) != "#!/bin/true\nbinary" {
		t.Fatalf("binary not copied: %q %v", bin, err)
	}
	if fi, _ := os.Stat(s.binPath); fi.Mode().Perm() != 0o755 {
		t.Errorf("binary mode %v", fi.Mode())
	}
	unit, err := os.ReadFile(s.unitPath)
	if err != nil || !strings.Contains(string(unit), "ExecStart="+s.binPath+" run --config /etc/breeze/agent.json") {
		t.Fatalf("unit: %s %v", unit, err)
	}
	want := []string{"systemctl daemon-reload", "systemctl enable breeze-agent.service", "systemctl restart breeze-agent.service"}
	if strings.Join(rec.calls, "|") != strings.Join(want, "|") {
		t.Errorf("commands %v, want %v", rec.calls, want)
	}
	// Installing the installed binary again does not copy it onto itself.
	if err := s.Install(context.Background(), Options{BinaryPath: s.binPath, ConfigPath: "/etc/breeze/agent.json"}); err != nil {
		t.Fatal(err)
	}
}

func TestInstallDryRunChangesNothing(t *testing.T) {
	s, rec, dir := testInstaller(t, 1000)
	var out bytes.Buffer
	if err := s.Install(context.Background(), Options{BinaryPath: "/nonexistent", ConfigPath: "/etc/breeze/agent.json", DryRun: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "[Service]") || !strings.Contains(out.String(), "dry run") {
		t.Errorf("dry run output:\n%s", out.String())
	}
	if len(rec.calls) != 0 {
		t.Errorf("dry run ran %v", rec.calls)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("dry run created files: %v", entries)
	}
}

func TestInstallNeedsRootAndSystemd(t *testing.T) {
	s, rec, _ := testInstaller(t, 1000)
	err := s.Install(context.Background(), Options{BinaryPath: "/bin/true", ConfigPath: "/etc/breeze/agent.json"})
	if err == nil || !strings.Contains(err.Error(), "sudo") {
		t.Errorf("non-root: %v", err)
	}
	s, rec, _ = testInstaller(t, 0)
	s.lookPath = func(string) (string, error) { return "", errors.New("not found") }
	err = s.Install(context.Background(), Options{BinaryPath: "/bin/true", ConfigPath: "/etc/breeze/agent.json"})
	if err == nil || !strings.Contains(err.Error(), "service manager") {
		t.Errorf("no systemd: %v", err)
	}
	if len(rec.calls) != 0 {
		t.Errorf("ran %v", rec.calls)
	}
}
