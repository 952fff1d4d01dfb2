package scans_test

import (
	"context"
	"crypto/ed25519"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/backoff"
	agentcmd "github.com/breeze-rmm/breeze/agent/commands"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/link"
	"github.com/breeze-rmm/breeze/agent/plugins"
	"github.com/breeze-rmm/breeze/agent/plugins/pluginstest"
	"github.com/breeze-rmm/breeze/agent/remote"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

type sampler struct{}

func (sampler) Sample(context.Context) protocol.Heartbeat { return protocol.Heartbeat{At: time.Now()} }

// The real agent (link, executor, plugin manager) with the real, signed
// tcpscan plugin scans 127.0.0.0/23 for a listener on 127.0.0.1: its
// results cross the real link as discover_page frames, are merged page by
// page, and the scan succeeds with the open port seen.
func TestRealAgentWithTCPScan(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	id, token := e.NewDevice(t, tn, 0, "real-agent")
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ps := pluginstest.NewServer(t, id, token, nil)
	offer := ps.Offer(pluginstest.Cached(t, "tcpscan", priv), nil)
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn})
	dir := t.TempDir()
	mgr, err := plugins.New(plugins.Deps{ServerURL: ps.URL, Token: config.Secret(token), AgentVersion: "1.0.0",
		StateDir: dir, TrustedKeys: []ed25519.PublicKey{pub}, Scripts: scripts.NewRegistry(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mgrDone := make(chan struct{})
	go func() { defer close(mgrDone); mgr.Run(ctx) }()
	synced := mgr.Synced()
	mgr.Offer([]protocol.PluginOffer{offer})
	<-synced
	d := &remote.Dispatcher{}
	ex, err := agentcmd.New(agentcmd.Deps{StatePath: filepath.Join(dir, "commands.json"), Sender: d, Logger: log,
		Power: agentcmd.NewDryRunPower(""),
		DiscoverPages: func(ctx context.Context, p protocol.DiscoverPayload,
			page func(context.Context, []protocol.DiscoverAsset, int) error) (protocol.DiscoverCounts, error) {
			return mgr.DiscoverPages(ctx, p, plugins.PageSink(page))
		}})
	if err != nil {
		t.Fatal(err)
	}
	d.Commands = ex
	l, err := link.New(link.Options{ServerURL: e.URL(t), DeviceID: id, Token: config.Secret(token), AgentVersion: "1.0.0",
		Sampler: sampler{}, Remote: d, FirstJitter: -1, DrainSpacing: -1, Logger: log,
		Backoff: backoff.Policy{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	linkDone := make(chan struct{})
	go func() { defer close(linkDone); _ = l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-linkDone
		d.Close()
		<-mgrDone
	})
	waitFor(t, 10*time.Second, "the real agent online", func() bool {
		dev, err := e.Store.Devices().Get(context.Background(), domain.GlobalScope(), id)
		return err == nil && dev.Status == domain.DeviceOnline
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"127.0.0.0/23"}, Addresses: 512,
		Methods: []domain.DiscoveryMethod{domain.MethodTCP}, Ports: []int{port}, RatePerSecond: 5000, Concurrency: 256,
		ScannerDeviceIDs: []string{id}})
	job, err := e.svc.Start(context.Background(), admin(tn), prof)
	if err != nil {
		t.Fatal(err)
	}
	var j *domain.ScanJob
	waitFor(t, 60*time.Second, "the scan to end", func() bool {
		j, err = e.Store.DiscoveryScans().GetSystem(context.Background(), job.ID)
		return err == nil && j.Status.Final()
	})
	if j.Status != domain.ScanSucceeded || j.Partial || j.Scanned != 512 || j.AssetsFound < 500 || len(j.Commands) != 1 {
		t.Fatalf("job %+v", j)
	}
	merges := e.sink.merges(job.ID)
	open, n := false, 0
	for _, m := range merges {
		if len(m.obs) > protocol.MaxDiscoverPageAssets {
			t.Fatalf("a page of %d", len(m.obs))
		}
		for _, o := range m.obs {
			n++
			if o.IP == "127.0.0.1" && slices.Contains(o.OpenPorts, port) && o.Method == domain.MethodTCP {
				open = true
			}
		}
	}
	if len(merges) < 2 || n != j.AssetsFound || !open || j.Commands[0].Pages != len(merges) {
		t.Fatalf("%d pages, %d observations, port seen %v, job %+v", len(merges), n, open, j)
	}
	if f := e.sink.finishOfWait(t, job.ID); len(f) != 1 || !f[0].complete {
		t.Fatalf("finish %+v", f)
	}
}
