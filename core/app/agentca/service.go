// Package agentca is the built-in certificate authority of the agents'
// mutual TLS (docs/security.md, "Mutual TLS"): it creates the CA on first
// use (its key sealed at rest, shared by every node through the store),
// issues short-lived client certificates naming the device, checks the
// certificate a link presents, and rotates the CA with an overlap.
//
// Crypto is the standard library's: ECDSA P-256 for the CA and for the
// agents' keys (ed25519 and P-384 agent keys are accepted too).
package agentca

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// Sealer seals the CA's private key at rest (adapters/secretbox); aad binds
// the sealed key to its CA's id.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// Defaults.
const (
	DefaultCertTTL = 30 * 24 * time.Hour
	// DefaultMinReissue: a device that got a certificate this recently from
	// the active CA gets no other over its link (a looping agent cannot
	// fill the table); a quarter of CertTTL when that is shorter.
	DefaultMinReissue = 10 * time.Minute
	// DefaultRefresh is how long a node keeps the CAs it read: a rotation
	// on another node is seen within it.
	DefaultRefresh = 10 * time.Second
	// CALifetime is a CA certificate's validity; rotate well before.
	CALifetime = 10 * 365 * 24 * time.Hour
	// maxBackdate covers agents whose clock is a little behind (a tenth of
	// the lifetime when that is shorter, so "two thirds of the lifetime"
	// stays two thirds for short test lifetimes).
	maxBackdate = 5 * time.Minute
)

// Deps are the service's collaborators and settings.
type Deps struct {
	Store  ports.Store
	Sealer Sealer
	Clock  ports.Clock
	Logger ports.Logger
	// CertTTL is an issued certificate's lifetime (default 30 days).
	CertTTL time.Duration
	// RequireAll requires a valid client certificate on every agent link
	// (BREEZE_AGENT_MTLS=required); otherwise each partner's switch decides.
	RequireAll bool
	// MinReissue: see DefaultMinReissue; negative: no limit (tests).
	MinReissue time.Duration
	// Refresh: see DefaultRefresh.
	Refresh time.Duration
	// OnRotate is told (on its own goroutine) when this node sees another
	// CA become active than the one it read before: the agents it holds
	// should renew (cert_renew). Nil: nothing.
	OnRotate func()
}

// Service is the CA. Safe for concurrent use.
type Service struct {
	d Deps

	mu         sync.Mutex
	snap       *snapshot // the CAs as last read; nil: read them
	lastActive string    // the active CA's id as last read

	mtlsMu sync.Mutex
	mtls   *mtlsPartners // nil: read it
}

// Run reads the CAs every Refresh until ctx ends, so a rotation made
// elsewhere (breeze ca rotate) reaches OnRotate even while no agent
// connects.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.d.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.current(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("agent CAs not read", "error", err)
			}
		}
	}
}

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Sealer == nil {
		return nil, errors.New("agentca: Store and Sealer are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.CertTTL < 0 || d.Refresh < 0 {
		return nil, errors.New("agentca: negative CertTTL or Refresh")
	}
	if d.CertTTL == 0 {
		d.CertTTL = DefaultCertTTL
	}
	if d.CertTTL < 10*time.Second {
		return nil, errors.New("agentca: CertTTL below 10 seconds")
	}
	if d.MinReissue == 0 {
		d.MinReissue = min(DefaultMinReissue, d.CertTTL/4)
	}
	if d.Refresh == 0 {
		d.Refresh = DefaultRefresh
	}
	return &Service{d: d}, nil
}

// CertTTL is the lifetime of the certificates the service issues.
func (s *Service) CertTTL() time.Duration { return s.d.CertTTL }

// RequireAll reports the server-wide requirement.
func (s *Service) RequireAll() bool { return s.d.RequireAll }
