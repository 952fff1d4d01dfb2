package agentws_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
)

// device returns the n-th test device id.
func device(n int) string { return fmt.Sprintf("0190a0b0-0000-7000-8000-%012x", 0x1000+n) }

func from(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

// A link that answers pings but never says hello is closed at the hello
// deadline, and its pending place is freed.
func TestALinkWithoutHelloIsClosedAtTheDeadline(t *testing.T) {
	e := newEnv(t, agentws.Options{HelloTimeout: 300 * time.Millisecond,
		PingInterval: 100 * time.Millisecond, ReadTimeout: time.Second})
	c := e.link(t, devA)
	start := time.Now()
	code, frames := closeCode(t, c, 3*time.Second) // reading answers the pings
	if code != websocket.ClosePolicyViolation || len(frames) == 0 || frames[len(frames)-1]["code"] != "hello_timeout" {
		t.Fatalf("close %d after %v, frames %v", code, time.Since(start), frames)
	}
	waitFor(t, func() bool { return !e.hub.Linked(devA) && e.hub.Stats().Pending == 0 })
}

// The attack of issue 12: one party with many agent tokens opens every
// pending link it can from one address and never says hello. Another
// source's agent still links.
func TestOneSourceCannotTakeEveryPendingPlace(t *testing.T) {
	e := newEnv(t, agentws.Options{})
	admitted := 0
	for i := 0; i < agentws.DefaultMaxPendingHellos; i++ {
		c, resp, err := e.dial(t, device(i), from("203.0.113.7"))
		if err != nil {
			if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("dial %d: %v %+v", i, err, resp)
			}
			continue
		}
		admitted++
		_ = c
	}
	if admitted != agentws.DefaultMaxPendingPerSrc {
		t.Fatalf("one source holds %d pending links, want %d", admitted, agentws.DefaultMaxPendingPerSrc)
	}
	// The same /64 is the same source.
	if _, resp, err := e.dial(t, device(100), from("2001:db8::1")); err != nil {
		t.Fatalf("v6 agent: %v %+v", err, resp)
	}
	c, resp, err := e.dial(t, devA, from("198.51.100.20"))
	if err != nil {
		t.Fatalf("an agent from another address is locked out: %v %+v", err, resp)
	}
	hello(t, c)
}

func TestAnIPv6SourceIsItsSlash64(t *testing.T) {
	e := newEnv(t, agentws.Options{MaxPendingPerSource: 2})
	e.dialOK(t, device(1), from("2001:db8:0:1::1"))
	e.dialOK(t, device(2), from("2001:db8:0:1::ffff"))
	if _, resp, err := e.dial(t, device(3), from("2001:db8:0:1:abcd::3")); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third link from one /64: %v %+v", err, resp)
	}
	e.dialOK(t, device(4), from("2001:db8:0:2::1"))
}

// A device holds one pending place: its newer link takes over the older
// one's place even when every place is taken, and replaces the older link.
func TestANewerPendingLinkTakesOverTheOlderOnesPlace(t *testing.T) {
	e := newEnv(t, agentws.Options{MaxPendingHellos: 1})
	old := e.dialOK(t, devA, from("192.0.2.1"))
	if _, resp, err := e.dial(t, devB, from("192.0.2.2")); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another device with every place taken: %v %+v", err, resp)
	}
	c := e.dialOK(t, devA, from("192.0.2.3")) // the agent restarted, from elsewhere
	if code, _ := closeCode(t, old, 3*time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("older link closed with %d", code)
	}
	hello(t, c)
	if p := e.hub.Stats().Pending; p != 0 {
		t.Fatalf("%d pending after the hello", p)
	}
	e.dialOK(t, devB, from("192.0.2.2"))
}

func (e *env) dialOK(t *testing.T, device string, hdr http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := e.dial(t, device, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v %+v", device, err, resp)
	}
	return c
}
