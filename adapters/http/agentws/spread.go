package agentws

import (
	"math/rand/v2"
	"sync"
	"time"
)

// spread sizes the Retry-After of shed links so a crowd comes back at the
// pace this node admits links, not all at once. Each refusal reserves the
// next free moment on a schedule spaced at the admission rate (measured in
// the seconds that shed, when admission is the bottleneck), so N refused
// agents are told to come back over N/rate seconds; the agent adds up to a
// second of jitter of its own. A fixed or short window instead brings the
// whole crowd back every few seconds: each return costs a refusal, and the
// refusals crowd out the hellos (congestion collapse).
//
// Beyond maxAhead the schedule is full: the answer is then random within
// the last half of maxAhead (the agents still spread, and no reservation is
// kept for them).
type spread struct {
	minWait, maxAhead time.Duration

	mu       sync.Mutex
	rate     float64   // links admitted per second while shedding
	next     time.Time // the schedule's next free moment
	second   time.Time // start of the second being counted
	admitted int       // links admitted in that second
	shed     int       // links refused in that second
}

func newSpread(rate float64, minWait, maxAhead time.Duration) *spread {
	return &spread{rate: max(rate, 1), minWait: minWait, maxAhead: maxAhead}
}

// roll closes the seconds counted before now: one that shed measures the
// admission rate (smoothed); a second without refusals says nothing about
// capacity, so it leaves the rate alone.
func (s *spread) roll(now time.Time) {
	if now.Sub(s.second) < time.Second {
		return
	}
	if s.shed > 0 && now.Sub(s.second) < 2*time.Second {
		s.rate = max(1, 0.7*s.rate+0.3*float64(s.admitted))
	}
	s.second, s.admitted, s.shed = now, 0, 0
}

// admit counts a link admitted.
func (s *spread) admit(now time.Time) {
	s.mu.Lock()
	s.roll(now)
	s.admitted++
	s.mu.Unlock()
}

// refuse counts a link shed and returns when it should come back: at least
// floor (what the refusing limit itself needs, e.g. the bucket's next token)
// and at least minWait.
func (s *spread) refuse(now time.Time, floor time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roll(now)
	s.shed++
	earliest := now.Add(max(floor, s.minWait))
	if s.next.Before(earliest) {
		s.next = earliest
	}
	at := s.next
	if at.Sub(now) > s.maxAhead {
		return s.maxAhead/2 + rand.N(s.maxAhead/2+1)
	}
	s.next = s.next.Add(time.Duration(float64(time.Second) / s.rate))
	return at.Sub(now)
}
