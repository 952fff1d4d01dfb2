package agentca

import (
	"context"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// CAInfo describes one CA for `breeze ca status`.
type CAInfo struct {
	ID        string
	State     string // active, trusted, retired
	Subject   string
	NotAfter  time.Time
	CreatedAt time.Time
	RetiredAt time.Time
	// ValidCerts counts its certificates neither expired nor revoked: a
	// trusted CA is safe to retire at 0.
	ValidCerts int
}

// Status lists every CA (creating the first on an empty deployment),
// newest first.
func (s *Service) Status(ctx context.Context) ([]CAInfo, error) {
	if _, err := s.current(ctx); err != nil {
		return nil, err
	}
	rows, err := s.d.Store.CAs().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list agent CAs: %w", err)
	}
	counts, err := s.d.Store.DeviceCerts().CountValid(ctx, s.d.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("count device certificates: %w", err)
	}
	out := make([]CAInfo, 0, len(rows))
	for _, r := range rows {
		info := CAInfo{ID: r.ID, State: r.State, CreatedAt: r.CreatedAt, RetiredAt: r.RetiredAt, ValidCerts: counts[r.ID]}
		if c, err := parseCertPEM(r.CertPEM); err == nil {
			info.Subject, info.NotAfter = c.Subject.CommonName, c.NotAfter
		}
		out = append(out, info)
	}
	return out, nil
}

// Rotate makes a new active CA; the previous one stays trusted (links with
// its certificates keep working, and agents are told to renew) until
// Retire. It returns the new CA's id.
func (s *Service) Rotate(ctx context.Context) (string, error) {
	s.forget()
	snap, err := s.current(ctx)
	if err != nil {
		return "", err
	}
	fresh, err := s.newAuthority(s.d.Clock.Now())
	if err != nil {
		return "", err
	}
	ok, err := s.d.Store.CAs().Rotate(ctx, snap.active.row.ID, fresh)
	s.forget()
	if err != nil {
		return "", fmt.Errorf("rotate agent CA: %w", err)
	}
	if !ok {
		return "", domain.Conflictf("the active CA changed meanwhile (another rotation?): look at the status and try again")
	}
	s.d.Logger.Info("rotated the agent CA", "new_ca_id", fresh.ID, "previous_ca_id", snap.active.row.ID)
	return fresh.ID, nil
}

// Retire stops trusting a rotated-out CA: certificates it issued no longer
// link where mutual TLS is required. id "" retires the one trusted CA, if
// there is exactly one. It returns the id retired.
func (s *Service) Retire(ctx context.Context, id string) (string, error) {
	if id == "" {
		rows, err := s.d.Store.CAs().List(ctx)
		if err != nil {
			return "", fmt.Errorf("list agent CAs: %w", err)
		}
		var trusted []string
		for _, r := range rows {
			if r.State == ports.CATrusted {
				trusted = append(trusted, r.ID)
			}
		}
		if len(trusted) != 1 {
			return "", domain.Invalidf("%d rotated-out CAs are trusted: name the one to retire", len(trusted))
		}
		id = trusted[0]
	}
	err := s.d.Store.CAs().Retire(ctx, id, s.d.Clock.Now())
	s.forget()
	if err != nil {
		return "", err
	}
	s.d.Logger.Info("retired an agent CA", "ca_id", id)
	return id, nil
}
