// Package redistest gives tests a client on the test Redis and a key prefix
// of their own, cleaned up afterwards.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultURL is used when BREEZE_TEST_REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// NewClient connects to BREEZE_TEST_REDIS_URL (default DefaultURL) and
// returns the client with a key prefix unique to this test. It fails the
// test when Redis cannot be reached. At cleanup it deletes every key under
// the prefix and closes the client.
func NewClient(t testing.TB) (*goredis.Client, string) {
	t.Helper()
	url := os.Getenv("BREEZE_TEST_REDIS_URL")
	if url == "" {
		url = DefaultURL
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("redistest: bad BREEZE_TEST_REDIS_URL %q: %v", url, err)
	}
	client := goredis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		t.Fatalf("redistest: Redis unreachable at %s (set BREEZE_TEST_REDIS_URL): %v", opts.Addr, err)
	}
	prefix := "breeze-test:" + safeName(t.Name()) + ":" + randomHex(6) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The prefix holds no glob metacharacters (see safeName), so it
		// matches only this test's keys.
		iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("redistest: scanning %s*: %v", prefix, err)
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := client.Unlink(ctx, keys[:n]...).Err(); err != nil {
				t.Errorf("redistest: deleting %s*: %v", prefix, err)
				break
			}
			keys = keys[n:]
		}
		_ = client.Close()
	})
	return client, prefix
}

// safeName keeps letters, digits, '-' and '_' of a test name (at most 64 bytes).
func safeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
