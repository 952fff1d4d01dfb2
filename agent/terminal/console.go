package terminal

import (
	"io"
	"time"
)

// console is the shell's terminal as the session sees it: a PTY on Unix
// (start_unix.go), a ConPTY on Windows (start_windows.go). The session
// reads output from it, writes input to it and ends it; the platform file
// knows how to start a shell in one and how to stop that shell.
type console interface {
	io.ReadWriter
	// resize sets the terminal's size in character cells.
	resize(cols, rows int)
	// hangup asks the shell to end; kill forces it and what it started.
	hangup(kill bool)
	// Close releases the terminal; a pending Read returns.
	io.Closer
}

// begin runs a started shell's session: output, input, the idle watch, and
// the end once wait (which blocks until the shell is gone and returns its
// exit code, nil when unknown) returns.
func (s *session) begin(con console, wait func() *int, idle time.Duration) {
	s.con = con
	s.exited, s.pumpDone = make(chan struct{}), make(chan struct{})
	s.lastInput.Store(time.Now().UnixNano())
	out := make(chan []byte, 16)
	go s.reader(out)
	go s.pump(out)
	go s.writer()
	go s.idleWatch(idle)
	go func() {
		s.exitCode = wait()
		close(s.exited)
		s.close(ReasonExited)
	}()
}

func (s *session) resize(cols, rows int) {
	if s.con != nil {
		s.con.resize(clampSize(cols, rows))
	}
}

// clampSize keeps a requested size sane: 80×24 when unset, at most 1000.
func clampSize(cols, rows int) (int, int) {
	clamp := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return min(v, 1000)
	}
	return clamp(cols, 80), clamp(rows, 24)
}
