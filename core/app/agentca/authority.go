package agentca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// authority is one CA as the service uses it: parsed, and (for the active
// one) with its private key opened.
type authority struct {
	row  ports.CertAuthority
	cert *x509.Certificate
	key  crypto.Signer // active CA only
}

// snapshot is the CAs as one read of the store saw them.
type snapshot struct {
	at      time.Time
	active  *authority
	trusted []*authority // active first, then the rotated-out ones still trusted
	pool    *x509.CertPool
	roots   string // PEM of every trusted root, active first
}

// keyAAD binds a sealed CA key to its CA.
func keyAAD(id string) []byte { return []byte("breeze/agent-ca/" + id) }

// newAuthority makes a CA: a P-256 key and a self-signed certificate for
// CALifetime, the key sealed for the store.
func (s *Service) newAuthority(now time.Time) (ports.CertAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ports.CertAuthority{}, fmt.Errorf("agentca: CA key: %w", err)
	}
	id := domain.NewID()
	serial, err := newSerial()
	if err != nil {
		return ports.CertAuthority{}, err
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Breeze"}, CommonName: "Breeze agent CA " + now.UTC().Format("2006-01-02") + " " + id[len(id)-8:]},
		NotBefore:             now.Add(-maxBackdate),
		NotAfter:              now.Add(CALifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return ports.CertAuthority{}, fmt.Errorf("agentca: CA certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return ports.CertAuthority{}, fmt.Errorf("agentca: CA key: %w", err)
	}
	sealed, err := s.d.Sealer.Seal(pk, keyAAD(id))
	if err != nil {
		return ports.CertAuthority{}, fmt.Errorf("agentca: seal CA key: %w", err)
	}
	return ports.CertAuthority{
		ID: id, CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeySealed: sealed, State: ports.CAActive, CreatedAt: now.UTC(),
	}, nil
}

// newSerial is a random positive 127-bit serial (RFC 5280 allows 20 octets).
func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("agentca: serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// serialHex is how a serial is stored: lower-case hex.
func serialHex(n *big.Int) string { return n.Text(16) }

// current returns the CAs, read again when older than Refresh; the first
// use creates the CA (CreateActive keeps it one across nodes).
func (s *Service) current(ctx context.Context) (*snapshot, error) {
	// Freshness is wall-clock time (the Clock dates certificates).
	wall := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snap != nil && wall.Sub(s.snap.at) < s.d.Refresh {
		return s.snap, nil
	}
	snap, err := s.load(ctx, s.d.Clock.Now())
	if snap != nil {
		snap.at = wall
		if s.lastActive != "" && snap.active.row.ID != s.lastActive && s.d.OnRotate != nil {
			go s.d.OnRotate()
		}
		s.lastActive = snap.active.row.ID
	}
	if err != nil {
		if s.snap != nil {
			// A database hiccup keeps the CAs we know: links keep working.
			s.d.Logger.Warn("agent CAs not reloaded; keeping the ones read before", "error", err)
			return s.snap, nil
		}
		return nil, err
	}
	s.snap = snap
	return snap, nil
}

// forget drops the cached CAs (after a rotation or retirement here).
func (s *Service) forget() {
	s.mu.Lock()
	s.snap = nil
	s.mu.Unlock()
}

func (s *Service) load(ctx context.Context, now time.Time) (*snapshot, error) {
	rows, err := s.d.Store.CAs().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list agent CAs: %w", err)
	}
	hasActive := false
	for _, r := range rows {
		hasActive = hasActive || r.State == ports.CAActive
	}
	if !hasActive {
		fresh, err := s.newAuthority(now)
		if err != nil {
			return nil, err
		}
		won, err := s.d.Store.CAs().CreateActive(ctx, fresh)
		if err != nil {
			return nil, fmt.Errorf("create agent CA: %w", err)
		}
		if won.ID == fresh.ID {
			s.d.Logger.Info("created the agent CA", "ca_id", won.ID)
		}
		if rows, err = s.d.Store.CAs().List(ctx); err != nil {
			return nil, fmt.Errorf("list agent CAs: %w", err)
		}
	}
	snap := &snapshot{at: now, pool: x509.NewCertPool()}
	var pems []string
	for _, r := range rows {
		if r.State == ports.CARetired {
			continue
		}
		cert, err := parseCertPEM(r.CertPEM)
		if err != nil {
			return nil, fmt.Errorf("agent CA %s: %w", r.ID, err)
		}
		a := &authority{row: r, cert: cert}
		if r.State == ports.CAActive {
			raw, err := s.d.Sealer.Open(r.KeySealed, keyAAD(r.ID))
			if err != nil {
				return nil, fmt.Errorf("open the agent CA key (is BREEZE_PLUGIN_SECRET_KEY the one it was sealed with?): %w", err)
			}
			k, err := x509.ParsePKCS8PrivateKey(raw)
			signer, ok := k.(crypto.Signer)
			if err != nil || !ok {
				return nil, fmt.Errorf("agent CA %s: unusable private key", r.ID)
			}
			a.key = signer
			snap.active = a
			snap.trusted = append([]*authority{a}, snap.trusted...)
			pems = append([]string{r.CertPEM}, pems...)
		} else {
			snap.trusted = append(snap.trusted, a)
			pems = append(pems, r.CertPEM)
		}
		snap.pool.AddCert(cert)
	}
	if snap.active == nil {
		return nil, errors.New("agent CAs: none is active")
	}
	snap.roots = strings.Join(pems, "")
	return snap, nil
}

func parseCertPEM(s string) (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

// Roots returns the PEM of every trusted root (the active CA first).
func (s *Service) Roots(ctx context.Context) (string, error) {
	snap, err := s.current(ctx)
	if err != nil {
		return "", err
	}
	return snap.roots, nil
}

// Pool returns the trusted roots for a TLS server's ClientCAs.
func (s *Service) Pool(ctx context.Context) (*x509.CertPool, error) {
	snap, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return snap.pool, nil
}
