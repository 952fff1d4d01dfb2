package terminal

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// Output framing: a frame carries up to maxFrameData bytes. Output goes
// at once while the session has frame tokens (a burst of frameBurst,
// refilled at frameRate a second: typing and echo never wait); without
// one, what arrives within coalesceWait is gathered into one frame, which
// keeps a chatty program well below the server's stream frame limit.
const (
	maxFrameData = 32 << 10
	coalesceWait = 5 * time.Millisecond
	frameRate    = 200.0
	frameBurst   = 50.0
)

// session is one shell in a terminal (a PTY, or a ConPTY on Windows).
type session struct {
	m   *Manager
	id  string
	ctx context.Context // the agent's, for sends

	con console // set by begin

	in        chan []byte   // input for the writer goroutine
	done      chan struct{} // closed when the session ends
	exited    chan struct{} // closed when the shell was reaped
	pumpDone  chan struct{} // closed when all output was sent
	exitCode  *int          // set before exited is closed
	lastInput atomic.Int64  // unix nanos
	closeOnce sync.Once
}

func (s *session) input(b []byte) {
	s.lastInput.Store(time.Now().UnixNano())
	select {
	case s.in <- b:
	case <-s.done:
	default:
		s.m.log.Warn("terminal input backlog is full; dropping input", "id", s.id, "bytes", len(b))
	}
}

// reader copies PTY output into out until the PTY fails or is closed.
func (s *session) reader(out chan<- []byte) {
	defer close(out)
	buf := make([]byte, maxFrameData)
	for {
		n, err := s.con.Read(buf)
		if n > 0 {
			out <- append([]byte(nil), buf[:n]...)
		}
		if err != nil {
			return // EIO once the shell and its children let go of the PTY
		}
	}
}

// pump frames output; sends block, so a slow link slows the shell instead
// of growing memory.
func (s *session) pump(out <-chan []byte) {
	defer close(s.pumpDone)
	tokens, refilled := frameBurst, time.Now()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		b, ok := <-out
		if !ok {
			return
		}
		now := time.Now()
		tokens = min(frameBurst, tokens+now.Sub(refilled).Seconds()*frameRate)
		refilled = now
		buf, pending := b, []byte(nil)
		// add takes one more chunk; false when the frame is complete.
		add := func(b []byte, ok bool) bool {
			if !ok {
				return false
			}
			if len(buf)+len(b) > maxFrameData {
				pending = b
				return false
			}
			buf = append(buf, b...)
			return len(buf) < maxFrameData
		}
		if tokens >= 1 {
			// Take only what is already here and send it now.
		now:
			for len(buf) < maxFrameData {
				select {
				case b, ok := <-out:
					if !add(b, ok) {
						break now
					}
				default:
					break now
				}
			}
		} else {
			timer.Reset(coalesceWait)
		gather:
			for len(buf) < maxFrameData {
				select {
				case b, ok := <-out:
					if !add(b, ok) {
						break gather
					}
				case <-timer.C:
					break gather
				}
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		tokens--
		s.send(buf)
		if pending != nil {
			tokens--
			s.send(pending)
		}
	}
}

func (s *session) send(data []byte) {
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	// A failed send (link down) drops output: sessions end with the link.
	_ = s.m.d.Sender.Send(ctx, protocol.TerminalOutput{
		Header: protocol.Header{Type: protocol.TypeTerminalOutput, ID: s.id}, Data: data})
}

func (s *session) writer() {
	for {
		select {
		case <-s.done:
			return
		case b := <-s.in:
			if _, err := s.con.Write(b); err != nil {
				return
			}
		}
	}
}

func (s *session) idleWatch(idle time.Duration) {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			since := time.Since(time.Unix(0, s.lastInput.Load()))
			if since >= idle {
				s.m.log.Info("terminal idle; closing", "id", s.id, "idle", idle)
				go s.close(ReasonIdle)
				return
			}
			t.Reset(idle - since)
		}
	}
}

// close ends the session: hang up and kill the shell's process group,
// flush what output remains, tell the server why.
func (s *session) close(reason string) {
	s.closeOnce.Do(func() {
		close(s.done)
		if reason == ReasonExited {
			waitFor(s.pumpDone, time.Second) // the shell is gone: drain its last words
		}
		if s.con != nil {
			s.con.hangup(false) // SIGHUP, or the console's close event
			if !waitFor(s.exited, time.Second) {
				s.con.hangup(true) // SIGKILL, or the job's processes terminated
				waitFor(s.exited, 2*time.Second)
			}
			s.con.hangup(true) // whatever stayed in the group
			_ = s.con.Close()
			waitFor(s.pumpDone, 2*time.Second)
		}
		s.m.remove(s.id)
		code := s.exitCode
		if reason != ReasonExited {
			code = nil
		}
		s.m.log.Info("terminal closed", "id", s.id, "reason", reason)
		s.m.closed(s.ctx, s.id, reason, code)
	})
}

func waitFor(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
