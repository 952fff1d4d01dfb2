package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/adapters/http/remoteio"
	"github.com/breeze-rmm/breeze/adapters/memory"
	redisad "github.com/breeze-rmm/breeze/adapters/redis"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/app/files"
	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/core/app/remote"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/app/terminal"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// queueDrainTimeout bounds how long a stopping node waits for running tasks.
const queueDrainTimeout = 10 * time.Second

// Remote is the remote-work side of a node: the bus and presence registry
// (in process, or Redis shared by every node), the durable queue (in the
// SQLite database, or asynq on Redis), the relay between nodes, and the
// command and script services.
type Remote struct {
	NodeID   string
	Bus      ports.Bus
	Registry ports.PresenceRegistry
	Queue    ports.Queue
	Relay    *relay.Relay
	Events   *events.Publisher
	Commands *commands.Service
	Scripts  *scripts.Service
	// Router takes the agents' remote-work frames (the hub's Remote).
	Router *remote.Router
	// Secrets seals secret values at rest (script parameters here, plugin
	// settings in BuildPlugins): one key per deployment.
	Secrets  *secretbox.Box
	Tickets  *tickets.Service
	Terminal *terminal.Broker
	Files    *files.Service
	sockets  *remoteio.Sockets

	log   hclog.Logger
	close []func() error
	jobs  sync.WaitGroup
}

// BuildRemote builds the remote-work side of the node on the agents' hub,
// in one pass: the bus, registry and queue (on Redis when id.Redis is set;
// a PostgreSQL deployment needs Redis, its queue, bus and presence live
// there), the relay, the command and script services and the router that
// takes the agents' remote-work frames (mounted with the hub), tickets,
// the terminal broker and file transfers; sign-outs end what they opened
// on every node.
//
// monitor hears every finished command (alerting's intake; nil: nobody).
func BuildRemote(cfg *config.Config, st ports.Store, id *Identity, hub *agentws.Hub, monitor commands.RunObserver, log hclog.Logger) (_ *Remote, err error) {
	log = log.Named("remote")
	r := &Remote{NodeID: nodeID(), log: log}
	defer func() {
		if err != nil {
			r.closeAll()
		}
	}()
	if err := r.openMessaging(cfg, st, id); err != nil {
		return nil, err
	}
	r.Events = &events.Publisher{Bus: r.Bus, Logger: log}
	if r.Relay, err = relay.New(relay.Deps{Bus: r.Bus, Registry: r.Registry, NodeID: r.NodeID, Links: hub, Logger: log}); err != nil {
		return nil, err
	}
	// Secret script parameters are sealed at rest with the key that seals
	// plugin settings and second factors (opened by BuildIdentity).
	r.Secrets = id.Secrets
	// Run progress needs neither service: built first, both get it.
	progress, err := scripts.NewProgress(scripts.ProgressDeps{Store: st, Events: r.Events, Logger: log.Named("scripts")})
	if err != nil {
		return nil, err
	}
	if r.Commands, err = commands.New(commands.Deps{Store: st, Sender: r.Relay, Queue: r.Queue, Events: r.Events,
		Runs: progress, Monitor: monitor, Sealer: r.Secrets, Logger: log.Named("commands")}); err != nil {
		return nil, err
	}
	if r.Scripts, err = scripts.New(scripts.Deps{Store: st, Commands: r.Commands, Queue: r.Queue, Events: r.Events,
		Progress: progress, Sealer: r.Secrets, Logger: log.Named("scripts")}); err != nil {
		return nil, err
	}
	r.Commands.RegisterTasks(r.Queue)
	r.Scripts.RegisterTasks(r.Queue)
	r.Router = remote.New(remote.Deps{Relay: r.Relay, Commands: r.Commands, Logger: log})

	if r.Tickets, err = tickets.New(tickets.Deps{Tickets: st.Tickets(), Devices: st.Devices(), Auth: id.Auth}); err != nil {
		return nil, err
	}
	if r.Terminal, err = terminal.New(terminal.Deps{Relay: r.Relay, Bus: r.Bus, Devices: st.Devices(), Auth: id.Auth,
		Audit: st.Audit(), Logger: log.Named("terminal"), IdleTimeout: cfg.TerminalIdle}); err != nil {
		return nil, err
	}
	if r.Files, err = files.New(files.Deps{Relay: r.Relay, Devices: st.Devices(), Audit: st.Audit(),
		Logger: log.Named("files"), MaxBytes: cfg.FileMax}); err != nil {
		return nil, err
	}
	return r, nil
}

