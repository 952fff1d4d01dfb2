package agentca_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	st    ports.Store
	box   *secretbox.Box
	clock *clock
	ca    *agentca.Service
	devA  *domain.Device // partner P
	devB  *domain.Device // partner P
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "breeze.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secretbox.KeySize)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, box: box, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	e.ca = e.node(t, false)
	all := domain.GlobalScope()
	p := &domain.Partner{Name: "P"}
	must(t, st.Partners().Create(ctx, all, p))
	o := &domain.Organization{PartnerID: p.ID, Name: "O"}
	must(t, st.Orgs().Create(ctx, all, o))
	s := &domain.Site{OrgID: o.ID, Name: "S", Timezone: "UTC"}
	must(t, st.Sites().Create(ctx, all, s))
	mk := func(host string) *domain.Device {
		d := &domain.Device{SiteID: s.ID, Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", Status: domain.DeviceOnline}
		must(t, st.Devices().Create(ctx, all, d))
		return d
	}
	e.devA, e.devB = mk("a"), mk("b")
	return e
}

// node is another server node on the same store and key.
func (e *env) node(t *testing.T, requireAll bool) *agentca.Service {
	t.Helper()
	s, err := agentca.New(agentca.Deps{Store: e.st, Sealer: e.box, Clock: e.clock, CertTTL: time.Hour,
		RequireAll: requireAll, MinReissue: -1, Refresh: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// csr makes a key and a CSR naming cn.
func csr(t *testing.T, cn string) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn}}, k)
	must(t, err)
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func parse(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		t.Fatal("no PEM")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	must(t, err)
	return c
}

func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("%s: %v, want unauthenticated", what, err)
	}
}

// A CSR naming another device gets a certificate for the requester's own
// device, which does not open the other device's link.
func TestIssueNamesTheDeviceNotTheCSR(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, req := csr(t, e.devB.ID)
	got, err := e.ca.Issue(ctx, e.devA.ID, req)
	must(t, err)
	c := parse(t, got.CertPEM)
	if c.Subject.CommonName != e.devA.ID || len(c.DNSNames) != 0 {
		t.Fatalf("certificate names %q %v, want only %s", c.Subject.CommonName, c.DNSNames, e.devA.ID)
	}
	if c.NotAfter.Sub(c.NotBefore) > time.Hour+10*time.Minute || c.IsCA {
		t.Fatalf("certificate validity %v..%v, CA %v", c.NotBefore, c.NotAfter, c.IsCA)
	}
	if got.Roots == "" || parse(t, got.Roots).Subject.CommonName == "" {
		t.Fatal("no CA roots returned")
	}
	must(t, e.ca.Verify(ctx, e.devA.ID, []*x509.Certificate{c}))
	wantRefused(t, "device A's certificate on device B's link", e.ca.Verify(ctx, e.devB.ID, []*x509.Certificate{c}))

	// A CSR whose signature does not verify, or garbage, is refused.
	if _, err := e.ca.Issue(ctx, e.devA.ID, "not a csr"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("garbage CSR: %v", err)
	}
	b, _ := pem.Decode([]byte(req))
	b.Bytes[len(b.Bytes)-3] ^= 0xff
	if _, err := e.ca.Issue(ctx, e.devA.ID, string(pem.EncodeToMemory(b))); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("tampered CSR: %v", err)
	}
}

// Expired, revoked (decommissioned), foreign-CA and missing certificates
// are refused where mTLS is required; nothing is asked where it is not.
func TestVerifyRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, req := csr(t, "")
	got, err := e.ca.Issue(ctx, e.devA.ID, req)
	must(t, err)
	c := parse(t, got.CertPEM)

	must(t, e.ca.CheckLink(ctx, e.devA.ID, nil)) // not required: passes without one
	strict := e.node(t, true)
	wantRefused(t, "no certificate", strict.CheckLink(ctx, e.devA.ID, nil))
	must(t, strict.CheckLink(ctx, e.devA.ID, []*x509.Certificate{c}))

	// Per partner: the switch on the device's partner.
	requireMTLSOfDevice(t, e, e.devA.ID)
	wantRefused(t, "partner requires, no certificate", e.ca.CheckLink(ctx, e.devA.ID, nil))

	// Another CA's certificate naming the device, with a serial this server issued.
	foreignKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreignCA := &x509.Certificate{SerialNumber: c.SerialNumber, Subject: pkix.Name{CommonName: "evil CA"}, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, foreignCA, foreignCA, &foreignKey.PublicKey, foreignKey)
	caCert, _ := x509.ParseCertificate(caDER)
	leafTpl := &x509.Certificate{SerialNumber: c.SerialNumber, Subject: pkix.Name{CommonName: e.devA.ID}, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafTpl, caCert, &foreignKey.PublicKey, foreignKey)
	leaf, _ := x509.ParseCertificate(leafDER)
	wantRefused(t, "foreign CA", strict.Verify(ctx, e.devA.ID, []*x509.Certificate{leaf}))
	wantRefused(t, "foreign CA with its root as intermediate", strict.Verify(ctx, e.devA.ID, []*x509.Certificate{leaf, caCert}))

	// Expired.
	e.clock.Advance(2 * time.Hour)
	wantRefused(t, "expired", strict.Verify(ctx, e.devA.ID, []*x509.Certificate{c}))
	e.clock.Advance(-2 * time.Hour)

	// Revoked: decommission revokes every certificate of the device.
	n, err := e.st.DeviceCerts().RevokeDevice(ctx, e.devA.ID, e.clock.Now())
	must(t, err)
	if n != 1 {
		t.Fatalf("revoked %d", n)
	}
	wantRefused(t, "revoked", strict.Verify(ctx, e.devA.ID, []*x509.Certificate{c}))
	if _, err := e.ca.Renew(ctx, e.devA.ID, req); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("renewal of a revoked device: %v", err)
	}
}

