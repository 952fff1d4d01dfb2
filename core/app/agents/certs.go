package agents

import (
	"context"
	"crypto/x509"
	"errors"

	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Certs is the agents' CA (agentca.Service): client certificates for
// mutual TLS on the link.
type Certs interface {
	Issue(ctx context.Context, deviceID, csrPEM string) (agentca.Issued, error)
	Renew(ctx context.Context, deviceID, csrPEM string) (agentca.Issued, error)
	NeedsRenewal(ctx context.Context, deviceID string) (bool, error)
	CheckLink(ctx context.Context, deviceID string, chain []*x509.Certificate) error
}

// CheckLinkCert decides whether the device's link may open with the client
// certificate chain it presented (nil: none), its token already checked:
// refused (ErrUnauthenticated) when mutual TLS is required for it and the
// certificate is missing or not valid for it.
func (s *Service) CheckLinkCert(ctx context.Context, deviceID string, chain []*x509.Certificate) error {
	if s.d.Certs == nil {
		return nil
	}
	return s.d.Certs.CheckLink(ctx, deviceID, chain)
}

// RenewCert answers a cert_request of a linked device: a certificate for
// its own id (whatever the CSR names) or the reason there is none.
func (s *Service) RenewCert(ctx context.Context, deviceID string, req protocol.CertRequest) protocol.CertIssued {
	out := protocol.CertIssued{Header: protocol.Header{Type: protocol.TypeCertIssued, ID: req.ID}}
	if s.d.Certs == nil {
		out.Error = "this server issues no client certificates"
		return out
	}
	got, err := s.d.Certs.Renew(ctx, deviceID, req.CSR)
	var limited *domain.RateLimitedError
	switch {
	case err == nil:
		out.Cert, out.CARoots = got.CertPEM, got.Roots
		s.d.Logger.Info("client certificate renewed", "device_id", deviceID, "serial", got.Record.Serial, "not_after", got.Record.NotAfter)
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrForbidden), errors.As(err, &limited):
		out.Error = err.Error()
	default:
		s.d.Logger.Error("client certificate not issued", "device_id", deviceID, "error", err)
		out.Error = "certificate not issued; ask again later"
	}
	return out
}

// enrollCert issues the enrolling device's first certificate. A failure
// costs the certificate, not the enrollment: the agent asks again over
// its link.
func (s *Service) enrollCert(ctx context.Context, deviceID, csr string, res *protocol.EnrollResponse) {
	if csr == "" || s.d.Certs == nil {
		return
	}
	got, err := s.d.Certs.Issue(ctx, deviceID, csr)
	if err != nil {
		s.d.Logger.Error("client certificate not issued at enrollment; the agent asks over its link", "device_id", deviceID, "error", err)
		return
	}
	res.ClientCert, res.CARoots = got.CertPEM, got.Roots
}
