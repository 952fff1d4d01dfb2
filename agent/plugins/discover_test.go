package plugins

import (
	"context"
	"crypto/ed25519"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/agent/plugins/pluginstest"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/protocol"
)

// The real tcpscan plugin on 127.0.0.0/23 (every loopback address answers,
// refused or accepted): 512 hosts arrive as pages of at most 256, in a
// growing scanned count that ends at the targets' size, and the listener's
// port shows open on 127.0.0.1. Nothing holds more than a page.
func TestDiscoverPagesWithTCPScan(t *testing.T) {
	k := newKeys(t)
	srv := pluginstest.NewServer(t, device, token, nil)
	offer := srv.Offer(pluginstest.Cached(t, "tcpscan", k.priv), nil)
	m := newManager(t, srv, []ed25519.PublicKey{k.pub}, t.TempDir(), scripts.NewRegistry(scripts.Builtin()...))
	ctx := context.Background()
	m.Sync(ctx, []protocol.PluginOffer{offer})
	if st := state(m, offer.ID); st.State != StateRunning {
		t.Fatalf("tcpscan: %+v", st)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	var mu sync.Mutex
	var sizes, scanned []int
	seen := map[string][]int{}
	counts, err := m.DiscoverPages(ctx, protocol.DiscoverPayload{Plugin: "breeze.tcpscan", Targets: []string{"127.0.0.0/23"},
		Ports: []int{port}, Stream: true, Options: []byte(`{"concurrency": 256, "ratePerSecond": 5000, "timeoutMs": 500}`)},
		func(_ context.Context, assets []Asset, n int) error {
			mu.Lock()
			defer mu.Unlock()
			sizes = append(sizes, len(assets))
			scanned = append(scanned, n)
			for _, a := range assets {
				seen[a.IP] = a.OpenPorts
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range sizes {
		if n == 0 || n > protocol.MaxDiscoverPageAssets {
			t.Fatalf("page sizes %v", sizes)
		}
		total += n
	}
	if len(sizes) < 2 || total != counts.Assets || counts.Pages != len(sizes) || counts.Scanned != 512 || total < 500 {
		t.Fatalf("pages %v, counts %+v", sizes, counts)
	}
	if !slices.IsSorted(scanned) || scanned[len(scanned)-1] != 512 {
		t.Fatalf("scanned %v", scanned)
	}
	if !slices.Contains(seen["127.0.0.1"], port) {
		t.Fatalf("127.0.0.1: %v", seen["127.0.0.1"])
	}
	for ip, ports := range seen {
		if !netip.MustParsePrefix("127.0.0.0/23").Contains(netip.MustParseAddr(ip)) || (ip != "127.0.0.1" && slices.Contains(ports, port)) {
			t.Fatalf("%s: %v", ip, ports)
		}
	}
}

func TestTargetIndex(t *testing.T) {
	ix := newTargetIndex([]string{"10.0.0.0/24", "10.0.1.5", "bad", "fd00::/120"})
	if ix.total != 256+1+256 {
		t.Fatalf("total %d", ix.total)
	}
	for ip, want := range map[string]int{"10.0.0.0": 1, "10.0.0.255": 256, "10.0.1.5": 257, "fd00::1": 259, "10.9.9.9": 0, "x": 0} {
		if got := ix.position(ip); got != want {
			t.Errorf("%s: %d, want %d", ip, got, want)
		}
	}
}
