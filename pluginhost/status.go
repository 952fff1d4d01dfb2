package pluginhost

import (
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// State is where a supervised plugin is in its life.
type State string

const (
	StateStarting State = "starting"
	StateRunning  State = "running"
	StateBackoff  State = "backoff" // down, waiting to restart
	StateFailed   State = "failed"  // down for good (first start failed, or refused: tampered, wrong kind)
	StateStopped  State = "stopped"
)

// Status is a snapshot of a supervised plugin.
type Status struct {
	State     State
	Restarts  int // relaunch attempts after the first start
	LastError string
	StartedAt time.Time // of the current (or last) process
	PID       int       // 0 while down
	Info      sdk.Info  // what the plugin said about itself at its last start
}
