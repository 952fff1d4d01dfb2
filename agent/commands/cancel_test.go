package commands

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestServerCancelKillsTheRunningScript(t *testing.T) {
	f := newFixture(t)
	e := f.executor(t)
	pidFile := filepath.Join(f.dir, "child.pid")
	// The script starts a child that would outlive a careless kill.
	body := script("sleep 300 & echo $! > " + pidFile + "; wait")
	e.Handle(context.Background(), cmd(t, "c-cancel", protocol.ActionRunScript, body, 600))
	var pid int
	deadline := time.Now().Add(5 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the script never started its child")
	}
	cancel, _ := json.Marshal(protocol.Header{Type: protocol.TypeCommandCancel, ID: "c-cancel"})
	e.Cancel(cancel)
	r := f.w.next(t)
	if r.ID != "c-cancel" || r.Status != protocol.ResultCancelled || r.Error != "cancelled by the server" {
		t.Fatalf("result %+v", r)
	}
	deadline = time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the script's child %d survived the cancel", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An id that is not running is ignored.
	other, _ := json.Marshal(protocol.Header{Type: protocol.TypeCommandCancel, ID: "nope"})
	e.Cancel(other)
	f.w.none(t, 100*time.Millisecond)
}
