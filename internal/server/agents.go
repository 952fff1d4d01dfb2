package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// Agent settings. They are constants until the configuration grows fields
// for them (BREEZE_TELEMETRY_RETENTION, BREEZE_AGENT_DIR); the heartbeat
// interval is cfg.AgentHeartbeat.
const (
	TelemetryRetention   = agents.DefaultRetention
	agentShutdownTimeout = 10 * time.Second
)

// Agents is the agent side of the server: the use cases, the WebSocket hub
// and the background jobs (telemetry batch writer, presence sweeper,
// retention).
type Agents struct {
	Service   *agents.Service
	Hub       *agentws.Hub
	Batch     *agents.BatchWriter
	Sweeper   *agents.Sweeper
	Retention *agents.Retention
	// DownloadDir holds the agent binaries served at /downloads/:file.
	DownloadDir string

	log  hclog.Logger
	jobs sync.WaitGroup
}

// AgentLinks are what the agent side is built on: the hub holding this
// node's agent links, where device status changes go (nil: the log only),
// and which agent-side plugins each device should run (nil: none).
type AgentLinks struct {
	Hub     *agentws.Hub
	Events  agents.Events
	Plugins agents.PluginOffers
	// Monitor judges accepted heartbeats (the alert evaluator); nil: none.
	Monitor agents.SampleObserver
	// Reports hears stored inventory and plugin states (alerting); nil: none.
	Reports agents.ReportObserver
	// Certs is the agents' CA (mutual TLS); nil: no certificates.
	Certs agents.Certs
}

// NewHub builds the hub of this node's agent links. The relay and the
// agent use cases are built on it; it gets its handlers when mounted
// (Hub.Register).
func NewHub(log hclog.Logger) (*agentws.Hub, error) {
	return agentws.New(agentws.Deps{Logger: log.Named("agents").Named("link")})
}

// BuildAgents wires the agent side on st and l.Hub and registers its
// metrics on reg.
func BuildAgents(cfg *config.Config, log hclog.Logger, st ports.Store, limiter ports.RateLimiter, reg prometheus.Registerer, l AgentLinks) (*Agents, error) {
	if l.Hub == nil {
		return nil, errors.New("agents: a hub is required")
	}
	log = log.Named("agents")
	clock := ports.ClockFunc(time.Now)
	a := &Agents{Hub: l.Hub, DownloadDir: agentDir(cfg), log: log}
	var err error
	if a.Batch, err = agents.NewBatchWriter(agents.BatchDeps{Store: st, Clock: clock, Logger: log}); err != nil {
		return nil, err
	}
	events := l.Events
	if events == nil {
		events = agents.LogEvents{Logger: log}
	}
	if a.Service, err = agents.New(agents.Deps{
		Store: st, Limiter: limiter, Clock: clock, Samples: a.Batch, Links: a.Hub, Events: events, Plugins: l.Plugins, Monitor: l.Monitor, Reports: l.Reports, Certs: l.Certs, Logger: log,
		HeartbeatInterval: cfg.AgentHeartbeat, Retention: TelemetryRetention, AgentURLs: cfg.AgentURLList(), ReleaseKeys: cfg.ReleaseKeyList(),
	}); err != nil {
		return nil, err
	}
	if a.Sweeper, err = agents.NewSweeper(agents.SweeperDeps{
		Store: st, Clock: clock, Events: events, Logger: log, Interval: cfg.AgentHeartbeat,
	}); err != nil {
		return nil, err
	}
	if a.Retention, err = agents.NewRetention(agents.RetentionDeps{Store: st, Clock: clock, Logger: log, Keep: TelemetryRetention}); err != nil {
		return nil, err
	}
	if reg != nil {
		if err := a.register(reg); err != nil {
			return nil, fmt.Errorf("agent metrics: %w", err)
		}
	}
	return a, nil
}

// agentDir is where agent binaries are served from: DATA_DIR/agents, or
// bin/agents (what `make agents` builds) when that does not exist.
func agentDir(cfg *config.Config) string {
	dir := filepath.Join(cfg.DataDir, "agents")
	if _, err := os.Stat(dir); err != nil {
		if st, err := os.Stat(filepath.Join("bin", "agents")); err == nil && st.IsDir() {
			return filepath.Join("bin", "agents")
		}
	}
	return dir
}

// Start runs the background jobs until ctx ends; when it does, every live
// link is closed with 1001 so agents reconnect elsewhere or after restart.
func (a *Agents) Start(ctx context.Context) {
	a.Batch.Start()
	a.jobs.Add(3)
	go func() { defer a.jobs.Done(); a.Sweeper.Run(ctx) }()
	go func() { defer a.jobs.Done(); a.Retention.Run(ctx) }()
	go func() {
		defer a.jobs.Done()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), agentShutdownTimeout)
		defer cancel()
		if err := a.Hub.Shutdown(sctx); err != nil {
			a.log.Warn("some agent links did not close in time", "error", err)
		}
	}()
}

// Stop waits for the jobs Start began (their ctx must be done), then writes
// the telemetry still queued.
func (a *Agents) Stop() {
	a.jobs.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), agentShutdownTimeout)
	defer cancel()
	_ = a.Hub.Shutdown(ctx) // no-op after Start's; closes links when Start never ran
	a.Batch.Stop(ctx)
	if n := a.Batch.Dropped(); n > 0 {
		a.log.Warn("telemetry samples were dropped while running", "samples", n)
	}
}

// register exports the hub's and the batch writer's counters.
func (a *Agents) register(reg prometheus.Registerer) error {
	stat := func(f func(agentws.Stats) float64) func() float64 {
		return func() float64 { return f(a.Hub.Stats()) }
	}
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "breeze_agents_linked", Help: "Agents with a live link to this node."},
			stat(func(s agentws.Stats) float64 { return float64(s.Linked) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_agent_links_opened_total", Help: "Agent links opened."},
			stat(func(s agentws.Stats) float64 { return float64(s.Upgrades) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_agent_links_shed_total", Help: "Agent connections refused to spread a reconnect storm or during shutdown."},
			stat(func(s agentws.Stats) float64 { return float64(s.Shed) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_agent_links_dropped_slow_total", Help: "Agent links dropped because the agent read too slowly."},
			stat(func(s agentws.Stats) float64 { return float64(s.SlowDropped) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_agent_links_flooded_total", Help: "Agent links closed for exceeding the frame rate limit."},
			stat(func(s agentws.Stats) float64 { return float64(s.Flooded) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_agent_bad_frames_total", Help: "Malformed, unknown or refused agent frames."},
			stat(func(s agentws.Stats) float64 { return float64(s.BadFrames) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_telemetry_samples_written_total", Help: "Heartbeat samples stored."},
			func() float64 { return float64(a.Batch.Written()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "breeze_telemetry_samples_dropped_total", Help: "Heartbeat samples dropped (queue full or database away too long)."},
			func() float64 { return float64(a.Batch.Dropped()) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
