package link

import (
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// The URL tried after a dead one is drawn among the others: a dead node's
// agents spread over the survivors, not all onto the URL after it.
func TestFailoverSpreads(t *testing.T) {
	urls := []string{"https://b.example", "https://c.example", "https://d.example"}
	got := map[string]int{}
	for range 300 {
		s := newServers("https://a.example", urls, nil)
		s.advance() // a is dead
		got[s.current()]++
	}
	for _, u := range urls {
		if got[u] < 50 {
			t.Fatalf("after a dead first URL: %v (want each of %v about a third)", got, urls)
		}
	}
	// A link made ends the round: the next failure starts a new one.
	s := newServers("https://a.example", urls, nil)
	s.advance()
	s.advance()
	s.linked()
	for i := range 3 {
		if s.advance() {
			t.Fatalf("wrapped after %d failures of a new round", i+1)
		}
	}
}

func TestServersList(t *testing.T) {
	s := newServers("https://a.example", []string{"https://b.example", "https://a.example", "ftp://bad", "https://c.example"}, nil)
	if got := s.list(); !slices.Equal(got, []string{"https://a.example", "https://b.example", "https://c.example"}) {
		t.Fatalf("list %v (dedupe, invalid dropped, configured first)", got)
	}
	// A round visits every URL once, then wraps to the first.
	if s.current() != "https://a.example" {
		t.Fatalf("first URL %s", s.current())
	}
	seen := map[string]bool{s.current(): true}
	for range 2 {
		if s.advance() || seen[s.current()] {
			t.Fatalf("advance wrapped early or came back to %s (seen %v)", s.current(), seen)
		}
		seen[s.current()] = true
	}
	if !s.advance() || s.current() != "https://a.example" {
		t.Fatal("a round of three failures does not wrap to the first URL")
	}
	for s.current() != "https://b.example" {
		if s.advance() {
			t.Fatal("b never came in a round")
		}
	}
	// A pushed list joins after the configured ones; the URL in use stays.
	if !s.setPushed("https://a.example", []string{"https://b.example", "https://c.example"}, []string{"https://d.example", "https://b.example"}) {
		t.Fatal("a new pushed list is no change")
	}
	if got := s.list(); !slices.Equal(got, []string{"https://a.example", "https://b.example", "https://c.example", "https://d.example"}) || s.current() != "https://b.example" {
		t.Fatalf("after the push %v, in use %s", got, s.current())
	}
	if s.setPushed("https://a.example", nil, []string{"https://d.example", "https://b.example"}) {
		t.Fatal("the same pushed list again is a change")
	}
	if s.setPushed("https://a.example", nil, nil) {
		t.Fatal("a welcome without a list changed it")
	}
	many := make([]string, 20)
	for i := range many {
		many[i] = "https://n" + strings.Repeat("x", i) + ".example"
	}
	if got := newServers("https://a.example", many, nil).list(); len(got) != MaxServers {
		t.Fatalf("%d URLs, want at most %d", len(got), MaxServers)
	}
}

// A dead first URL: the agent links through the next one without the
// backoff a dead single server would cost, and keeps the URLs the server
// pushes.
func TestLinkTriesTheNextServer(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{DeviceID: testDevice, HeartbeatInterval: 60,
		ServerURLs: []string{"https://dr.example.test"}})
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String()
	dead.Close() // nothing listens there now
	var mu sync.Mutex
	var pushed []string
	started := time.Now()
	r := start(t, srv, &seqSampler{}, func(o *Options) {
		o.ServerURL = deadURL
		o.ServerURLs = []string{srv.srv.URL}
		o.Backoff.Base, o.Backoff.Cap = 200*time.Millisecond, time.Hour // a wrapped round would wait long
		o.OnServerURLs = func(u []string) { mu.Lock(); pushed = u; mu.Unlock() }
	})
	select {
	case f := <-srv.frames:
		if f.typ != protocol.TypeHello {
			t.Fatalf("first frame %s", f.typ)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("never linked through the second URL; log:\n%s", r.logs.String())
	}
	if waited := time.Since(started); waited > 5*time.Second {
		t.Errorf("linking through the second URL took %s", waited)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		p := slices.Clone(pushed)
		mu.Unlock()
		if len(p) > 0 {
			if !slices.Equal(p, []string{"https://dr.example.test"}) {
				t.Fatalf("pushed %v", p)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the welcome's URLs were not handed on")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.link.Server() != srv.srv.URL || !slices.Equal(r.link.Servers(), []string{deadURL, srv.srv.URL, "https://dr.example.test"}) {
		t.Fatalf("in use %s of %v", r.link.Server(), r.link.Servers())
	}
	if !strings.Contains(r.logs.String(), "trying the next one") {
		t.Errorf("the switch was not logged:\n%s", r.logs.String())
	}
}
