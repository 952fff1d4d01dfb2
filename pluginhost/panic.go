package pluginhost

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// A failed start or call waits up to lineWait for a "panic:" line to
// reach the host (the process dies, its stderr is copied a moment later),
// and once there is one up to panicWait for the trace's location. A plugin
// that did not panic costs lineWait, and only on a broken connection.
const (
	lineWait  = 250 * time.Millisecond
	panicWait = time.Second
)

// panicCapture watches one process's stderr for a Go panic: its "panic:"
// (or "fatal error:") line and the first frame outside the runtime, so an
// error can say what the plugin author needs instead of go-plugin's
// "Unrecognized remote plugin message" or a broken connection. The
// process's raw stderr (before the handshake, and the runtime's own
// writes) and go-plugin's forwarded stderr are both fed, each with its own
// parse state; the first complete answer wins.
type panicCapture struct {
	mu       sync.Mutex
	line     string // "panic: ..." as printed
	location string // "main.main at /src/main.go:14"
	streams  map[string]*traceState
	seen     chan struct{} // closed once the panic line is known
	found    chan struct{} // closed once line and location are known
	seenOnce sync.Once
	once     sync.Once
}

// traceState is one stream's progress through a trace.
type traceState struct {
	panicked, inTrace bool
	fn                string // the frame's function, waiting for its file line
}

func newPanicCapture() *panicCapture {
	return &panicCapture{streams: map[string]*traceState{}, seen: make(chan struct{}), found: make(chan struct{})}
}

// observe is fed every line of stream.
func (p *panicCapture) observe(stream, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.streams[stream]
	if st == nil {
		st = &traceState{}
		p.streams[stream] = st
	}
	switch {
	case !st.panicked && (strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")):
		st.panicked = true
		if p.line == "" {
			p.line = strings.TrimSuffix(line, " [recovered]")
			p.seenOnce.Do(func() { close(p.seen) })
		}
	case !st.panicked || p.location != "":
	case strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, ":"):
		st.inTrace = true
	case !st.inTrace:
	case strings.HasPrefix(line, "\t"):
		if st.fn != "" && !strings.HasPrefix(st.fn, "runtime.") && !strings.HasPrefix(st.fn, "panic(") {
			file := strings.TrimSpace(line)
			if i := strings.LastIndex(file, " +0x"); i > 0 {
				file = file[:i]
			}
			fn := st.fn
			if i := strings.LastIndex(fn, "("); i > 0 {
				fn = fn[:i] // the arguments
			}
			p.location = fn + " at " + file
			p.once.Do(func() { close(p.found) })
		}
		st.fn = ""
	default:
		st.fn = line
	}
}

// wait returns the panic summary: "" when no panic line came within
// lineWait, else once its location is known or d passed.
func (p *panicCapture) wait(d time.Duration) string {
	if p == nil {
		return ""
	}
	t := time.NewTimer(lineWait)
	defer t.Stop()
	select {
	case <-p.seen:
	case <-t.C:
		return ""
	}
	t.Reset(d)
	select {
	case <-p.found:
	case <-t.C:
	}
	return p.summary()
}

// summary is "panic: boom (main.f at /src/main.go:14)", or "" when the
// plugin did not panic.
func (p *panicCapture) summary() string {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line == "" {
		return ""
	}
	if p.location == "" {
		return p.line
	}
	return fmt.Sprintf("%s (%s)", p.line, p.location)
}

// withPanic replaces err by the plugin's own panic when it panicked: the
// message is the panic line and location (go-plugin's generic text, such
// as "Unrecognized remote plugin message", says nothing to the author);
// err stays in the chain.
func withPanic(id string, p *panicCapture, err error) error {
	if err == nil {
		return nil
	}
	if s := p.wait(panicWait); s != "" {
		return &PanicError{PluginID: id, Panic: s, err: err}
	}
	return err
}

// PanicError is a start or call that failed because the plugin panicked.
type PanicError struct {
	PluginID string
	Panic    string // "panic: boom (main.f at /src/main.go:14)"
	err      error
}

func (e *PanicError) Error() string { return fmt.Sprintf("plugin %s crashed: %s", e.PluginID, e.Panic) }
func (e *PanicError) Unwrap() error { return e.err }
