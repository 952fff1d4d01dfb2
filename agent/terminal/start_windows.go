//go:build windows

package terminal

import (
	"errors"
	"os/exec"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// start: ConPTY support is future work; the session is refused.
func (s *session) start(protocol.TerminalOpen, time.Duration) error {
	return errors.New("terminals are not supported on Windows yet")
}

func (s *session) resize(int, int) {}

func signalGroup(*exec.Cmd, bool) {}
