//go:build unix

// Command noping is a test collector that freezes itself (SIGSTOP) shortly
// after it started ($NOPING_AFTER, default 300ms): the process lives on but
// answers nothing, health pings included.
package main

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

type collector struct{}

func (collector) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "noping", Version: "0.0.1"}, nil
}

func (collector) Collect(context.Context) (sdk.Collection, error) {
	return sdk.Collection{}, nil
}

func main() {
	after, err := time.ParseDuration(os.Getenv("NOPING_AFTER"))
	if err != nil {
		after = 300 * time.Millisecond
	}
	go func() {
		time.Sleep(after)
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}()
	sdk.ServeCollector(collector{})
}
