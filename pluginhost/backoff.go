package pluginhost

import (
	"math/rand/v2"
	"time"
)

// backoff is the full-jitter delay before relaunch attempt n (0-based):
// uniform in [0, min(max, min·2^n)], never below a millisecond so a crash
// loop cannot spin.
func backoff(n int, lo, hi time.Duration) time.Duration {
	ceil := lo
	for i := 0; i < n && ceil < hi; i++ {
		ceil *= 2
	}
	ceil = min(ceil, hi)
	d := time.Duration(rand.Int64N(int64(ceil) + 1))
	return max(d, time.Millisecond)
}
