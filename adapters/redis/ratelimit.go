package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// DefaultRateLimitPrefix prefixes every key when RateLimiterDeps.Prefix is empty.
const DefaultRateLimitPrefix = "breeze:ratelimit:"

// allowScript is one Allow, atomically: an exact sliding log in a sorted set
// (score = event time in µs from the server's TIME, so every node agrees;
// member = a random id from the caller, so events in the same microsecond do
// not collapse into one). The key expires when its newest event leaves the
// window. Scores go through string.format so no digit of a 16-digit
// microsecond time is lost to Lua's number formatting.
//
// KEYS[1] the key; ARGV[1] N; ARGV[2] window in µs; ARGV[3] the event's member.
// Returns {allowed 0|1, remaining, retryAfter µs, resetAfter µs}.
var allowScript = goredis.NewScript(`
local key = KEYS[1]
local n = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) > now then
  now = tonumber(last[2]) -- the server clock stepped back: keep the log ordered
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', key)
if count < n then
  redis.call('ZADD', key, string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  return {1, n - count - 1, 0, window}
end
local blocking = redis.call('ZRANGE', key, count - n, count - n, 'WITHSCORES')
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
return {0, 0, tonumber(blocking[2]) + window - now, tonumber(newest[2]) + window - now}
`)

// RateLimiterDeps configures NewRateLimiter.
type RateLimiterDeps struct {
	// Client is a standalone, failover or cluster client (one key per call,
	// so cluster slots are not a concern).
	Client goredis.UniversalClient
	// Prefix is put before every key (empty: DefaultRateLimitPrefix).
	Prefix string
}

// RateLimiter is the ports.RateLimiter shared by every server node: an exact
// sliding log per key in a Redis sorted set, one Lua script per Allow.
type RateLimiter struct {
	client goredis.UniversalClient
	prefix string
}

var _ ports.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter on deps.Client. It panics without a client
// (a wiring mistake, not a runtime condition).
func NewRateLimiter(deps RateLimiterDeps) *RateLimiter {
	if deps.Client == nil {
		panic("redis.NewRateLimiter: nil Client")
	}
	if deps.Prefix == "" {
		deps.Prefix = DefaultRateLimitPrefix
	}
	return &RateLimiter{client: deps.Client, prefix: deps.Prefix}
}

// Allow implements ports.RateLimiter. The script is sent by hash (EVALSHA)
// and in full only when the server does not know it yet.
func (l *RateLimiter) Allow(ctx context.Context, key string, lim ports.Limit) (ports.Decision, error) {
	if err := ctx.Err(); err != nil {
		return ports.Decision{}, fmt.Errorf("redis rate limiter: %w", err)
	}
	if err := lim.Validate(); err != nil {
		return ports.Decision{}, err
	}
	if key == "" {
		return ports.Decision{}, domain.Invalidf("rate limit: empty key")
	}
	// Redis time is in µs: round the window up so it never shrinks to 0.
	windowUS := (lim.Window + time.Microsecond - 1) / time.Microsecond
	res, err := allowScript.Run(ctx, l.client, []string{l.prefix + key}, lim.N, int64(windowUS), newMember()).Int64Slice()
	if err != nil {
		return ports.Decision{}, fmt.Errorf("redis rate limiter: allow: %w", err)
	}
	if len(res) != 4 {
		return ports.Decision{}, fmt.Errorf("redis rate limiter: allow: script returned %d values, want 4", len(res))
	}
	// min: the window was rounded up to a whole µs, the caller's was not.
	return ports.Decision{
		Allowed:    res[0] == 1,
		Remaining:  int(res[1]),
		RetryAfter: min(time.Duration(res[2])*time.Microsecond, lim.Window),
		ResetAfter: min(time.Duration(res[3])*time.Microsecond, lim.Window),
	}, nil
}

// newMember names one event: 64 random bits, so concurrent events (even in
// the same server microsecond, from any node) stay distinct members.
func newMember() string { return strconv.FormatUint(rand.Uint64(), 36) }

// Reset implements ports.RateLimiter.
func (l *RateLimiter) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis rate limiter: %w", err)
	}
	if err := l.client.Del(ctx, l.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis rate limiter: reset: %w", err)
	}
	return nil
}
