package main

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// sent is one probe awaiting its answer.
type sent struct {
	addr netip.Addr
	at   time.Time
}

// tracker paces probes to many addresses, keeps at most p.concurrency of
// them awaiting an answer, times out the silent ones and records who
// answered, and how fast. ICMP and ARP share it.
type tracker struct {
	timeout time.Duration
	mu      sync.Mutex
	pending map[netip.Addr]time.Time
	queue   []sent // in send order, so in deadline order
	alive   map[netip.Addr]time.Duration
	slots   chan struct{}
}

func newTracker(p plan) *tracker {
	return &tracker{timeout: p.timeout, pending: map[netip.Addr]time.Time{}, alive: map[netip.Addr]time.Duration{},
		slots: make(chan struct{}, p.concurrency)}
}

// run probes every address with send (paced at p.interval), then p.retries
// more rounds for the silent ones, and returns who answered. send reports
// whether the probe went out.
func (tr *tracker) run(ctx context.Context, p plan, send func(a netip.Addr, seq int) bool) (map[netip.Addr]time.Duration, error) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				tr.expire(now)
			case <-stop:
				return
			}
		}
	}()
	pace := newPacer(p.interval)
	seq := 0
	for round := 0; round <= p.retries; round++ {
		for _, a := range p.addrs {
			tr.mu.Lock()
			_, done := tr.alive[a]
			tr.mu.Unlock()
			if done {
				continue
			}
			select {
			case tr.slots <- struct{}{}:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if err := pace.wait(ctx); err != nil {
				return nil, err
			}
			seq++
			at := tr.begin(a)
			if !send(a, seq) {
				tr.settle(a, at, false) // no answer will come
			}
		}
		for !tr.idle() { // the last answers of the round
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return maps.Clone(tr.alive), nil
}

func (tr *tracker) begin(a netip.Addr) time.Time {
	now := time.Now()
	tr.mu.Lock()
	tr.pending[a] = now
	tr.queue = append(tr.queue, sent{a, now})
	tr.mu.Unlock()
	return now
}

// answered records a's answer, if a probe to it is still awaited.
func (tr *tracker) answered(a netip.Addr) { tr.settle(a, time.Time{}, true) }

// settle ends the wait for a, once: by an answer or by the timeout of the
// probe sent at `at`.
func (tr *tracker) settle(a netip.Addr, at time.Time, answered bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	sentAt, ok := tr.pending[a]
	if !ok || (!answered && !sentAt.Equal(at)) {
		return
	}
	delete(tr.pending, a)
	if answered {
		tr.alive[a] = time.Since(sentAt)
	}
	<-tr.slots
}

func (tr *tracker) expire(now time.Time) {
	for {
		tr.mu.Lock()
		if len(tr.queue) == 0 || now.Sub(tr.queue[0].at) < tr.timeout {
			tr.mu.Unlock()
			return
		}
		s := tr.queue[0]
		tr.queue = tr.queue[1:]
		tr.mu.Unlock()
		tr.settle(s.addr, s.at, false)
	}
}

func (tr *tracker) idle() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.pending) == 0
}

// writeRetry writes, retrying for up to timeout while the kernel says its
// buffers are full (a neighbour table crowded with unresolved addresses
// refuses sends for a moment): an address is not lost to a busy moment.
func writeRetry(ctx context.Context, timeout time.Duration, write func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := write()
		if err == nil || !errors.Is(err, syscall.ENOBUFS) && !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pacer holds probes to a rate on average: the n-th goes out no earlier
// than start + n×interval, and one woken late (a busy machine, a coarse
// timer) catches up at once instead of losing the time as a ticker would.
type pacer struct {
	start    time.Time
	interval time.Duration
	n        int64
}

func newPacer(interval time.Duration) *pacer { return &pacer{start: time.Now(), interval: interval} }

func (pc *pacer) wait(ctx context.Context) error {
	due := pc.start.Add(time.Duration(pc.n) * pc.interval)
	pc.n++
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return ctx.Err()
}
