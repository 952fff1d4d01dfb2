// Package httpapi is Breeze's HTTP edge: a gin engine with the middleware every
// route shares (request id, panic recovery, access log, security headers, body
// limit, metrics), a route registry in which every route declares its access
// rule, and the one place where domain errors become HTTP status codes.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps are what the HTTP edge needs from the rest of the server.
type Deps struct {
	// Logger receives every log line of the edge; nil discards them.
	Logger hclog.Logger
	// Ready is the readiness check behind GET /readyz (every dependency).
	// Required: a server that cannot tell whether it is ready must not say it is.
	Ready func(ctx context.Context) error
	// Registry is served at GET /metrics and receives the HTTP metrics. The
	// caller registers the Go and process collectors on it. Nil: a fresh
	// registry with those two collectors.
	Registry *prometheus.Registry
	// Auth identifies callers of Agent and User routes. Nil: those routes
	// answer 401 (fail closed) until the identity layer supplies one.
	Auth Authenticator
	// Audit stores the one audit row of every mutating request (see
	// auditMiddleware). Nil: requests are not audited (tests of the edge
	// alone); the server wiring always sets it.
	Audit AuditSink
	// Web serves the dashboard for every GET or HEAD that no route matched,
	// outside the API and the operational paths (which keep their JSON 404).
	// Nil: no dashboard.
	Web http.Handler
	// Options tune the server; zero fields take the defaults below.
	Options Options
}

// Options tune the HTTP server. Zero values mean "the default".
type Options struct {
	// TLS says clients reach Breeze over HTTPS (directly or through the
	// TLS-terminating proxy); only then is Strict-Transport-Security sent.
	TLS               bool
	ReadHeaderTimeout time.Duration // default 10s
	ReadTimeout       time.Duration // default 30s
	WriteTimeout      time.Duration // default 60s
	IdleTimeout       time.Duration // default 120s
	MaxBodyBytes      int64         // default 1 MiB
	ShutdownTimeout   time.Duration // default 15s
	// Version is exported as the breeze_build_info{version} gauge; default "dev".
	Version string
	// TrustedProxies are the addresses or CIDRs (e.g. the Caddy in front)
	// whose X-Forwarded-For is believed for the client IP. Default: none, so
	// the client IP is the peer address and cannot be spoofed by a header.
	TrustedProxies []string
}

// Defaults.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxBodyBytes      = 1 << 20
	DefaultShutdownTimeout   = 15 * time.Second
)

func (o Options) withDefaults() (Options, error) {
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ReadHeaderTimeout", &o.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"ReadTimeout", &o.ReadTimeout, DefaultReadTimeout},
		{"WriteTimeout", &o.WriteTimeout, DefaultWriteTimeout},
		{"IdleTimeout", &o.IdleTimeout, DefaultIdleTimeout},
		{"ShutdownTimeout", &o.ShutdownTimeout, DefaultShutdownTimeout},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return o, fmt.Errorf("httpapi: option %s is negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.MaxBodyBytes < 0 {
		return o, errors.New("httpapi: option MaxBodyBytes is negative")
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	return o, nil
}

// Server is the HTTP edge. Build it with New, add routes with Handle, run it
// with Serve (or mount Handler elsewhere).
type Server struct {
	engine   *gin.Engine
	logger   hclog.Logger
	opts     Options
	auth     Authenticator
	registry *prometheus.Registry
	routes   []RouteInfo
	byKey    map[string]int    // "METHOD /path/:template" → index in routes
	names    map[string]string // route name → "METHOD /path", to refuse duplicates
}

// New builds the engine, its middleware and the public operational routes
// (/healthz, /readyz, /metrics).
func New(deps Deps) (*Server, error) {
	if deps.Ready == nil {
		return nil, errors.New("httpapi: Deps.Ready is required")
	}
	opts, err := deps.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	logger := deps.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	reg := deps.Registry
	if reg == nil {
		reg = newDefaultRegistry()
	}
	metrics, err := newHTTPMetrics(reg, opts.Version)
	if err != nil {
		return nil, err
	}

	// Release mode keeps gin's debug printing off; all logging goes through hclog.
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	// Redirects are written by gin before any middleware runs (no request id,
	// no security headers, no metrics) and an API has no use for them.
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	// Lets *gin.Context answer context.Context lookups (cancellation,
	// deadline, values such as the request id) from the request's context.
	// Still pass c.Request.Context(), not c, to anything that may outlive the
	// handler: gin recycles *gin.Context after the request, while database/sql
	// (for one) watches ctx.Done() from its own goroutine — a data race.
	engine.ContextWithFallback = true
	if err := engine.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("httpapi: trusted proxies: %w", err)
	}
	proxies, err := parseProxies(opts.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("httpapi: trusted proxies: %w", err)
	}

	s := &Server{
		engine: engine, logger: logger, opts: opts, auth: deps.Auth, registry: reg,
		byKey: map[string]int{}, names: map[string]string{},
	}
	engine.Use(
		requestIDMiddleware(logger),
		stripClientCert(proxies),
		recoverMiddleware(),
		accessLogMiddleware(),
		securityHeadersMiddleware(opts.TLS),
		s.bodyLimitMiddleware(opts.MaxBodyBytes),
		metrics.middleware(),
	)
	// Last of the shared middleware, so it runs after routing (it needs the
	// matched route) and before each route's guard (so refusals are audited).
	if deps.Audit != nil {
		engine.Use(s.auditMiddleware(deps.Audit))
	}
	engine.NoRoute(func(c *gin.Context) {
		if deps.Web != nil && isPagePath(c.Request) {
			deps.Web.ServeHTTP(c.Writer, c.Request)
			return
		}
		writeErrorJSON(c, http.StatusNotFound, CodeNotFound, "no such route")
	})
	engine.NoMethod(func(c *gin.Context) {
		writeErrorJSON(c, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed on this route")
	})
	s.registerHealth(deps.Ready, reg)
	return s, nil
}

// Handler returns the server's http.Handler (the gin engine).
func (s *Server) Handler() http.Handler { return s.engine }

// Engine exposes the gin engine for what Handle cannot express. Routes added
// on it directly have no access rule and make VerifyRoutes fail.
func (s *Server) Engine() *gin.Engine { return s.engine }

// Serve answers HTTP on ln until ctx is cancelled, then shuts down
// gracefully: the listener closes at once and in-flight requests get up to
// ShutdownTimeout to finish. It returns nil after a clean shutdown.
// Hijacked connections (WebSockets) are not tracked by net/http: their owners
// must close them when ctx is cancelled.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	drainCtx, drain := context.WithCancelCause(context.WithoutCancel(ctx))
	defer drain(ErrShuttingDown)
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          s.logger.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
		// Requests keep ctx's values but not its cancellation, so shutting
		// down does not cancel the requests it is waiting for, until the
		// drain point (see below).
		BaseContext: func(net.Listener) context.Context { return drainCtx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("httpapi: serve: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("http server shutting down", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	// Most of the timeout is for requests to finish; what still runs at the
	// drain point (a file transfer, a long poll) is cancelled with
	// ErrShuttingDown, answers 503 + Retry-After, and the shutdown ends clean.
	drainAt := time.AfterFunc(s.opts.ShutdownTimeout*2/3, func() { drain(ErrShuttingDown) })
	defer drainAt.Stop()
	err := srv.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("httpapi: serve: %w", serveErr)
	}
	if err != nil {
		_ = srv.Close() // out of patience: drop what is left
		return fmt.Errorf("httpapi: shutdown: %w", err)
	}
	return nil
}
