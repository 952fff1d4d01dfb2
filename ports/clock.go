package ports

import "time"

// Clock tells the time. Adapters that measure time take one so tests can
// drive them deterministically; production wiring passes the system clock.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock (ClockFunc(time.Now) is the system clock).
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
