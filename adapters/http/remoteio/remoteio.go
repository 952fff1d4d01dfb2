// Package remoteio is the browser side of remote work on the HTTP edge:
// POST /api/v1/ws-tickets, the events WebSocket (GET /api/v1/events), the
// terminal WebSocket (GET /api/v1/terminal/:deviceId) and file transfers
// (POST and GET /api/v1/devices/:id/files). See notes/api.md for the frames.
//
// The WebSocket routes carry the Public rule because a browser cannot set
// an Authorization header on a WebSocket: each handler authenticates the
// one-time ticket itself, before upgrading, after refusing a foreign Origin.
package remoteio

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/files"
	"github.com/breeze-rmm/breeze/core/app/terminal"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Defaults.
const (
	DefaultMaxFrameBytes = 64 << 10
	DefaultWriteTimeout  = 10 * time.Second
	DefaultPingEvery     = 30 * time.Second
	DefaultRecheckEvery  = 5 * time.Second
	DefaultBodyStall     = time.Minute
)

// Options tune the browser side.
type Options struct {
	// AllowedOrigins are extra origins (scheme://host[:port], exact match)
	// allowed to open the WebSockets besides the server's own
	// (BREEZE_ALLOWED_ORIGINS).
	AllowedOrigins []string
	// TLS: clients reach the server over HTTPS (also through a proxy that
	// terminates TLS), so the server's own origin is https://<Host>.
	TLS bool
	// MaxFrameBytes bounds a browser frame (default 64 KiB).
	MaxFrameBytes int64
	// WriteTimeout bounds one frame's write to the browser (default 10 s).
	WriteTimeout time.Duration
	// PingEvery is the keepalive ping period (default 30 s); a browser
	// silent for two periods is dropped.
	PingEvery time.Duration
	// RecheckEvery: how often the events socket re-validates its user
	// (default 5 s; terminal sessions have their own, in terminal.Deps).
	RecheckEvery time.Duration
	// BodyStall: a transfer whose body or answer makes no progress for this
	// long is cut (default 1 min). The per-read deadline replaces the
	// server's whole-request ReadTimeout/WriteTimeout on these routes.
	BodyStall time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.PingEvery <= 0 {
		o.PingEvery = DefaultPingEvery
	}
	if o.RecheckEvery <= 0 {
		o.RecheckEvery = DefaultRecheckEvery
	}
	if o.BodyStall <= 0 {
		o.BodyStall = DefaultBodyStall
	}
	return o
}

// Deps are the browser side's collaborators.
type Deps struct {
	Tickets  *tickets.Service
	Terminal *terminal.Broker
	Files    *files.Service
	// Bus carries the events (events.Topic) and revocations.
	Bus ports.Bus
	// Auth re-validates the events socket's user (auth.Service).
	Auth    tickets.Reauth
	Logger  hclog.Logger
	Options Options
}

// Sockets tracks the open WebSockets so Shutdown can close them
// (net/http does not track hijacked connections).
type Sockets struct {
	d        Deps
	upgrader websocket.Upgrader

	mu     sync.Mutex
	conns  map[*wsConn]struct{}
	closed bool
}

// Register mounts the routes on s. It panics on missing deps, like
// httpapi.Server.Handle on programmer errors. Call Shutdown when the
// server stops.
func Register(s *httpapi.Server, d Deps) *Sockets {
	if d.Tickets == nil || d.Terminal == nil || d.Files == nil || d.Bus == nil || d.Auth == nil {
		panic("remoteio: Tickets, Terminal, Files, Bus and Auth are required")
	}
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	d.Options = d.Options.withDefaults()
	h := &Sockets{d: d, conns: map[*wsConn]struct{}{}}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		// The Origin is checked before the upgrade (checkOrigin), with a
		// JSON 403; by then it is known to be allowed.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	g := s.Group(api.Prefix)
	h.ticketRoutes(g)
	h.eventRoutes(g)
	h.terminalRoutes(g)
	h.fileRoutes(g)
	return h
}

// Shutdown closes every open WebSocket (ending their terminal sessions,
// which write their close rows) and refuses new ones.
func (h *Sockets) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	all := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.closeWith(websocket.CloseGoingAway, "server_shutdown")
	}
	return h.d.Terminal.Shutdown(ctx)
}

func (h *Sockets) track(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *Sockets) untrack(c *wsConn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// checkOrigin allows a request without Origin (not a browser: the ticket
// still rules), the server's own origin, and Options.AllowedOrigins.
func (h *Sockets) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil || h.d.Options.TLS {
		scheme = "https"
	}
	if normOrigin(origin) == normOrigin(scheme+"://"+r.Host) {
		return nil
	}
	for _, o := range h.d.Options.AllowedOrigins {
		if normOrigin(o) == normOrigin(origin) {
			return nil
		}
	}
	return domain.Forbiddenf("this origin may not open a WebSocket here")
}

// normOrigin lower-cases an origin and drops its scheme's default port.
func normOrigin(o string) string {
	o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	switch {
	case strings.HasPrefix(o, "https://"):
		o = strings.TrimSuffix(o, ":443")
	case strings.HasPrefix(o, "http://"):
		o = strings.TrimSuffix(o, ":80")
	}
	return o
}

// handlerFunc returns its error for WriteError to answer.
type handlerFunc func(c *gin.Context) error

func wrap(fn handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			httpapi.WriteError(c, err)
		}
	}
}

func principal(c *gin.Context) (*domain.Principal, error) {
	if p := api.PrincipalFrom(c); p != nil {
		return p, nil
	}
	return nil, errors.New("remoteio: no principal on a guarded route (is the authenticator wired?)")
}