// openMessaging opens the bus, the presence registry and the durable queue.
func (r *Remote) openMessaging(cfg *config.Config, st ports.Store, id *Identity) error {
	r.Bus = id.Bus // closed with the identity side, after this one stops
	if id.Redis != nil {
		r.Registry = redisad.NewPresenceRegistry(redisad.PresenceRegistryDeps{Client: id.Redis, Prefix: cfg.RedisPrefix + "presence:"})
		q, err := newRedisQueue(id, cfg.RedisPrefix+"q:", r.log)
		if err != nil {
			return err
		}
		r.Queue = q
		return nil
	}
	sq, ok := st.(*sqlite.Store)
	if !ok {
		return errors.New("a PostgreSQL database needs BREEZE_REDIS_URL: the queue, bus and presence registry of a PostgreSQL deployment live in Redis")
	}
	r.Registry = memory.NewPresenceRegistry(memory.PresenceRegistryOptions{})
	q, err := sqlite.NewQueue(sqlite.QueueDeps{Store: sq, Logger: r.log.Named("queue")})
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	r.Queue = q
	return nil
}

// Register mounts the tickets, terminal, events and file routes on srv.
func (r *Remote) Register(srv *httpapi.Server, cfg *config.Config, id *Identity, secure bool) {
	r.sockets = remoteio.Register(srv, remoteio.Deps{Tickets: r.Tickets, Terminal: r.Terminal, Files: r.Files,
		Bus: r.Bus, Auth: id.Auth, Logger: r.log.Named("ws"),
		Options: remoteio.Options{AllowedOrigins: cfg.OriginList(), TLS: secure}})
}

// DeviceEvents sends device status changes to browsers as well as the log.
func (r *Remote) DeviceEvents(next agents.Events) agents.Events {
	return events.DeviceEvents{Publisher: r.Events, Next: next}
}

// Start runs the relay and the queue workers until ctx ends.
func (r *Remote) Start(ctx context.Context) error {
	ready := make(chan struct{})
	r.jobs.Add(1)
	go func() {
		defer r.jobs.Done()
		if err := r.Relay.Run(ctx, ready); err != nil {
			r.log.Error("relay stopped", "error", err)
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		return errors.New("relay: the bus did not accept the node subscription in time")
	}
	if err := r.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	r.jobs.Add(3)
	go func() { defer r.jobs.Done(); r.Events.Run(ctx) }() // events leave through a queue from now on
	go func() { defer r.jobs.Done(); r.Commands.RunSweeper(ctx, commands.DefaultSweepEvery) }()
	go func() { defer r.jobs.Done(); r.Router.Run(ctx) }()
	return nil
}

// Stop drains the queue (running tasks get queueDrainTimeout) and closes
// what BuildRemote opened (the bus belongs to Identity); ctx given to Start
// must be done.
func (r *Remote) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), queueDrainTimeout)
	defer cancel()
	if r.sockets != nil {
		_ = r.sockets.Shutdown(ctx)
	}
	if err := r.Queue.Shutdown(ctx); err != nil {
		r.log.Warn("queue did not drain in time", "error", err)
	}
	r.jobs.Wait()
	r.closeAll()
}

// closeAll closes what BuildRemote opened, newest first.
func (r *Remote) closeAll() {
	for i := len(r.close) - 1; i >= 0; i-- {
		_ = r.close[i]()
	}
	r.close = nil
}

// nodeID names this process among the nodes: host name and a random tag
// (a restarted node is a new node; its old claims simply expire).
func nodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	if len(host) > 64 {
		host = host[:64]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

var _ agentws.Remote = (*remote.Router)(nil)
