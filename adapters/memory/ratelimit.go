package memory

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DefaultRateLimitMaxKeys bounds the keys a RateLimiter tracks when
// RateLimiterOptions.MaxKeys is zero.
const DefaultRateLimitMaxKeys = 1 << 20

// DefaultRateLimitJanitorInterval is how often idle keys are swept when
// RateLimiterOptions.JanitorInterval is zero.
const DefaultRateLimitJanitorInterval = time.Minute

// rlSampleSize is how many keys a full shard looks at to pick a victim.
const rlSampleSize = 8

// RateLimiterOptions configures NewRateLimiter.
type RateLimiterOptions struct {
	// Clock gives the time (nil: the system clock, monotonic).
	Clock ports.Clock
	// MaxKeys bounds the tracked keys (0: DefaultRateLimitMaxKeys). When full,
	// a new key displaces an idle key, or else the sampled key closest to
	// going idle: a flood of distinct keys cannot exhaust memory, at the price
	// of possibly forgetting a live key once MaxKeys are live at once.
	MaxKeys int
	// JanitorInterval is how often idle keys are evicted
	// (0: DefaultRateLimitJanitorInterval).
	JanitorInterval time.Duration
}

// RateLimiter is the in-process ports.RateLimiter: an exact sliding log per
// key (see ports.RateLimiter for the semantics), in shards each behind its
// own mutex. A janitor goroutine evicts idle keys until Close.
type RateLimiter struct {
	clock    ports.Clock
	base     time.Time // event times are offsets from base (monotonic with the system clock)
	seed     maphash.Seed
	shards   []rlShard
	mask     uint64
	perShard int

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type rlShard struct {
	mu   sync.Mutex
	keys map[string]*rlEntry
	// sweptAt is when evictOne last walked the whole shard (swept: ever).
	sweptAt time.Duration
	swept   bool
	_       [24]byte // keep neighbouring shards' mutexes off one cache line
}

// rlSweepEvery bounds evictOne's whole-shard walks (see there).
const rlSweepEvery = time.Second

// rlEntry is one key's counted events, oldest first.
type rlEntry struct {
	events []time.Duration
	idle   time.Duration // when the newest event leaves its window
}

var _ ports.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter and starts its janitor; call Close to stop it.
func NewRateLimiter(opts RateLimiterOptions) *RateLimiter {
	if opts.Clock == nil {
		opts.Clock = ports.ClockFunc(time.Now)
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultRateLimitMaxKeys
	}
	if opts.JanitorInterval <= 0 {
		opts.JanitorInterval = DefaultRateLimitJanitorInterval
	}
	// Up to 64 shards, each allowed at least 16 keys, so that the per-shard
	// caps add up to no more than MaxKeys.
	n := 64
	for n > 1 && opts.MaxKeys/n < 16 {
		n /= 2
	}
	l := &RateLimiter{
		clock:    opts.Clock,
		base:     opts.Clock.Now(),
		seed:     maphash.MakeSeed(), // random per process: keys cannot be aimed at one shard
		shards:   make([]rlShard, n),
		mask:     uint64(n - 1),
		perShard: opts.MaxKeys / n,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range l.shards {
		l.shards[i].keys = make(map[string]*rlEntry)
	}
	go l.janitor(opts.JanitorInterval)
	return l
}

// Allow implements ports.RateLimiter.
func (l *RateLimiter) Allow(ctx context.Context, key string, lim ports.Limit) (ports.Decision, error) {
	if err := ctx.Err(); err != nil {
		return ports.Decision{}, fmt.Errorf("memory rate limiter: %w", err)
	}
	if err := lim.Validate(); err != nil {
		return ports.Decision{}, err
	}
	if key == "" {
		return ports.Decision{}, domain.Invalidf("rate limit: empty key")
	}
	now := l.now()
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	e := sh.keys[key]
	if e == nil {
		if len(sh.keys) >= l.perShard {
			sh.evictOne(now)
		}
		e = &rlEntry{events: make([]time.Duration, 0, min(lim.N, 8))}
		sh.keys[key] = e
	}
	if n := len(e.events); n > 0 && now < e.events[n-1] {
		now = e.events[n-1] // a clock that stepped back must not unsort the log
	}
	e.prune(now - lim.Window)
	if n := len(e.events); n >= lim.N {
		// The (n-N+1)th oldest event must leave before one more fits
		// (with a steady Limit n == N and it is the oldest).
		return ports.Decision{
			RetryAfter: e.events[n-lim.N] + lim.Window - now,
			ResetAfter: e.events[n-1] + lim.Window - now,
		}, nil
	}
	e.events = append(e.events, now)
	e.idle = max(e.idle, now+lim.Window)
	return ports.Decision{
		Allowed:    true,
		Remaining:  lim.N - len(e.events),
		ResetAfter: lim.Window,
	}, nil
}

// Reset implements ports.RateLimiter.
func (l *RateLimiter) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory rate limiter: %w", err)
	}
	sh := l.shard(key)
	sh.mu.Lock()
	delete(sh.keys, key)
	sh.mu.Unlock()
	return nil
}

// Len is the number of keys tracked (for metrics and tests).
func (l *RateLimiter) Len() int {
	total := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		total += len(sh.keys)
		sh.mu.Unlock()
	}
	return total
}

// Close stops the janitor and waits for it. The limiter keeps answering,
// but idle keys are then only evicted when a shard is full. Safe to call twice.
func (l *RateLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.stop) })
	<-l.done
	return nil
}

func (l *RateLimiter) now() time.Duration { return l.clock.Now().Sub(l.base) }

func (l *RateLimiter) shard(key string) *rlShard {
	return &l.shards[maphash.String(l.seed, key)&l.mask]
}

func (l *RateLimiter) janitor(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.sweep()
		}
	}
}

// sweep evicts every idle key, one shard lock at a time.
func (l *RateLimiter) sweep() {
	now := l.now()
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, e := range sh.keys {
			if e.idle <= now {
				delete(sh.keys, k)
			}
		}
		sh.mu.Unlock()
	}
}

// evictOne makes room in a full shard without scanning it: among a few keys
// (Go map iteration starts at a random place) it drops every idle one. A
// sample without one does not yet mean the shard has none: then, at most
// once per rlSweepEvery, the whole shard is walked for idle keys, so a live
// key is displaced only when none is idle (or the walk was too recent),
// and then the one that goes idle first. Called with sh.mu held.
func (sh *rlShard) evictOne(now time.Duration) {
	var (
		victim string
		soon   time.Duration
		found  bool // victim is set
		freed  bool
		seen   int
	)
	for k, e := range sh.keys {
		switch {
		case e.idle <= now:
			delete(sh.keys, k)
			freed = true
		case !found || e.idle < soon:
			victim, soon, found = k, e.idle, true
		}
		if seen++; seen >= rlSampleSize {
			break
		}
	}
	if freed || !found {
		return
	}
	if !sh.swept || now-sh.sweptAt >= rlSweepEvery || now < sh.sweptAt {
		sh.swept, sh.sweptAt = true, now
		for k, e := range sh.keys {
			if e.idle <= now {
				delete(sh.keys, k)
				freed = true
			}
		}
		if freed {
			return
		}
	}
	delete(sh.keys, victim)
}

// prune forgets events at or before cutoff, keeping the backing array.
func (e *rlEntry) prune(cutoff time.Duration) {
	i := 0
	for i < len(e.events) && e.events[i] <= cutoff {
		i++
	}
	if i > 0 {
		e.events = append(e.events[:0], e.events[i:]...)
	}
}
