package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/agent/config"
)

// File names in the state directory.
const (
	KeyFile   = "client.key"
	CertFile  = "client.crt"
	RootsFile = "ca.pem"
)

// Store is the key and certificate on disk and in memory. Safe for
// concurrent use: the TLS stack reads the certificate while a renewal
// replaces it.
type Store struct {
	dir string
	key crypto.Signer

	mu   sync.RWMutex
	cert *tls.Certificate // nil: none yet
}

// Open loads the key from dir, making it (0600) when there is none, and
// the certificate when there is one for that key.
func Open(dir string) (*Store, error) {
	s := &Store{dir: dir}
	path := filepath.Join(dir, KeyFile)
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
		if err := config.WriteFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, fmt.Errorf("save client key: %w", err)
		}
		s.key = k
	case err != nil:
		return nil, fmt.Errorf("read client key: %w", err)
	default:
		b, _ := pem.Decode(raw)
		if b == nil {
			return nil, fmt.Errorf("client key %s is not PEM", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		signer, ok := k.(crypto.Signer)
		if err != nil || !ok {
			return nil, fmt.Errorf("client key %s does not parse", path)
		}
		s.key = signer
	}
	if certPEM, err := os.ReadFile(filepath.Join(dir, CertFile)); err == nil {
		// A certificate for another key (a key file replaced by hand) is
		// ignored: the agent asks for a new one.
		_ = s.use(certPEM)
	}
	return s, nil
}

// CSR returns a PEM certificate request signed by the key. It names
// nothing: the server names the certificate after the device.
func (s *Store) CSR() (string, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, s.key)
	if err != nil {
		return "", fmt.Errorf("certificate request: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// Save adopts a certificate the server issued (it must be for this key)
// and keeps it and the roots on disk.
func (s *Store) Save(certPEM, rootsPEM string) error {
	if err := s.use([]byte(certPEM)); err != nil {
		return err
	}
	if err := config.WriteFileAtomic(filepath.Join(s.dir, CertFile), []byte(certPEM)); err != nil {
		return fmt.Errorf("save client certificate: %w", err)
	}
	if rootsPEM != "" {
		if err := config.WriteFileAtomic(filepath.Join(s.dir, RootsFile), []byte(rootsPEM)); err != nil {
			return fmt.Errorf("save CA roots: %w", err)
		}
	}
	return nil
}

// use parses certPEM and makes it the current certificate.
func (s *Store) use(certPEM []byte) error {
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return errors.New("client certificate is not PEM")
	}
	leaf, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return fmt.Errorf("client certificate: %w", err)
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(s.key.Public()) {
		return errors.New("client certificate is not for this agent's key")
	}
	s.mu.Lock()
	s.cert = &tls.Certificate{Certificate: [][]byte{b.Bytes}, PrivateKey: s.key, Leaf: leaf}
	s.mu.Unlock()
	return nil
}

// Leaf returns the current certificate, or nil.
func (s *Store) Leaf() *x509.Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cert == nil {
		return nil
	}
	return s.cert.Leaf
}

// Due reports whether a new certificate should be asked for at now: none,
// or two thirds of the current one's lifetime are gone.
func (s *Store) Due(now time.Time) bool {
	leaf := s.Leaf()
	if leaf == nil {
		return true
	}
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return now.After(leaf.NotBefore.Add(life * 2 / 3))
}

// clientCertificate presents the current certificate when it is valid and
// from a CA the server asks for; otherwise none (where mutual TLS is not
// required the link then still opens, and the agent renews over it).
func (s *Store) clientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	s.mu.RLock()
	c := s.cert
	s.mu.RUnlock()
	if c == nil || time.Now().After(c.Leaf.NotAfter) {
		return &tls.Certificate{}, nil
	}
	if len(cri.AcceptableCAs) > 0 && cri.SupportsCertificate(c) != nil {
		return &tls.Certificate{}, nil
	}
	return c, nil
}

// TLSConfig returns base (nil: a default one) presenting the agent's
// certificate to a server that asks for one.
func (s *Store) TLSConfig(base *tls.Config) *tls.Config {
	var c *tls.Config
	if base == nil {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		c = base.Clone()
	}
	c.GetClientCertificate = s.clientCertificate
	return c
}

// DER returns the current certificate in DER (nil: none): what a TLS
// front passes on, base64, in X-Client-Cert.
func (s *Store) DER() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cert == nil {
		return nil
	}
	return s.cert.Certificate[0]
}
