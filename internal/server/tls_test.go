package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/domain"
)

// BenchmarkHandshake measures full TLS handshakes (no session resumption:
// a reconnecting fleet after a restart) against the node's own TLS
// configuration (serverTLS), in memory: the cost of mutual TLS on the
// agent link. Per core: go test -run '^$' -bench Handshake -cpu 1 ./internal/server/
//
//	plain      the server asks for no client certificate (no mTLS anywhere)
//	no-cert    the server asks (serverTLS), the client has none (a browser)
//	client-cert the client presents its P-256 certificate, verified against the CA pool
func BenchmarkHandshake(b *testing.B) {
	f := newTLSFixture(b)
	srvCert, roots, clientCert, ca := f.srvCert, f.roots, f.clientCert, f.ca
	mtls := serverTLS(srvCert, ca, hclog.NewNullLogger())
	plain := &tls.Config{Certificates: []tls.Certificate{srvCert}, MinVersion: tls.VersionTLS12}
	cases := []struct {
		name   string
		server *tls.Config
		client []tls.Certificate
	}{
		{"plain", plain, nil},
		{"no-cert", mtls, nil},
		{"client-cert", mtls, []tls.Certificate{clientCert}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cc, sc := net.Pipe()
				client := tls.Client(cc, &tls.Config{ServerName: "breeze.test", RootCAs: roots, Certificates: c.client})
				server := tls.Server(sc, c.server)
				errc := make(chan error, 1)
				go func() { errc <- server.Handshake() }()
				if err := client.Handshake(); err != nil {
					b.Fatal(err)
				}
				if err := <-errc; err != nil {
					b.Fatal(err)
				}
				if c.client != nil && len(server.ConnectionState().PeerCertificates) != 1 {
					b.Fatal("the client certificate did not arrive")
				}
				_ = cc.Close()
				_ = sc.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
		})
	}
}

// tlsFixture is a CA on a fresh store with one device's client
// certificate, and a server certificate the client trusts.
type tlsFixture struct {
	ca         *agentca.Service
	deviceID   string
	clientCert tls.Certificate
	srvCert    tls.Certificate
	roots      *x509.CertPool
}

func newTLSFixture(tb testing.TB) *tlsFixture {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(tb.TempDir(), "breeze.db")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	box, _ := secretbox.New(make([]byte, secretbox.KeySize))
	ca, err := agentca.New(agentca.Deps{Store: st, Sealer: box, Refresh: time.Nanosecond})
	if err != nil {
		tb.Fatal(err)
	}
	all := domain.GlobalScope()
	p := &domain.Partner{Name: "P"}
	o := &domain.Organization{Name: "O"}
	s := &domain.Site{Name: "S", Timezone: "UTC"}
	d := &domain.Device{Hostname: "h", OS: "linux", Arch: "amd64", AgentVersion: "1", Status: domain.DeviceOnline}
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(st.Partners().Create(ctx, all, p))
	o.PartnerID = p.ID
	must(st.Orgs().Create(ctx, all, o))
	s.OrgID = o.ID
	must(st.Sites().Create(ctx, all, s))
	d.SiteID = s.ID
	must(st.Devices().Create(ctx, all, d))
	f := &tlsFixture{ca: ca, deviceID: d.ID}
	f.clientCert = f.issue(tb)

	// The node's own certificate: P-256, like Caddy's and ACME's defaults.
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "breeze.test"}, DNSNames: []string{"breeze.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &srvKey.PublicKey, srvKey)
	f.srvCert = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	f.roots = x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(srvDER)
	f.roots.AddCert(leaf)
	return f
}

// issue makes a key and has the CA certify it for the device.
func (f *tlsFixture) issue(tb testing.TB) tls.Certificate {
	tb.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csrDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	issued, err := f.ca.Issue(context.Background(), f.deviceID, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})))
	if err != nil {
		tb.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(issued.CertPEM))
	return tls.Certificate{Certificate: [][]byte{blk.Bytes}, PrivateKey: key}
}

// handshake runs one in-memory handshake and returns the server's view.
func handshake(server *tls.Config, roots *x509.CertPool, client []tls.Certificate) (tls.ConnectionState, error) {
	cc, sc := net.Pipe()
	defer cc.Close()
	defer sc.Close()
	cconf := &tls.Config{ServerName: "breeze.test", RootCAs: roots}
	if len(client) > 0 {
		// Always sent, whatever CAs the server lists (Go's client would
		// otherwise keep back a certificate the server does not name).
		cconf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &client[0], nil }
	}
	c := tls.Client(cc, cconf)
	s := tls.Server(sc, server)
	errc := make(chan error, 1)
	go func() { errc <- s.Handshake() }()
	_ = cc.SetDeadline(time.Now().Add(10 * time.Second))
	_ = sc.SetDeadline(time.Now().Add(10 * time.Second))
	cerr := c.Handshake()
	if cerr == nil {
		// Read what the server sends after the handshake (its alert on a
		// refusal): net.Pipe has no buffer.
		go func() { _, _ = io.Copy(io.Discard, c) }()
	}
	serr := <-errc
	if serr != nil {
		return tls.ConnectionState{}, serr
	}
	if cerr != nil {
		return tls.ConnectionState{}, cerr
	}
	// TLS 1.3: the server's verdict on the client certificate arrives with
	// the first read.
	go func() { _, _ = c.Write([]byte{1}) }()
	buf := make([]byte, 1)
	if _, err := s.Read(buf); err != nil {
		return tls.ConnectionState{}, err
	}
	return s.ConnectionState(), nil
}

// The node's own TLS takes a certificate of the agent CA, refuses a
// foreign one, lets a client without one through (a browser), and trusts
// a new CA after a rotation without a restart.
func TestServerTLSClientCertificates(t *testing.T) {
	f := newTLSFixture(t)
	conf := serverTLS(f.srvCert, f.ca, hclog.NewNullLogger())
	st, err := handshake(conf, f.roots, []tls.Certificate{f.clientCert})
	if err != nil || len(st.PeerCertificates) != 1 {
		t.Fatalf("agent CA certificate: %v %d", err, len(st.PeerCertificates))
	}
	if _, err := handshake(conf, f.roots, nil); err != nil {
		t.Fatalf("no client certificate: %v", err)
	}
	fk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: f.deviceID}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &fk.PublicKey, fk)
	if _, err := handshake(conf, f.roots, []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: fk}}); err == nil {
		t.Fatal("a foreign certificate passed the handshake")
	}
	if _, err := f.ca.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := f.issue(t)
	if _, err := handshake(conf, f.roots, []tls.Certificate{fresh}); err != nil {
		t.Fatalf("a new-CA certificate after the rotation: %v", err)
	}
	if _, err := handshake(conf, f.roots, []tls.Certificate{f.clientCert}); err != nil {
		t.Fatalf("an old-CA certificate during the overlap: %v", err)
	}
}
