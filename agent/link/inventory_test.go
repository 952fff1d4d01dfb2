package link

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

type fakeInventory struct {
	mu   sync.Mutex
	pkgs []protocol.SoftwarePackage
	host string
}

func (f *fakeInventory) Collect(context.Context) (protocol.Inventory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return protocol.Inventory{
		Header: protocol.Header{Type: protocol.TypeInventory}, Full: true, At: time.Now().UTC(),
		OS:       &protocol.OSInfo{Name: "linux", Hostname: f.host},
		CPU:      &protocol.CPUInfo{Model: "test", Cores: 2, Threads: 4},
		Software: append([]protocol.SoftwarePackage(nil), f.pkgs...),
	}, nil
}

func (f *fakeInventory) set(fn func(*fakeInventory)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

type memStore struct {
	mu   sync.Mutex
	inv  protocol.Inventory
	have bool
}

func (m *memStore) Load() (protocol.Inventory, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inv, m.have, nil
}

func (m *memStore) Save(inv protocol.Inventory) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inv, m.have = inv, true
	return nil
}

func sw(name, version string) protocol.SoftwarePackage {
	return protocol.SoftwarePackage{Name: name, Version: version, Source: "dpkg"}
}

func TestInventoryFullOnConnectThenDiffs(t *testing.T) {
	inv := &fakeInventory{host: "h1", pkgs: []protocol.SoftwarePackage{sw("bash", "5.2"), sw("curl", "7.88")}}
	store := &memStore{}
	srv := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600, InventoryWanted: true})
	r := start(t, srv, &seqSampler{}, func(o *Options) {
		o.Inventory, o.InventoryStore, o.InventoryEvery = inv, store, 30*time.Millisecond
	})
	full := decode[protocol.Inventory](t, srv.next(protocol.TypeInventory, 2*time.Second).raw)
	if !full.Full || len(full.Software) != 2 || full.OS == nil || full.CPU == nil {
		t.Fatalf("first inventory = %+v", full)
	}
	// Nothing changes: several ticks pass without an inventory frame.
	time.Sleep(150 * time.Millisecond)
	for len(srv.frames) > 0 {
		if f := <-srv.frames; f.typ == protocol.TypeInventory {
			t.Fatalf("unchanged machine sent %s", f.raw)
		}
	}
	inv.set(func(f *fakeInventory) { f.pkgs = []protocol.SoftwarePackage{sw("bash", "5.2"), sw("htop", "3.2")} })
	d := decode[protocol.Inventory](t, srv.next(protocol.TypeInventory, 2*time.Second).raw)
	if d.Full || d.OS != nil || d.CPU != nil || d.Software != nil {
		t.Errorf("diff carries unchanged sections: %+v", d)
	}
	if len(d.SoftwareAdded) != 1 || d.SoftwareAdded[0].Name != "htop" || len(d.SoftwareRemoved) != 1 || d.SoftwareRemoved[0].Name != "curl" {
		t.Errorf("diff software: +%v -%v", d.SoftwareAdded, d.SoftwareRemoved)
	}
	// The store is written just after the frame, so give it a moment.
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, _, _ := store.Load()
		if len(got.Software) == 2 && got.Software[1].Name == "htop" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store holds %+v", got.Software)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.stop()

	// A restart with the store: the server has an inventory and nothing
	// changed, so nothing is sent; then the hostname changes while offline
	// and a full inventory goes on connect.
	srv2 := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	r2 := start(t, srv2, &seqSampler{}, func(o *Options) {
		o.Inventory, o.InventoryStore, o.InventoryEvery = inv, store, time.Hour
	})
	srv2.next(protocol.TypeHeartbeat, 2*time.Second)
	time.Sleep(50 * time.Millisecond)
	for len(srv2.frames) > 0 {
		if f := <-srv2.frames; f.typ == protocol.TypeInventory {
			t.Fatalf("unchanged inventory resent on connect: %s", f.raw)
		}
	}
	r2.stop()

	inv.set(func(f *fakeInventory) { f.host = "h2" })
	srv3 := newFakeServer(t, protocol.Welcome{HeartbeatInterval: 3600})
	start(t, srv3, &seqSampler{}, func(o *Options) {
		o.Inventory, o.InventoryStore, o.InventoryEvery = inv, store, time.Hour
	})
	f := decode[protocol.Inventory](t, srv3.next(protocol.TypeInventory, 2*time.Second).raw)
	if !f.Full || f.OS == nil || f.OS.Hostname != "h2" || len(f.Software) != 2 {
		t.Errorf("changed-while-offline inventory = %+v", f)
	}
}
