package scripts

import "sync"

// capped keeps the first limit bytes written and counts (discards) the
// rest, so a child printing gigabytes never blocks and memory stays bounded.
type capped struct {
	mu        sync.Mutex
	limit     int
	buf       []byte
	truncated bool
}

func newCapped(limit int) *capped { return &capped{limit: limit} }

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.limit - len(c.buf)
	if room >= len(p) {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	if room > 0 {
		c.buf = append(c.buf, p[:room]...)
	}
	c.truncated = true
	return len(p), nil // report all written: the pipe keeps flowing
}

func (c *capped) result() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf), c.truncated
}
