package watch

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

// Prober runs one non-streaming discover with a scanner plugin
// (agent/plugins.Manager.Discover); an error wrapping
// plugins.ErrNotScanner says the plugin is not running here.
type Prober interface {
	Discover(ctx context.Context, p protocol.DiscoverPayload) ([]protocol.DiscoverAsset, string, error)
}

// Sender writes a frame on the current link (agent/remote.Dispatcher); it
// fails while there is none.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Deps are what a Watcher needs.
type Deps struct {
	Prober Prober
	Sender Sender
	Logger hclog.Logger
	// Jitter bounds the random delay before a new list's first round
	// (never more than its interval): 5 s.
	Jitter time.Duration
	// SendTimeout bounds the wait for the link to take a report: 10 s.
	SendTimeout time.Duration
}

// Watcher watches the current list until a new one replaces it.
type Watcher struct {
	d   Deps
	log hclog.Logger

	mu     sync.Mutex
	cur    *list
	gen    uint64             // counts lists: a round of an older one is not reported
	cancel context.CancelFunc // the running round's
	wake   chan struct{}      // a new list (buffered 1)
	failed bool               // the last report was not sent: log the next failure at debug
}

// New returns a Watcher with an empty list; Run makes it work.
func New(d Deps) *Watcher {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.Jitter <= 0 {
		d.Jitter = 5 * time.Second
	}
	if d.SendTimeout <= 0 {
		d.SendTimeout = 10 * time.Second
	}
	return &Watcher{d: d, log: d.Logger.Named("watch"), wake: make(chan struct{}, 1)}
}

// Set replaces the watch list with f's (empty: stop watching) and cancels
// the running round; the same list again changes nothing. It never
// blocks (the link's reader calls it).
func (w *Watcher) Set(f protocol.Watch) {
	l, dropped := compile(f)
	if dropped > 0 {
		w.log.Warn("watch list entries dropped (no id, or far past the limit)", "dropped", dropped)
	}
	w.mu.Lock()
	if w.cur != nil && reflect.DeepEqual(w.cur.src, l.src) || w.cur == nil && len(l.entries) == 0 {
		w.mu.Unlock()
		return
	}
	w.cur = l
	w.gen++
	if w.cancel != nil {
		w.cancel()
	}
	w.mu.Unlock()
	if len(l.entries) > 0 {
		w.log.Info("watching", "hosts", len(l.entries), "interval", l.interval)
	} else {
		w.log.Info("watching stopped")
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run watches until ctx ends: one round per interval of the current list,
// the first after a random delay up to Deps.Jitter.
func (w *Watcher) Run(ctx context.Context) {
	for {
		w.mu.Lock()
		l, gen := w.cur, w.gen
		w.mu.Unlock()
		if l == nil || len(l.entries) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
				continue
			}
		}
		if !w.watch(ctx, l, gen) {
			return
		}
	}
}

// watch runs l's rounds until a new list comes (true) or ctx ends (false).
func (w *Watcher) watch(ctx context.Context, l *list, gen uint64) bool {
	next := time.Now().Add(rand.N(min(w.d.Jitter, l.interval)) + 1)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-w.wake:
			return true
		case <-timer.C:
		}
		start := time.Now()
		// Bounded by the interval: a round never overlaps the next one.
		rctx, cancel := context.WithTimeout(ctx, l.interval)
		w.mu.Lock()
		if w.gen != gen {
			w.mu.Unlock()
			cancel()
			return true
		}
		w.cancel = cancel
		w.mu.Unlock()
		res := w.round(rctx, l)
		w.mu.Lock()
		w.cancel = nil
		stale := w.gen != gen
		w.mu.Unlock()
		cancel()
		if ctx.Err() != nil {
			return false
		}
		if !stale {
			w.report(ctx, res)
		}
		timer.Reset(time.Until(start.Add(l.interval)))
	}
}

// report sends one round's results; one the link cannot take is dropped
// (the next round reports again).
func (w *Watcher) report(ctx context.Context, res []protocol.WatchResult) {
	sctx, cancel := context.WithTimeout(ctx, w.d.SendTimeout)
	defer cancel()
	err := w.d.Sender.Send(sctx, protocol.WatchReport{Header: protocol.Header{Type: protocol.TypeWatchReport}, Results: res})
	w.mu.Lock()
	quiet := w.failed
	w.failed = err != nil
	w.mu.Unlock()
	switch {
	case err == nil:
	case quiet:
		w.log.Debug("watch report not sent; dropped", "error", err)
	default:
		w.log.Warn("watch report not sent; dropped (the next round reports again)", "error", err)
	}
}
