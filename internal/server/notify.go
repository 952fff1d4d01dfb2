package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/notifyapi"
	"github.com/breeze-rmm/breeze/core/app/notify"
	"github.com/breeze-rmm/breeze/ports"
)

// Notify is alert notifications: the routes and the delivery worker on
// the durable queue (it runs once the queue starts with remote work).
type Notify struct {
	Service *notify.Service
	done    chan struct{}
}

// Start runs the reminder and digest sweep until ctx ends.
func (n *Notify) Start(ctx context.Context) {
	n.done = make(chan struct{})
	go func() { defer close(n.done); n.Service.Run(ctx) }()
}

// Stop waits for the sweep to end (after its ctx is cancelled).
func (n *Notify) Stop() {
	if n.done != nil {
		<-n.done
	}
}

// BuildNotify wires notifications on rw's queue, sending through the
// plugins' alert channels, rate-limited by limiter (shared by the nodes
// on Redis). Build it before the queue starts.
func BuildNotify(st ports.Store, rw *Remote, pl *Plugins, mt *Maintenance, limiter ports.RateLimiter, log hclog.Logger) (*Notify, error) {
	svc, err := notify.New(notify.Deps{Store: st, Queue: rw.Queue, Channels: pl.Service, Limiter: limiter,
		Holds: mt.Service, Logger: log.Named("notify")})
	if err != nil {
		return nil, err
	}
	svc.Register()
	return &Notify{Service: svc}, nil
}

// Register mounts the notification routes.
func (n *Notify) Register(srv *httpapi.Server) {
	notifyapi.Register(srv, notifyapi.Deps{Notify: n.Service})
}
