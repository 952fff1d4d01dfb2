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
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(b.TempDir(), "breeze.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	box, _ := secretbox.New(make([]byte, secretbox.KeySize))
	ca, err := agentca.New(agentca.Deps{Store: st, Sealer: box, Refresh: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	all := domain.GlobalScope()
	p := &domain.Partner{Name: "P"}
	o := &domain.Organization{Name: "O"}
	s := &domain.Site{Name: "S", Timezone: "UTC"}
	d := &domain.Device{Hostname: "h", OS: "linux", Arch: "amd64", AgentVersion: "1", Status: domain.DeviceOnline}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.Partners().Create(ctx, all, p))
	o.PartnerID = p.ID
	must(st.Orgs().Create(ctx, all, o))
	s.OrgID = o.ID
	must(st.Sites().Create(ctx, all, s))
	d.SiteID = s.ID
	must(st.Devices().Create(ctx, all, d))
	agentKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csrDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, agentKey)
	issued, err := ca.Issue(ctx, d.ID, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})))
	must(err)
	blk, _ := pem.Decode([]byte(issued.CertPEM))
	clientCert := tls.Certificate{Certificate: [][]byte{blk.Bytes}, PrivateKey: agentKey}

	// The node's own certificate: P-256, like Caddy's and ACME's defaults.
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "breeze.test"}, DNSNames: []string{"breeze.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &srvKey.PublicKey, srvKey)
	srvCert := tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	roots := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(srvDER)
	roots.AddCert(leaf)

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
