package terminal

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// frameLog records each output frame and when it was sent.
type frameLog struct {
	mu     sync.Mutex
	frames [][]byte
	at     []time.Time
}

func (f *frameLog) Send(_ context.Context, v any) error {
	if o, ok := v.(protocol.TerminalOutput); ok {
		f.mu.Lock()
		f.frames = append(f.frames, o.Data)
		f.at = append(f.at, time.Now())
		f.mu.Unlock()
	}
	return nil
}

func pumpWith(log *frameLog) (chan []byte, *session) {
	s := &session{m: New(Deps{Sender: log}), id: "s1", ctx: context.Background(), pumpDone: make(chan struct{})}
	out := make(chan []byte)
	go s.pump(out)
	return out, s
}

// An echo after a quiet spell goes at once: a keystroke never waits for
// the coalescing timer.
func TestPumpSendsAnEchoAtOnce(t *testing.T) {
	log := &frameLog{}
	out, s := pumpWith(log)
	for i := range 5 {
		start := time.Now()
		out <- []byte{byte('a' + i)}
		for {
			log.mu.Lock()
			n := len(log.frames)
			log.mu.Unlock()
			if n == i+1 {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("echo %d not sent", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
		if d := time.Since(start); d >= coalesceWait {
			t.Fatalf("echo %d took %v: it waited for the coalescing timer", i, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(out)
	<-s.pumpDone
}

// A flood of small writes is gathered: the frame count stays near the
// frame budget, and no byte is lost or reordered.
func TestPumpCoalescesAFlood(t *testing.T) {
	log := &frameLog{}
	out, s := pumpWith(log)
	const chunks = 3000
	start := time.Now()
	var want []byte
	for i := range chunks {
		b := []byte{byte('a' + i%26)}
		want = append(want, b...)
		out <- b
		if i%100 == 0 {
			time.Sleep(time.Millisecond) // a program writing steadily, not all at once
		}
	}
	close(out)
	<-s.pumpDone
	elapsed := time.Since(start)
	var got []byte
	for _, f := range log.frames {
		got = append(got, f...)
	}
	if string(got) != string(want) {
		t.Fatalf("output changed: %d bytes in, %d out", len(want), len(got))
	}
	budget := frameBurst + frameRate*elapsed.Seconds() + 2
	if n := float64(len(log.frames)); n > budget || len(log.frames) >= chunks/2 {
		t.Fatalf("%d frames for %d writes in %v; budget %.0f", len(log.frames), chunks, elapsed, budget)
	}
}
