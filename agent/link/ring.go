package link

import (
	"sync"

	"github.com/breeze-rmm/breeze/protocol"
)

// Ring is a bounded FIFO of heartbeats. When full, Push drops the oldest: the
// most recent state of a machine matters more than yesterday's.
type Ring struct {
	mu    sync.Mutex
	items []protocol.Heartbeat
	seqs  []uint64
	head  int // index of the oldest
	n     int
	next  uint64 // sequence number of the next push
}

// NewRing returns a ring holding at most size heartbeats (at least 1).
func NewRing(size int) *Ring {
	size = max(size, 1)
	return &Ring{items: make([]protocol.Heartbeat, size), seqs: make([]uint64, size)}
}

// Push appends hb, dropping the oldest when full; dropped reports that.
func (r *Ring) Push(hb protocol.Heartbeat) (dropped bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == len(r.items) {
		r.head = (r.head + 1) % len(r.items)
		r.n--
		dropped = true
	}
	i := (r.head + r.n) % len(r.items)
	r.items[i], r.seqs[i] = hb, r.next
	r.next++
	r.n++
	return dropped
}

// Peek returns the oldest heartbeat and its sequence number without removing
// it: it stays buffered until Ack confirms it was written.
func (r *Ring) Peek() (hb protocol.Heartbeat, seq uint64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return hb, 0, false
	}
	return r.items[r.head], r.seqs[r.head], true
}

// Ack removes the oldest heartbeat if it is still the one with seq (Push may
// have dropped it meanwhile, and then the new oldest must stay).
func (r *Ring) Ack(seq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n > 0 && r.seqs[r.head] == seq {
		r.items[r.head] = protocol.Heartbeat{} // release slices for the GC
		r.head = (r.head + 1) % len(r.items)
		r.n--
	}
}

// Len is the number of buffered heartbeats.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
