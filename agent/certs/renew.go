package certs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

// Sender sends a frame over the link (remote.Dispatcher.Send); it fails
// while the link is down.
type Sender interface {
	Send(ctx context.Context, frame any) error
}

// Renewer asks for a new certificate over the link when one is due: at
// two thirds of its lifetime, when there is none, or when the welcome
// says so (a CA rotation). It checks at every welcome, when the current
// certificate falls due, and every Every.
type Renewer struct {
	Store  *Store
	Send   Sender
	Logger hclog.Logger
	// Every is how often it looks while linked (default 10 minutes); Retry
	// how soon it asks again while a certificate is due (default 1 minute).
	Every time.Duration
	Retry time.Duration
	// OnRenewed is told after a new certificate is saved (nil: nothing).
	OnRenewed func()

	mu      sync.Mutex
	force   bool   // the server asked (welcome.certRenew)
	pending string // id of the request in flight
	sentAt  time.Time
	kick    chan struct{}
	once    sync.Once
}

func (r *Renewer) init() {
	r.once.Do(func() {
		r.kick = make(chan struct{}, 1)
		if r.Every <= 0 {
			r.Every = 10 * time.Minute
		}
		if r.Retry <= 0 {
			r.Retry = time.Minute
		}
		if r.Logger == nil {
			r.Logger = hclog.NewNullLogger()
		}
	})
}

// Welcome hears every welcome; it must not block (the link's goroutine).
func (r *Renewer) Welcome(w protocol.Welcome) {
	r.init()
	r.mu.Lock()
	r.force = r.force || w.CertRenew
	r.pending = "" // a new session: an answer to the old one is lost
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// RenewSoon hears the server's cert_renew (a CA rotation): ask within a
// random delay of up to Retry, so a fleet spreads its requests. It must
// not block.
func (r *Renewer) RenewSoon() {
	r.init()
	delay := time.Duration(mrand.Int64N(int64(r.Retry)))
	time.AfterFunc(delay, func() { r.Welcome(protocol.Welcome{CertRenew: true}) })
}

// Run asks whenever a certificate is due, until ctx ends.
func (r *Renewer) Run(ctx context.Context) {
	r.init()
	for {
		t := time.NewTimer(r.next())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.kick:
			t.Stop()
		case <-t.C:
		}
		r.maybeAsk(ctx)
	}
}

// next is how long until the next look: Every, or less when the current
// certificate falls due sooner (short lifetimes).
func (r *Renewer) next() time.Duration {
	d := r.Every
	leaf := r.Store.Leaf()
	if leaf == nil {
		return min(d, r.Retry)
	}
	due := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) * 2 / 3)
	until := time.Until(due) + time.Second
	if until <= time.Second {
		// Due already (a refused or lost request): ask again soon.
		return min(d, r.Retry)
	}
	return min(d, until)
}

func (r *Renewer) maybeAsk(ctx context.Context) {
	r.mu.Lock()
	due := r.force || r.Store.Due(time.Now())
	// One request at a time; an unanswered one is asked again after a minute.
	busy := r.pending != "" && time.Since(r.sentAt) < time.Minute
	r.mu.Unlock()
	if !due || busy {
		return
	}
	csr, err := r.Store.CSR()
	if err != nil {
		r.Logger.Error("cannot make a certificate request", "error", err)
		return
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := "cert-" + hex.EncodeToString(b[:])
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.Send.Send(sctx, protocol.CertRequest{Header: protocol.Header{Type: protocol.TypeCertRequest, ID: id}, CSR: csr}); err != nil {
		r.Logger.Debug("certificate request not sent; asking again at the next link", "error", err)
		return
	}
	r.mu.Lock()
	r.pending, r.sentAt = id, time.Now()
	r.mu.Unlock()
	r.Logger.Info("asked the server for a new client certificate", "forced", due && r.force)
}

// Issued hears a cert_issued frame; it must not block.
func (r *Renewer) Issued(m protocol.CertIssued) {
	r.init()
	r.mu.Lock()
	if m.ID != r.pending {
		r.mu.Unlock()
		r.Logger.Debug("ignoring a certificate answer to no request of ours", "id", m.ID)
		return
	}
	r.pending = ""
	r.mu.Unlock()
	if m.Error != "" || m.Cert == "" {
		r.Logger.Warn("the server issued no certificate", "reason", m.Error)
		return
	}
	if err := r.Store.Save(m.Cert, m.CARoots); err != nil {
		r.Logger.Error("new client certificate not kept", "error", err)
		return
	}
	r.mu.Lock()
	r.force = false
	r.mu.Unlock()
	select { // Run times the next renewal by the new certificate
	case r.kick <- struct{}{}:
	default:
	}
	leaf := r.Store.Leaf()
	r.Logger.Info("new client certificate", "serial", leaf.SerialNumber.Text(16), "expires", leaf.NotAfter)
	if r.OnRenewed != nil {
		r.OnRenewed()
	}
}
