package agentca

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// maxCSR bounds a CSR's PEM (a P-256 one is about 400 bytes).
const maxCSR = 8 << 10

// ParseCSR checks a PEM certificate request: one CERTIFICATE REQUEST block
// whose signature verifies with its own key (proof the requester holds
// it), and a P-256, P-384 or ed25519 key. Its names are never used.
func ParseCSR(csrPEM string) (*x509.CertificateRequest, error) {
	if len(csrPEM) > maxCSR {
		return nil, domain.Invalidf("csr is larger than %d bytes", maxCSR)
	}
	b, _ := pem.Decode([]byte(csrPEM))
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, domain.Invalidf("csr must be one PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, domain.Invalidf("csr does not parse: %s", domain.Abbrev(err.Error(), 80))
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, domain.Invalidf("csr signature does not verify with its key")
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, domain.Invalidf("csr key: only ECDSA P-256 or P-384, or ed25519")
		}
	case ed25519.PublicKey:
	default:
		return nil, domain.Invalidf("csr key: only ECDSA P-256 or P-384, or ed25519")
	}
	return csr, nil
}

// Issued is a certificate the service issued.
type Issued struct {
	CertPEM string
	// Roots is the PEM of every trusted root (the active CA first).
	Roots  string
	Record ports.DeviceCert
}

// Issue signs a client certificate for deviceID with the CSR's key. The
// subject is the device id the server assigned, whatever the CSR names:
// a CSR asking for another device's name still gets a certificate for its
// own device only. The certificate is recorded (its serial is what the
// link check and revocation look up).
func (s *Service) Issue(ctx context.Context, deviceID, csrPEM string) (Issued, error) {
	if !domain.ValidID(deviceID) {
		return Issued{}, domain.Invalidf("not a device id")
	}
	csr, err := ParseCSR(csrPEM)
	if err != nil {
		return Issued{}, err
	}
	snap, err := s.current(ctx)
	if err != nil {
		return Issued{}, err
	}
	ca := snap.active
	now := s.d.Clock.Now().UTC()
	serial, err := newSerial()
	if err != nil {
		return Issued{}, err
	}
	notAfter := now.Add(s.d.CertTTL)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"Breeze"}, OrganizationalUnit: []string{"agent"}, CommonName: deviceID},
		NotBefore:    now.Add(-min(maxBackdate, s.d.CertTTL/10)),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, csr.PublicKey, ca.key)
	if err != nil {
		return Issued{}, fmt.Errorf("agentca: sign certificate: %w", err)
	}
	rec := ports.DeviceCert{Serial: serialHex(serial), DeviceID: deviceID, CAID: ca.row.ID,
		NotBefore: tpl.NotBefore, NotAfter: tpl.NotAfter, IssuedAt: now}
	if err := s.d.Store.DeviceCerts().Record(ctx, rec); err != nil {
		return Issued{}, fmt.Errorf("record device certificate: %w", err)
	}
	return Issued{CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), Roots: snap.roots, Record: rec}, nil
}

// Renew is Issue for a linked device asking over its link: refused while
// its latest certificate is from the active CA and younger than
// MinReissue, and for a device whose certificates were revoked.
func (s *Service) Renew(ctx context.Context, deviceID, csrPEM string) (Issued, error) {
	last, err := s.d.Store.DeviceCerts().Latest(ctx, deviceID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return Issued{}, fmt.Errorf("latest device certificate: %w", err)
	case !last.RevokedAt.IsZero():
		return Issued{}, domain.Forbiddenf("the device's certificates are revoked")
	case s.d.MinReissue > 0 && s.d.Clock.Now().Sub(last.IssuedAt) < s.d.MinReissue:
		snap, err := s.current(ctx)
		if err != nil {
			return Issued{}, err
		}
		if last.CAID == snap.active.row.ID {
			return Issued{}, &domain.RateLimitedError{What: "certificate renewal", RetryAfter: s.d.MinReissue - s.d.Clock.Now().Sub(last.IssuedAt)}
		}
	}
	return s.Issue(ctx, deviceID, csrPEM)
}

// NeedsRenewal reports whether the device should ask for a certificate
// now: it has none, or its latest is from a CA that is no longer the
// active one (a rotation), or two thirds of its lifetime are gone.
func (s *Service) NeedsRenewal(ctx context.Context, deviceID string) (bool, error) {
	last, err := s.d.Store.DeviceCerts().Latest(ctx, deviceID)
	if errors.Is(err, domain.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("latest device certificate: %w", err)
	}
	if !last.RevokedAt.IsZero() {
		return false, nil
	}
	snap, err := s.current(ctx)
	if err != nil {
		return false, err
	}
	if last.CAID != snap.active.row.ID {
		return true, nil
	}
	life := last.NotAfter.Sub(last.NotBefore)
	return s.d.Clock.Now().After(last.NotBefore.Add(life * 2 / 3)), nil
}
