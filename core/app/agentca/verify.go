package agentca

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Verify checks the client certificate a link presented for deviceID: it
// chains to a trusted root (the active CA or one rotated out but not
// retired), is valid now, is for client authentication, names that device,
// and is one this CA issued to it and has not revoked. Any failure is
// domain.ErrUnauthenticated.
func (s *Service) Verify(ctx context.Context, deviceID string, chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return domain.Unauthenticatedf("this device must present its client certificate")
	}
	snap, err := s.current(ctx)
	if err != nil {
		return err
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: snap.pool, Intermediates: inter, CurrentTime: s.d.Clock.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return domain.Unauthenticatedf("client certificate expired or not yet valid")
		}
		return domain.Unauthenticatedf("client certificate not issued by a trusted agent CA")
	}
	if leaf.Subject.CommonName != deviceID {
		return domain.Unauthenticatedf("client certificate is for another device")
	}
	rec, err := s.d.Store.DeviceCerts().Get(ctx, serialHex(leaf.SerialNumber))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Unauthenticatedf("client certificate unknown to this server")
	}
	if err != nil {
		return fmt.Errorf("look up client certificate: %w", err)
	}
	if rec.DeviceID != deviceID {
		return domain.Unauthenticatedf("client certificate is for another device")
	}
	if !rec.RevokedAt.IsZero() {
		return domain.Unauthenticatedf("client certificate revoked")
	}
	return nil
}

// Required reports whether deviceID's link needs a client certificate:
// server-wide, or its partner's switch (as read at most Refresh ago, see
// mtlsPartners).
func (s *Service) Required(ctx context.Context, deviceID string) (bool, error) {
	if s.d.RequireAll {
		return true, nil
	}
	partners, err := s.requiringPartners(ctx)
	if err != nil {
		return false, err
	}
	if len(partners) == 0 {
		return false, nil
	}
	dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	if err != nil {
		return false, fmt.Errorf("load device: %w", err)
	}
	return partners[dev.PartnerID], nil
}

// CheckLink decides a link upgrade of deviceID (its token already checked)
// with the chain it presented (nil: none). Where a certificate is not
// required the link passes whatever it presented: an agent whose
// certificate lapsed while offline must still reach the server to renew.
func (s *Service) CheckLink(ctx context.Context, deviceID string, chain []*x509.Certificate) error {
	req, err := s.Required(ctx, deviceID)
	if err != nil {
		return err
	}
	if !req {
		return nil
	}
	return s.Verify(ctx, deviceID, chain)
}