// Rotation: the old CA's certificates link during the overlap, renewal
// gives a new-CA certificate, and after retirement the old one is refused.
func TestRotation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	nodeB := e.node(t, true)
	_, req := csr(t, "")
	first, err := e.ca.Issue(ctx, e.devA.ID, req)
	must(t, err)
	old := parse(t, first.CertPEM)
	if need, err := e.ca.NeedsRenewal(ctx, e.devA.ID); err != nil || need {
		t.Fatalf("a fresh certificate needs renewal: %v %v", need, err)
	}

	newID, err := e.ca.Rotate(ctx)
	must(t, err)
	must(t, nodeB.Verify(ctx, e.devA.ID, []*x509.Certificate{old})) // overlap: another node still accepts it
	roots, err := nodeB.Roots(ctx)
	must(t, err)
	if n := len(splitPEM(roots)); n != 2 {
		t.Fatalf("%d roots during the overlap, want 2", n)
	}
	if need, err := nodeB.NeedsRenewal(ctx, e.devA.ID); err != nil || !need {
		t.Fatalf("a certificate of the rotated-out CA does not need renewal: %v %v", need, err)
	}
	renewed, err := nodeB.Renew(ctx, e.devA.ID, req)
	must(t, err)
	if renewed.Record.CAID != newID {
		t.Fatalf("renewed by CA %s, want the new %s", renewed.Record.CAID, newID)
	}
	fresh := parse(t, renewed.CertPEM)
	must(t, nodeB.Verify(ctx, e.devA.ID, []*x509.Certificate{fresh}))

	st, err := e.ca.Status(ctx)
	must(t, err)
	if len(st) != 2 || st[0].State != ports.CAActive || st[1].State != ports.CATrusted || st[0].ValidCerts != 1 || st[1].ValidCerts != 1 {
		t.Fatalf("status %+v", st)
	}
	if _, err := e.ca.Retire(ctx, newID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("retiring the active CA: %v", err)
	}
	retired, err := e.ca.Retire(ctx, "")
	must(t, err)
	if retired != st[1].ID {
		t.Fatalf("retired %s, want %s", retired, st[1].ID)
	}
	wantRefused(t, "old-CA certificate after retirement", nodeB.Verify(ctx, e.devA.ID, []*x509.Certificate{old}))
	must(t, nodeB.Verify(ctx, e.devA.ID, []*x509.Certificate{fresh}))
}

// Nodes starting together create one CA between them.
func TestCreationRace(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	roots := make([]string, 6)
	for i := range roots {
		n := e.node(t, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := n.Roots(context.Background())
			if err != nil {
				t.Error(err)
			}
			roots[i] = r
		}()
	}
	wg.Wait()
	for _, r := range roots {
		if r != roots[0] {
			t.Fatal("nodes racing saw different CAs")
		}
	}
	cas, err := e.st.CAs().List(t.Context())
	must(t, err)
	if len(cas) != 1 {
		t.Fatalf("%d CAs after the race", len(cas))
	}
	if cas[0].KeySealed == "" || len(cas[0].KeySealed) < 20 || cas[0].KeySealed[:3] != "v1." {
		t.Fatal("the CA key is not sealed")
	}
	// Another sealing key cannot open it.
	other, _ := secretbox.New(make([]byte, secretbox.KeySize))
	wrong, _ := agentca.New(agentca.Deps{Store: e.st, Sealer: other})
	if _, err := wrong.Roots(t.Context()); err == nil {
		t.Fatal("the CA key opened with another sealing key")
	}
}

func splitPEM(s string) []*pem.Block {
	var out []*pem.Block
	rest := []byte(s)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		out = append(out, b)
	}
}

// The partners' switches are read once per Refresh, not per link: a node
// sees a switch turned on within Refresh, and not before.
func TestPartnerSwitchIsReadPerRefresh(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	slow, err := agentca.New(agentca.Deps{Store: e.st, Sealer: e.box, Clock: e.clock, CertTTL: time.Hour,
		MinReissue: -1, Refresh: time.Hour})
	must(t, err)
	must(t, slow.CheckLink(ctx, e.devA.ID, nil)) // reads the switches: none on
	requireMTLSOfDevice(t, e, e.devA.ID)
	must(t, slow.CheckLink(ctx, e.devA.ID, nil)) // within its Refresh: the switch as read
	wantRefused(t, "switch read after the change", e.ca.CheckLink(ctx, e.devA.ID, nil))
}

// requireMTLSOfDevice turns on the mTLS switch of the device's partner in the store.
func requireMTLSOfDevice(t *testing.T, e *env, deviceID string) {
	t.Helper()
	ctx := t.Context()
	dev, err := e.st.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	must(t, err)
	p, err := e.st.Partners().Get(ctx, domain.GlobalScope(), dev.PartnerID)
	must(t, err)
	p.RequireMTLS = true
	_, err = e.st.Partners().Update(ctx, domain.GlobalScope(), p)
	must(t, err)
}
