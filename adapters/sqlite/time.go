package sqlite

import "time"

// Times are stored as INTEGER unix microseconds UTC: they sort, compare and
// index as numbers, and round-trip exactly once truncated to microseconds.

// now is the current time at the stored precision.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros stores the zero time ("never") as NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
