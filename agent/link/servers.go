package link

import (
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/breeze-rmm/breeze/agent/config"
)

// MaxServers bounds the URLs an agent tries (configured and pushed).
const MaxServers = 8

// servers is the list of server URLs the link tries: the configured
// ServerURL first, then the configured ServerURLs, then those the server
// pushed in its welcome. A failed dial moves to another URL of the round,
// taken at random among those not tried yet: when a node dies, its agents
// spread over the survivors instead of all landing on the URL after it
// (which would then hold twice its share). A whole round that failed backs
// off as one attempt did before and starts again from the first URL, so a
// single-URL agent behaves as it always has.
type servers struct {
	mu     sync.Mutex
	urls   []string
	pushed []string // the welcome's list, as last applied
	cur    int
	tried  uint16 // bit i: urls[i] failed in this round (MaxServers ≤ 16)
}

func newServers(primary string, configured, pushed []string) *servers {
	return &servers{urls: merge(primary, configured, pushed), pushed: slices.Clone(pushed)}
}

// merge builds the ordered, de-duplicated, valid, bounded list.
func merge(primary string, configured, pushed []string) []string {
	out := []string{primary}
	for _, u := range append(slices.Clone(configured), pushed...) {
		if len(out) == MaxServers {
			break
		}
		if config.ValidateServerURL(u) != nil || slices.Contains(out, u) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// current is the URL the next dial uses.
func (s *servers) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urls[s.cur]
}

// advance moves to another URL after a failed dial; wrapped reports that
// a whole round has failed (always, with one URL).
func (s *servers) advance() (wrapped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried |= 1 << s.cur
	var left []int
	for i := range s.urls {
		if s.tried&(1<<i) == 0 {
			left = append(left, i)
		}
	}
	if len(left) == 0 {
		s.cur, s.tried = 0, 0
		return true
	}
	s.cur = left[rand.IntN(len(left))]
	return false
}

// linked ends the round: the URL in use works, so a later failure starts
// a new one.
func (s *servers) linked() {
	s.mu.Lock()
	s.tried = 0
	s.mu.Unlock()
}

// setPushed applies a welcome's list (nil: the server sent none, which
// keeps the last one); it reports whether the pushed list changed. The
// URL in use stays in use.
func (s *servers) setPushed(primary string, configured, pushed []string) bool {
	if pushed == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Equal(pushed, s.pushed) {
		return false
	}
	inUse := s.urls[s.cur]
	s.pushed = slices.Clone(pushed)
	s.urls = merge(primary, configured, pushed)
	s.cur = max(0, slices.Index(s.urls, inUse))
	s.tried = 0
	return true
}

// list is a copy of the URLs in order.
func (s *servers) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.urls)
}
