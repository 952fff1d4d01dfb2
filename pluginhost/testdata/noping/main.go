//go:build unix

// Command noping is a test collector that freezes itself (SIGSTOP) shortly
// after it started ($NOPING_AFTER, default 300ms): the process lives on but
// answers nothing, health pings included.
package main

import (
	"os"
	"syscall"
	"time"

	"github.com/breeze-rmm/breeze/internal/testplugin"
	"github.com/breeze-rmm/breeze/sdk"
)

func main() {
	after := testplugin.EnvDuration("NOPING_AFTER", 300*time.Millisecond)
	go func() {
		time.Sleep(after)
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}()
	sdk.ServeCollector(testplugin.Collector{Name: "noping"})
}
