package link

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/backoff"
)

// Link keeps the agent connected. Create it with New and call Run once.
type Link struct {
	opts Options
	log  hclog.Logger
	buf  *Ring

	interval   atomic.Int64           // current heartbeat interval (ns)
	intervalCh chan time.Duration     // tells the sampler loop to re-arm its ticker
	sampleNow  chan struct{}          // asks the sampler loop for an immediate heartbeat
	buffered   chan struct{}          // a heartbeat was buffered (cap 1, coalescing)
	invNow     chan chan error        // SendFullInventory's requests to the write loop
	invCheck   chan struct{}          // CheckInventory's nudges (cap 1, coalescing)
	current    atomic.Pointer[outbox] // the live session's queue; nil while down

	inv inventoryState

	dropping atomic.Bool // inside a run of dropped heartbeats (log once per run)

	intervalMu sync.Mutex // serialises setInterval (welcome on connect, or a later one)

	servers *servers // the URLs tried in turn
}

// New validates opts and returns a Link.
func New(opts Options) (*Link, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	l := &Link{
		opts:       opts,
		log:        opts.Logger.Named("link"),
		buf:        NewRing(opts.BufferSize),
		intervalCh: make(chan time.Duration, 1),
		sampleNow:  make(chan struct{}, 1),
		buffered:   make(chan struct{}, 1),
		invNow:     make(chan chan error),
		invCheck:   make(chan struct{}, 1),
	}
	l.servers = newServers(opts.ServerURL, opts.ServerURLs, opts.PushedServerURLs)
	l.interval.Store(int64(opts.Heartbeat))
	l.inv.init(opts.InventoryStore, l.log)
	return l, nil
}

// Server is the server URL in use (or tried next): what the agent's other
// requests to its server (plugin archives) should use.
func (l *Link) Server() string { return l.servers.current() }

// Servers lists the URLs the link tries, in order.
func (l *Link) Servers() []string { return l.servers.list() }

// Buffered is the number of heartbeats waiting to be sent.
func (l *Link) Buffered() int { return l.buf.Len() }

// Interval is the heartbeat interval in force.
func (l *Link) Interval() time.Duration { return time.Duration(l.interval.Load()) }

// Run connects and stays connected until ctx ends, then closes the link with
// a normal close frame and returns nil. Every goroutine it starts has ended
// when it returns.
func (l *Link) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.sampleLoop(ctx)
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()

	wait := time.Duration(0)
	if l.opts.FirstJitter > 0 {
		wait = backoff.Jitter(l.opts.FirstJitter) // a fleet restarted together spreads out
	}
	attempt := 0
	for {
		if !sleep(ctx, wait) {
			return nil
		}
		start := time.Now()
		established, err := l.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if established {
			l.servers.linked()
		}
		var refused *refusedError
		switch {
		case errors.Is(err, errTokenRejected):
			wait = l.opts.RevokedDelay + backoff.Jitter(l.opts.RevokedDelay/10)
			l.log.Error("the server rejected this agent's token: the device was decommissioned or its token revoked; "+
				"re-enroll with `breeze-agent enroll --server URL --key-file FILE`. Retrying rarely meanwhile",
				"server", l.Server(), "retry_in", wait.Round(time.Second))
			attempt = 0
		case errors.As(err, &refused) && refused.retryAfter >= 0:
			wait = refused.retryAfter + backoff.Jitter(l.opts.Backoff.Base)
			l.log.Warn("server asked us to come back later", "status", refused.status, "retry_in", wait.Round(time.Millisecond))
		case !established && !l.servers.advance():
			// Another URL of the deployment is left in this round: try it
			// soon, without growing the backoff.
			wait = backoff.Jitter(l.opts.Backoff.Base)
			l.log.Warn("cannot link to server; trying the next one", "error", err, "next", l.Server())
		default:
			if established && time.Since(start) >= l.opts.StableAfter {
				attempt = 0
			}
			wait = l.opts.Backoff.Delay(attempt)
			attempt++
			if established {
				l.log.Warn("link lost; reconnecting", "error", err, "retry_in", wait.Round(time.Millisecond), "buffered", l.buf.Len())
			} else if attempt <= 5 || attempt%20 == 0 {
				// A machine offline for a week should not fill its log.
				l.log.Warn("cannot link to server", "error", err, "retry_in", wait.Round(time.Millisecond), "attempt", attempt)
			} else {
				l.log.Debug("cannot link to server", "error", err, "retry_in", wait.Round(time.Millisecond), "attempt", attempt)
			}
		}
	}
}

// sampleLoop takes heartbeats on the current interval, linked or not.
func (l *Link) sampleLoop(ctx context.Context) {
	t := time.NewTicker(l.Interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-l.intervalCh:
			t.Reset(d)
		case <-l.sampleNow:
			l.push(ctx)
		case <-t.C:
			l.push(ctx)
		}
	}
}

func (l *Link) push(ctx context.Context) {
	hb := l.opts.Sampler.Sample(ctx)
	if ctx.Err() != nil {
		return
	}
	if l.buf.Push(hb) {
		if !l.dropping.Swap(true) {
			l.log.Warn("offline heartbeat buffer is full; dropping the oldest", "capacity", l.opts.BufferSize)
		}
	} else {
		l.dropping.Store(false)
	}
	select {
	case l.buffered <- struct{}{}:
	default:
	}
}

// setInterval applies a server-chosen interval; it reports a change.
func (l *Link) setInterval(d time.Duration) bool {
	d = clampInterval(d)
	l.intervalMu.Lock()
	defer l.intervalMu.Unlock()
	if time.Duration(l.interval.Swap(int64(d))) == d {
		return false
	}
	// Replace any pending value so the sampler sees the newest one.
	select {
	case <-l.intervalCh:
	default:
	}
	l.intervalCh <- d
	return true
}

func (l *Link) requestSample() {
	select {
	case l.sampleNow <- struct{}{}:
	default:
	}
}

// sleep waits d or until ctx ends; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
