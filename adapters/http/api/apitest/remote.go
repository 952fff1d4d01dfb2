package apitest

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/app/remote"
	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// RemoteParts are the remote-work side of a test server: an in-process bus
// and registry (one node), the durable queue of the store's profile, the
// relay and the command and script services.
type RemoteParts struct {
	Bus      *memory.Bus
	Registry *memory.PresenceRegistry
	Queue    ports.Queue
	Relay    *relay.Relay
	Events   *events.Publisher
	Commands *commands.Service
	Scripts  *scripts.Service
	// Schedules fires on this queue; its loop is not running (call Tick).
	Schedules *schedules.Service
	// Router hands the agents' remote-work frames to the above (the hub's
	// Remote).
	Router *remote.Router
	// Sealer seals secret parameters at rest (a random key per server).
	Sealer commands.Sealer
	// Scans runs discovery scans (nil unless Options.DiscoveryScans).
	Scans *scans.Service
}

// buildRemote wires remote work like the server does and starts the relay
// and the queue.
func buildRemote(t testing.TB, st ports.Store, hub *agentws.Hub, clock *Clock, log hclog.Logger, pg bool, wrapScriptQueue func(ports.Queue) ports.Queue, buildScans func(ports.Store, *RemoteParts) *scans.Service, monitor commands.RunObserver, beforeStart func(*RemoteParts), scheduleScans schedules.Scans) *RemoteParts {
	t.Helper()
	p := &RemoteParts{
		Bus:      memory.NewBus(memory.BusOptions{}),
		Registry: memory.NewPresenceRegistry(memory.PresenceRegistryOptions{}),
		Queue:    newTestQueue(t, st, pg, log),
	}
	var err error
	if p.Relay, err = relay.New(relay.Deps{Bus: p.Bus, Registry: p.Registry, NodeID: "test-node", Links: hub, Logger: log}); err != nil {
		t.Fatalf("apitest: relay: %v", err)
	}
	p.Events = &events.Publisher{Bus: p.Bus, Logger: log}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatalf("apitest: secretbox: %v", err)
	}
	p.Sealer = box
	progress, err := scripts.NewProgress(scripts.ProgressDeps{Store: st, Events: p.Events, Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("apitest: run progress: %v", err)
	}
	if p.Commands, err = commands.New(commands.Deps{Store: st, Sender: p.Relay, Queue: p.Queue, Events: p.Events, Clock: clock,
		Runs: progress, Monitor: monitor, Sealer: box, Logger: log}); err != nil {
		t.Fatalf("apitest: commands: %v", err)
	}
	scriptQueue := p.Queue
	if wrapScriptQueue != nil {
		scriptQueue = wrapScriptQueue(p.Queue)
	}
	if p.Scripts, err = scripts.New(scripts.Deps{Store: st, Commands: p.Commands, Queue: scriptQueue, Events: p.Events, Clock: clock,
		Progress: progress, Sealer: box, Logger: log}); err != nil {
		t.Fatalf("apitest: scripts: %v", err)
	}
	p.Commands.RegisterTasks(p.Queue)
	p.Scripts.RegisterTasks(p.Queue)
	if p.Schedules, err = schedules.New(schedules.Deps{Store: st, Scripts: p.Scripts, Commands: p.Commands, Queue: p.Queue, Sealer: box,
		Clock: clock, Logger: log, Scans: scheduleScans}); err != nil {
		t.Fatalf("apitest: schedules: %v", err)
	}
	p.Schedules.RegisterTasks(p.Queue)
	var byType map[string]remote.FrameHandler
	if buildScans != nil {
		// Discovery pages go to the scans' intake; its steps run on the queue.
		p.Scans = buildScans(st, p)
		p.Scans.RegisterTasks(p.Queue)
		byType = map[string]remote.FrameHandler{protocol.TypeDiscoverPage: p.Scans.FromAgent}
	}
	p.Router = remote.New(remote.Deps{Relay: p.Relay, Commands: p.Commands, Logger: log, ByType: byType})
	if beforeStart != nil {
		beforeStart(p) // more task handlers (alert remediation)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Relay.Run(ctx, ready) }()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("apitest: relay did not subscribe")
	}
	if err := p.Queue.Start(ctx); err != nil {
		t.Fatalf("apitest: start queue: %v", err)
	}
	intakeDone := make(chan struct{})
	go func() {
		defer close(intakeDone)
		if p.Scans != nil {
			p.Scans.Run(ctx)
		}
	}()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = p.Queue.Shutdown(sctx)
		cancel()
		<-done
		<-intakeDone
		_ = p.Bus.Close()
	})
	return p
}
