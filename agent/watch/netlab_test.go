//go:build linux

package watch

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/plugins"
	"github.com/breeze-rmm/breeze/agent/plugins/pluginstest"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/pack"
	"github.com/breeze-rmm/breeze/test/netlab"
)

// On real hosts in network namespaces (made by this test; nothing else is
// probed), the agent's plugin manager running the real, signed netsweep and
// tcpscan: a host answering ICMP is up via icmp, one ignoring ICMP with a
// listener on its watched port is up via tcp, and one removed from the lab
// is down (every probe ran, none answered).
func TestWatchRealHosts(t *testing.T) {
	lab := netlab.New(t, netlab.Options{})
	pinged, quiet, gone := lab.AddHost("pinged"), lab.AddHost("quiet"), lab.AddHost("gone")
	const port = 9100
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := quiet.Exec(ctx, "sysctl", "-w", "net.ipv4.icmp_echo_ignore_all=1"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := quiet.ListenTCP(port); err != nil {
		t.Fatal(err)
	}
	lab.RemoveHost(gone)

	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ps := pluginstest.NewServer(t, "dev-1", "brz_token", nil)
	offers := []protocol.PluginOffer{ps.Offer(pluginstest.Cached(t, "netsweep", priv), nil),
		ps.Offer(pluginstest.Cached(t, "tcpscan", priv), nil)}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn})
	mgr, err := plugins.New(plugins.Deps{ServerURL: ps.URL, Token: config.Secret("brz_token"), AgentVersion: "1.0.0",
		StateDir: t.TempDir(), TrustedKeys: []ed25519.PublicKey{pub}, Scripts: scripts.NewRegistry(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mctx, stopMgr := context.WithCancel(context.Background())
	mgrDone := make(chan struct{})
	go func() { defer close(mgrDone); mgr.Run(mctx) }()
	defer func() { stopMgr(); <-mgrDone }()
	synced := mgr.Synced()
	mgr.Offer(offers)
	<-synced
	for _, st := range mgr.States() {
		if st.State != plugins.StateRunning {
			t.Fatalf("plugin %+v", st)
		}
	}

	s := &fakeSender{reports: make(chan protocol.WatchReport, 4)}
	w := New(Deps{Prober: mgr, Sender: s, Logger: log, Jitter: 10 * time.Millisecond})
	wctx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); w.Run(wctx) }()
	defer func() { stopWatch(); <-watchDone }()
	w.Set(protocol.Watch{IntervalSeconds: protocol.MinWatchIntervalSeconds, Hosts: []protocol.WatchHost{
		{ID: "pinged", IP: pinged.IP.String(), Ports: []int{port}},
		{ID: "quiet", IP: quiet.IP.String(), Ports: []int{port}},
		{ID: "gone", IP: gone.IP.String(), Ports: []int{port}},
	}})
	var r protocol.WatchReport
	select {
	case r = <-s.reports:
	case <-ctx.Done():
		t.Fatal("no watch report")
	}
	got := byID(r.Results)
	t.Logf("report: %+v", r.Results)
	if p := got["pinged"]; !p.Up || p.Via != "icmp" || p.RTTMs <= 0 || p.Err != "" {
		t.Errorf("pinged: %+v", p)
	}
	if q := got["quiet"]; !q.Up || q.Via != "tcp" || q.Err != "" {
		t.Errorf("quiet: %+v", q)
	}
	if g := got["gone"]; g != (protocol.WatchResult{ID: "gone"}) {
		t.Errorf("gone: %+v", g)
	}
	if len(r.Results) != 3 || r.Type != protocol.TypeWatchReport {
		t.Errorf("report %+v", r)
	}
}
