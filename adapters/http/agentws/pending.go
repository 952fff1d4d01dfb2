package agentws

import (
	"net/netip"
	"sync"
	"time"
)

// pendingSlots admits links that are upgraded but have not yet said hello.
// Every such link already proved its agent token (the route's guard runs
// before the upgrade), yet one party holding many tokens (one enrollment
// key makes as many devices as it has uses) must not take every place and
// lock the other agents out. So the places are bounded three ways:
//   - per device: one; a newer link of the device takes over the older one's
//     place (the older link is replaced anyway once the newer one is added);
//   - per source (client IP as the trusted-proxy setting reports it; IPv6
//     by /64, what one host usually holds): MaxPendingPerSource;
//   - in all: MaxPendingHellos, the pace the store can take hellos at.
//
// A place is held until the hello is answered, the link ends, or the hello
// deadline passes (HelloTimeout), whichever comes first.
type pendingSlots struct {
	max, perSource int

	mu       sync.Mutex
	total    int
	bySource map[string]int
	byDevice map[string]*slot
}

// slot is one link's place.
type slot struct {
	device, source string
	// Guarded by pendingSlots.mu.
	held bool
	link *link     // the link holding it, once upgraded (attach)
	at   time.Time // when the link began to wait for its hello
}

func newPendingSlots(max, perSource int) *pendingSlots {
	return &pendingSlots{max: max, perSource: min(perSource, max),
		bySource: map[string]int{}, byDevice: map[string]*slot{}}
}

// acquire takes a place for a new link of device from source, or reports
// (false) that none is free for it.
func (p *pendingSlots) acquire(device, source string) (*slot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total, fromSource := p.total, p.bySource[source]
	old := p.byDevice[device]
	if old != nil { // its place is this link's to take over
		total--
		if old.source == source {
			fromSource--
		}
	}
	if total >= p.max || fromSource >= p.perSource {
		return nil, false
	}
	if old != nil {
		p.releaseLocked(old)
	}
	s := &slot{device: device, source: source, held: true}
	p.total++
	p.bySource[source]++
	p.byDevice[device] = s
	return s, true
}

// room reports whether acquire could succeed now, taking nothing: the
// cheap refusal before authentication (device is then unverified; it only
// counts its own place as free, as acquire would).
func (p *pendingSlots) room(device, source string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	total, fromSource := p.total, p.bySource[source]
	if old := p.byDevice[device]; old != nil {
		total--
		if old.source == source {
			fromSource--
		}
	}
	return total < p.max && fromSource < p.perSource
}

// release gives the place back (idempotent).
func (p *pendingSlots) release(s *slot) {
	if s == nil {
		return
	}
	p.mu.Lock()
	p.releaseLocked(s)
	p.mu.Unlock()
}

func (p *pendingSlots) releaseLocked(s *slot) {
	if !s.held {
		return
	}
	s.held = false
	p.total--
	if p.bySource[s.source]--; p.bySource[s.source] <= 0 {
		delete(p.bySource, s.source)
	}
	if p.byDevice[s.device] == s {
		delete(p.byDevice, s.device)
	}
}

// attach records the link holding s from now on, for the hello deadline.
func (p *pendingSlots) attach(s *slot, l *link, at time.Time) {
	p.mu.Lock()
	s.link, s.at = l, at
	p.mu.Unlock()
}

// overdue lists the links whose place has been held since before before.
func (p *pendingSlots) overdue(before time.Time) []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*link
	for _, s := range p.byDevice {
		if s.link != nil && s.at.Before(before) {
			out = append(out, s.link)
		}
	}
	return out
}

// count is how many places are held.
func (p *pendingSlots) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// sourceKey groups client addresses into sources: an IPv4 address alone,
// an IPv6 address by its /64.
func sourceKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
