package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// issue signs a certificate for csrPEM's key, valid from nb for life.
func issue(t *testing.T, csrPEM string, nb time.Time, life time.Duration) string {
	t.Helper()
	b, _ := pem.Decode([]byte(csrPEM))
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "dev"},
		NotBefore: nb, NotAfter: nb.Add(life), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, csr.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// The key is made once (0600) and kept; a certificate for it is saved and
// reloaded; one for another key is refused; due at two thirds.
func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(dir, KeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v %v", fi, err)
		}
	}
	if !s.Due(time.Now()) || s.Leaf() != nil {
		t.Fatal("no certificate yet, but not due")
	}
	csr, err := s.CSR()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert := issue(t, csr, now.Add(-time.Minute), 3*time.Hour)
	if err := s.Save(cert, "roots"); err != nil {
		t.Fatal(err)
	}
	if s.Due(now) || !s.Due(now.Add(2*time.Hour)) {
		t.Fatal("due is not at two thirds of the lifetime")
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Leaf() == nil || again.Leaf().SerialNumber.Cmp(s.Leaf().SerialNumber) != 0 {
		t.Fatal("the certificate was not kept across a restart")
	}
	other, _ := Open(t.TempDir())
	otherCSR, _ := other.CSR()
	if err := s.Save(issue(t, otherCSR, now, time.Hour), ""); err == nil {
		t.Fatal("a certificate for another key was adopted")
	}

	// An expired certificate is not presented.
	conf := s.TLSConfig(nil)
	c, _ := conf.GetClientCertificate(&tls.CertificateRequestInfo{})
	if len(c.Certificate) != 1 {
		t.Fatal("a valid certificate was not presented")
	}
	if err := s.Save(issue(t, csr, now.Add(-2*time.Hour), time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	c, _ = conf.GetClientCertificate(&tls.CertificateRequestInfo{})
	if len(c.Certificate) != 0 {
		t.Fatal("an expired certificate was presented")
	}
}

type sends struct {
	mu  sync.Mutex
	got []protocol.CertRequest
}

func (s *sends) Send(_ context.Context, f any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, f.(protocol.CertRequest))
	return nil
}

func (s *sends) last() (protocol.CertRequest, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return protocol.CertRequest{}, 0
	}
	return s.got[len(s.got)-1], len(s.got)
}

// The renewer asks when the welcome says so, saves the answer to its own
// request, and ignores answers to requests it did not make.
func TestRenewer(t *testing.T) {
	st, _ := Open(t.TempDir())
	csr, _ := st.CSR()
	if err := st.Save(issue(t, csr, time.Now(), time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	out := &sends{}
	r := &Renewer{Store: st, Send: out, Every: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.Welcome(protocol.Welcome{})
	time.Sleep(50 * time.Millisecond)
	if _, n := out.last(); n != 0 {
		t.Fatal("asked although nothing was due")
	}
	r.Welcome(protocol.Welcome{CertRenew: true})
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, n := out.last(); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the welcome's certRenew sent no request")
		}
		time.Sleep(10 * time.Millisecond)
	}
	req, _ := out.last()
	oldSerial := st.Leaf().SerialNumber
	r.Issued(protocol.CertIssued{Header: protocol.Header{ID: "not-ours"}, Cert: issue(t, req.CSR, time.Now(), time.Hour)})
	if st.Leaf().SerialNumber.Cmp(oldSerial) != 0 {
		t.Fatal("an answer to no request was adopted")
	}
	r.Issued(protocol.CertIssued{Header: protocol.Header{ID: req.ID}, Cert: issue(t, req.CSR, time.Now(), time.Hour)})
	if st.Leaf().SerialNumber.Cmp(oldSerial) == 0 {
		t.Fatal("the answer was not adopted")
	}
}

// The server's cert_renew (a CA rotation) makes the renewer ask within
// Retry, although its certificate is not due.
func TestRenewSoon(t *testing.T) {
	st, _ := Open(t.TempDir())
	csr, _ := st.CSR()
	if err := st.Save(issue(t, csr, time.Now(), time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	out := &sends{}
	r := &Renewer{Store: st, Send: out, Every: time.Hour, Retry: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.RenewSoon()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, n := out.last(); n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("cert_renew sent no request")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
