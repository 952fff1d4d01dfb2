package service

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSCM records what the installer asks of the service manager.
type fakeSCM struct {
	calls     []string
	installed bool
	cfg       winServiceConfig
	stopErr   error
}

func (f *fakeSCM) Stop(_ context.Context, name string) error {
	f.calls = append(f.calls, "stop "+name)
	return f.stopErr
}

func (f *fakeSCM) Ensure(name string, c winServiceConfig) (bool, error) {
	f.calls = append(f.calls, "ensure "+name)
	created := !f.installed
	f.installed, f.cfg = true, c
	return created, nil
}

func (f *fakeSCM) Start(name string) error { f.calls = append(f.calls, "start "+name); return nil }
func (f *fakeSCM) Close() error            { f.calls = append(f.calls, "close"); return nil }

func TestWindowsInstall(t *testing.T) {
	dir := t.TempDir()
	f := &fakeSCM{}
	var copied []string
	w := &winService{binPath: filepath.Join(dir, "Breeze", "breeze-agent.exe"), elevated: func() bool { return true },
		connect: func() (scm, error) { return f, nil },
		copy: func(src, dst string) error {
			// The service is stopped before its executable is replaced.
			if len(f.calls) == 0 || f.calls[len(f.calls)-1] != "stop "+Name {
				t.Errorf("copy before the stop: %v", f.calls)
			}
			copied = append(copied, src+" -> "+dst)
			return nil
		}}
	var out bytes.Buffer
	cfg := filepath.Join(dir, "agent.json")
	for i := 0; i < 2; i++ { // a reinstall goes the same way, updating the service
		f.calls = nil
		if err := w.Install(context.Background(), Options{BinaryPath: `C:\Downloads\breeze-agent.exe`, ConfigPath: cfg, Out: &out}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(f.calls, ",") != "stop breeze-agent,ensure breeze-agent,start breeze-agent,close" {
			t.Fatalf("install %d calls %v", i, f.calls)
		}
	}
	if len(copied) != 2 || !strings.HasSuffix(copied[0], w.binPath) {
		t.Fatalf("copies %v", copied)
	}
	c := f.cfg
	if c.Exe != w.binPath || strings.Join(c.Args, " ") != "run --config "+cfg || c.DisplayName != WindowsDisplayName ||
		c.RestartDelay != 5*time.Second {
		t.Fatalf("service config %+v", c)
	}
}

func TestWindowsInstallRefusals(t *testing.T) {
	f := &fakeSCM{}
	w := &winService{binPath: `C:\Program Files\Breeze\breeze-agent.exe`, elevated: func() bool { return false },
		connect: func() (scm, error) { return f, nil }, copy: func(string, string) error { return nil }}
	if err := w.Install(context.Background(), Options{BinaryPath: "a.exe", ConfigPath: "c.json"}); err == nil ||
		!strings.Contains(err.Error(), "as Administrator") || len(f.calls) != 0 {
		t.Fatalf("not elevated: %v %v", err, f.calls)
	}
	var out bytes.Buffer
	if err := w.Install(context.Background(), Options{BinaryPath: "a.exe", ConfigPath: "c.json", DryRun: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "automatic start") || !strings.Contains(out.String(), "restart 5s after every failure") || len(f.calls) != 0 {
		t.Fatalf("dry run %q %v", out.String(), f.calls)
	}
	// A service that will not stop keeps its binary: nothing is copied or started.
	w.elevated = func() bool { return true }
	f.stopErr = errors.New("it did not stop within 45 s")
	copies := 0
	w.copy = func(string, string) error { copies++; return nil }
	err := w.Install(context.Background(), Options{BinaryPath: "a.exe", ConfigPath: "c.json"})
	if err == nil || !strings.Contains(err.Error(), "did not stop") || copies != 0 || strings.Contains(strings.Join(f.calls, ","), "start") {
		t.Fatalf("stuck service: %v copies=%d %v", err, copies, f.calls)
	}
	_ = os.Remove("c.json")
}
