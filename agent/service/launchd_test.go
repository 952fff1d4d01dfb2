package service

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLaunchdPlist(t *testing.T) {
	p := LaunchdPlist(UnitOptions{ExecPath: "/usr/local/bin/breeze-agent", ConfigPath: `/etc/b&z/<agent>.json`}, "/var/log/breeze-agent.log")
	// Well-formed XML whose arguments survive escaping.
	dec := xml.NewDecoder(strings.NewReader(p))
	dec.Strict = true
	var texts []string
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("plist is not well-formed XML: %v\n%s", err, p)
			}
			break
		}
		if cd, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
			texts = append(texts, string(cd))
		}
	}
	want := []string{"Label", LaunchdLabel, "ProgramArguments", "/usr/local/bin/breeze-agent", "run", "--config", `/etc/b&z/<agent>.json`}
	if strings.Join(texts[:len(want)], "|") != strings.Join(want, "|") {
		t.Fatalf("texts %q, want them to start with %q", texts, want)
	}
	for _, s := range []string{"<key>RunAtLoad</key>\n\t<true/>", "<key>KeepAlive</key>\n\t<true/>", "<key>ThrottleInterval</key>", "/var/log/breeze-agent.log"} {
		if !strings.Contains(p, s) {
			t.Errorf("plist lacks %q", s)
		}
	}
	if strings.Contains(p, "brz_") || strings.Contains(p, "UserName") {
		t.Error("the plist names a token or a user")
	}
}

func testLaunchd(t *testing.T, euid int, fail string) (*launchd, *recorder, string) {
	dir := t.TempDir()
	rec := &recorder{fail: fail}
	return &launchd{
		plistPath: filepath.Join(dir, "LaunchDaemons", LaunchdLabel+".plist"),
		binPath:   filepath.Join(dir, "bin", "breeze-agent"),
		logPath:   filepath.Join(dir, "breeze-agent.log"),
		euid:      func() int { return euid },
		run:       rec.run,
		lookPath:  func(string) (string, error) { return "/bin/launchctl", nil },
	}, rec, dir
}

func TestLaunchdInstall(t *testing.T) {
	l, rec, dir := testLaunchd(t, 0, "launchctl bootout") // a first install: nothing loaded
	if err := os.MkdirAll(filepath.Dir(l.plistPath), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "build-agent")
	if err := os.WriteFile(src, []byte("agent"), 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := l.Install(context.Background(), Options{BinaryPath: src, ConfigPath: "/etc/breeze/agent.json", Out: &out}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(l.binPath); err != nil || string(b) != "agent" {
		t.Fatalf("binary %q %v", b, err)
	}
	plist, err := os.ReadFile(l.plistPath)
	if err != nil || !strings.Contains(string(plist), "<string>"+l.binPath+"</string>") {
		t.Fatalf("plist %s %v", plist, err)
	}
	target := "system/" + LaunchdLabel
	want := []string{"launchctl bootout " + target, "launchctl bootstrap system " + l.plistPath,
		"launchctl enable " + target, "launchctl kickstart -k " + target}
	if strings.Join(rec.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(rec.calls, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(out.String(), "installed and running") {
		t.Errorf("output %q", out.String())
	}
}

func TestLaunchdRefusals(t *testing.T) {
	l, rec, _ := testLaunchd(t, 501, "")
	err := l.Install(context.Background(), Options{BinaryPath: "/x", ConfigPath: "/c.json"})
	if err == nil || !strings.Contains(err.Error(), "needs root") || len(rec.calls) != 0 {
		t.Fatalf("as a user: %v %v", err, rec.calls)
	}
	// Dry run: prints the plist, runs nothing, writes nothing.
	var out bytes.Buffer
	if err := l.Install(context.Background(), Options{BinaryPath: "/x", ConfigPath: "/c.json", DryRun: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "launchctl bootstrap system") || !strings.Contains(out.String(), "<key>KeepAlive</key>") || len(rec.calls) != 0 {
		t.Fatalf("dry run %q %v", out.String(), rec.calls)
	}
	if _, err := os.Stat(l.plistPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dry run wrote the plist: %v", err)
	}
	// launchctl failing to load the daemon is reported.
	l, _, dir := testLaunchd(t, 0, "launchctl bootstrap")
	src := filepath.Join(dir, "a")
	_ = os.WriteFile(src, []byte("a"), 0o700)
	_ = os.MkdirAll(filepath.Dir(l.plistPath), 0o755)
	if err := l.Install(context.Background(), Options{BinaryPath: src, ConfigPath: "/c.json"}); err == nil || !strings.Contains(err.Error(), "bootstrap") {
		t.Fatalf("bootstrap failure: %v", err)
	}
}
