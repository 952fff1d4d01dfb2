// Package server wires configuration, storage and the HTTP edge into a
// running Breeze server. cmd/breeze stays a thin shell around it.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/web"
)

// Version is set at build time (-ldflags "-X .../internal/server.Version=...").
var Version = "dev"

// Deps are what Run needs from its caller.
type Deps struct {
	Config *config.Config
	Logger hclog.Logger
	// Ready, when set, is told the address the server listens on once it accepts connections.
	Ready func(addr string)
	// Out receives the sign-in banner of a demo start; nil: standard output.
	Out io.Writer
}

// RefreshTTL is how long a sign-in lasts without activity.
const RefreshTTL = 30 * 24 * time.Hour

// printCredentials shows where and how to sign in, for `make run`.
func printCredentials(w io.Writer, url string, c *Credentials) {
	if w == nil {
		w = os.Stdout
	}
	fmt.Fprintf(w, "\n  Breeze is ready: open %s\n  sign in as %s with password %s\n\n", url, c.Email, c.Password)
}

// Run starts the server and blocks until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, d Deps) error {
	cfg, log := d.Config, d.Logger

	if kind, _, _ := config.ParseDatabaseURL(cfg.DatabaseURL); kind == config.Postgres && cfg.RedisURL == "" {
		return fmt.Errorf("%w: BREEZE_REDIS_URL: a PostgreSQL deployment keeps its queue, bus and presence registry in Redis; set BREEZE_REDIS_URL (e.g. redis://127.0.0.1:6379/0)", config.ErrConfig)
	}
	// Bind first: a port in use is the commonest mistake, and it should not
	// wait behind a migration.
	ln, err := Listen(cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()

	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := Migrate(ctx, st, log); err != nil {
		return err
	}

	id, err := BuildIdentity(ctx, cfg, log, st)
	if err != nil {
		return err
	}
	defer id.Close()
	creds, err := FirstStart(ctx, cfg, log, st, id.Hasher)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// One pass, inner parts first: the hub holds the links the relay
	// reaches; remote work and plugins are built on the relay; the agent
	// side on the hub, remote work's events and the plugin offers; the hub
	// gets its handlers when mounted.
	hub, err := NewHub(log)
	if err != nil {
		return fmt.Errorf("build agent hub: %w", err)
	}
	// Alerting's report intake exists before remote work, which reports
	// finished commands to it.
	intake := alerts.NewIntake(alerts.DefaultQueue)
	rw, err := BuildRemote(cfg, st, id, hub, intake, log)
	if err != nil {
		return fmt.Errorf("build remote work: %w", err)
	}
	pl, err := BuildPlugins(cfg, st, rw, log)
	if err != nil {
		return fmt.Errorf("build plugins: %w", err)
	}
	mt, err := BuildMaintenance(st, rw, log)
	if err != nil {
		return fmt.Errorf("build maintenance: %w", err)
	}
	nt, err := BuildNotify(st, rw, pl, mt, id.Limiter, log)
	if err != nil {
		return fmt.Errorf("build notifications: %w", err)
	}
	al, err := BuildAlerts(st, rw, nt, mt, intake, log)
	if err != nil {
		return fmt.Errorf("build alerts: %w", err)
	}
	ca, err := BuildCA(cfg, log, st, id.Secrets, hub)
	if err != nil {
		return fmt.Errorf("build agent CA: %w", err)
	}
	ag, err := BuildAgents(cfg, log, st, id.Limiter, reg, AgentLinks{
		Hub: hub, Events: rw.DeviceEvents(agents.LogEvents{Logger: log.Named("agents")}), Plugins: pl.Service,
		Monitor: al.Service, Reports: intake, Certs: ca})
	if err != nil {
		return fmt.Errorf("build agent side: %w", err)
	}
	// Devices whose node died go offline after one interval, not three.
	ag.Sweeper.WatchHolders(rw.Relay)
	disc, err := BuildDiscovery(st, rw, ag, intake, log)
	if err != nil {
		return fmt.Errorf("build discovery: %w", err)
	}
	sch, err := BuildSchedules(st, rw, disc.ScheduleScans(), log)
	if err != nil {
		return fmt.Errorf("build schedules: %w", err)
	}
	upd, err := BuildUpdates(cfg, st, rw, log)
	if err != nil {
		return fmt.Errorf("build agent updates: %w", err)
	}
	ten, err := BuildTenancy(st, al.Service, id.Revocations, ca.ForgetPartners)
	if err != nil {
		return fmt.Errorf("build tenancy: %w", err)
	}
	secure := cfg.TLSCert != "" || strings.HasPrefix(cfg.PublicURL, "https://")
	srv, err := api.NewServer(httpapi.Deps{
		Logger:   log.Named("http"),
		Ready:    Readiness(st, id.Redis),
		Registry: reg,
		Options:  httpapi.Options{TLS: secure, Version: Version, TrustedProxies: cfg.ProxyList()},
		Web:      web.Handler(),
	}, api.Deps{Store: st, Auth: id.Auth, Access: id.Access, Tenancy: ten.Service, AuditLog: ten.AuditLog,
		RefreshTTL: RefreshTTL, SecureCookies: secure,
		Agents: ag.Service, PublicURL: cfg.PublicURL, DownloadDir: ag.DownloadDir,
		Commands: rw.Commands, Scripts: rw.Scripts, Alerts: al.Service, Maintenance: mt.Service,
		Schedules: sch.Service, Discovery: disc.Service, DiscoveryScans: disc.Scans})
	if err != nil {
		return fmt.Errorf("build HTTP server: %w", err)
	}
	ag.Hub.Register(srv, ag.Service, rw.Router, api.AgentDeviceFrom)
	rw.Register(srv, cfg, id, secure)
	pl.Register(srv)
	nt.Register(srv)
	upd.Register(srv)
	if err := RegisterFleet(srv, st); err != nil {
		return fmt.Errorf("build fleet summary: %w", err)
	}
	if err := srv.VerifyRoutes(); err != nil {
		return fmt.Errorf("routes: %w", err)
	}

	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, serverTLS(cert, ca, log))
	}
	log.Info("Breeze is running", "url", cfg.PublicURL, "listen", ln.Addr().String(),
		"database", config.Redact(cfg.DatabaseURL), "version", Version)
	if creds != nil {
		printCredentials(d.Out, cfg.PublicURL, creds)
	}
	if d.Ready != nil {
		d.Ready(ln.Addr().String())
	}
	// The agent jobs stop with actx (ctx, or Serve failing); Stop then
	// flushes telemetry, before the deferred store Close.
	actx, stopAgents := context.WithCancel(ctx)
	if err := rw.Start(actx); err != nil {
		stopAgents()
		return err
	}
	defer rw.Stop()
	pl.Start(actx)
	defer pl.Stop()
	go ca.Run(actx) // sees rotations made by `breeze ca rotate`
	go FollowPartnerRules(actx, id.Bus, ca)
	// Orgs made before the default alert rules existed (the demo's too)
	// get them once; the store's claim keeps it once across nodes.
	if n, err := al.Service.SeedExisting(ctx); err != nil {
		log.Warn("default alert rules not created for every org; the next start retries", "error", err)
	} else if n > 0 {
		log.Info("default alert rules created", "orgs", n)
	}
	mt.Start(actx)
	defer mt.Stop()
	sch.Start(actx)
	defer sch.Stop()
	upd.Start(actx)
	defer upd.Stop()
	disc.Start(actx)
	defer disc.Stop()
	al.Start(actx)
	defer al.Stop()
	nt.Start(actx)
	defer nt.Stop()
	if cfg.RedisURL == "" {
		// One node, holding no link yet: what the last run left online is stale.
		if n, err := ag.Sweeper.MarkAllOffline(ctx); err != nil {
			log.Warn("could not mark the previous run's devices offline; the sweep will", "error", err)
		} else if n > 0 {
			log.Info("devices marked offline until they link again", "count", n)
		}
	}
	ag.Start(actx)
	defer ag.Stop()
	defer stopAgents()
	return srv.Serve(ctx, ln)
}

// Listen binds addr and turns the common failures into one actionable line.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("cannot listen on %s: the port is already in use; stop the other process or choose another address with --listen or BREEZE_LISTEN", addr)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("cannot listen on %s: permission denied; use a port above 1023 or run with the needed capability", addr)
	}
	return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
}
