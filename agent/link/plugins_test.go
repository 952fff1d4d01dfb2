package link

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// The welcome's offers and later `plugins` frames reach OnPlugins; hello
// carries the plugin states and the capabilities of the moment.
func TestPluginOffersStatesAndCapabilities(t *testing.T) {
	offer := protocol.PluginOffer{ID: "acme.x", Version: "1.0.0", Kind: "collector", SHA256: "ab", ArchivePath: "/a"}
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600, Plugins: []protocol.PluginOffer{offer}})
	var mu sync.Mutex
	var got [][]protocol.PluginOffer
	caps := []string{"heartbeat"}
	states := []protocol.PluginState{{ID: "acme.x", Version: "1.0.0", State: "failed", Error: "untrusted key"}}
	start(t, srv, &seqSampler{}, func(o *Options) {
		o.OnPlugins = func(p []protocol.PluginOffer) { mu.Lock(); got = append(got, p); mu.Unlock() }
		o.CapabilitiesFunc = func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), caps...) }
		o.PluginStates = func() []protocol.PluginState { return states }
	})
	h := decode[protocol.Hello](t, srv.next(protocol.TypeHello, 2*time.Second).raw)
	if !reflect.DeepEqual(h.Plugins, states) || !reflect.DeepEqual(h.Capabilities, []string{"heartbeat"}) {
		t.Fatalf("hello = %+v", h)
	}
	time.Sleep(50 * time.Millisecond) // the welcome lands
	srv.send(1, protocol.Plugins{Header: protocol.Header{Type: protocol.TypePlugins}})
	waitUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	if !reflect.DeepEqual(got[0], []protocol.PluginOffer{offer}) || len(got[1]) != 0 {
		t.Errorf("offers = %+v", got)
	}
	caps = append(caps, "scripts:lua")
	mu.Unlock()
	srv.drop(1)
	h = decode[protocol.Hello](t, srv.next(protocol.TypeHello, 2*time.Second).raw)
	if !reflect.DeepEqual(h.Capabilities, []string{"heartbeat", "scripts:lua"}) {
		t.Errorf("second hello capabilities = %v", h.Capabilities)
	}
}

// CheckInventory sends what changed now rather than at the next tick.
func TestCheckInventorySendsChangesNow(t *testing.T) {
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600, InventoryWanted: true})
	inv := &fakeInventory{host: "a"}
	r := start(t, srv, &seqSampler{}, func(o *Options) { o.Inventory = inv; o.InventoryEvery = time.Hour })
	srv.next(protocol.TypeInventory, 2*time.Second)
	inv.set(func(f *fakeInventory) { f.host = "b" })
	r.link.CheckInventory()
	d := decode[protocol.Inventory](t, srv.next(protocol.TypeInventory, 2*time.Second).raw)
	if d.Full || d.OS == nil || d.OS.Hostname != "b" {
		t.Fatalf("diff = %+v", d)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
