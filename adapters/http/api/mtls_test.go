package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// agentKey is a test agent's key and what enrollment gave it.
type agentKey struct {
	key   *ecdsa.PrivateKey
	id    string
	token string
	cert  *x509.Certificate
	roots string
}

func newCSR(t *testing.T, key *ecdsa.PrivateKey, cn string) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func parseCert(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		t.Fatalf("not PEM: %q", p)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var enrollAddr = 0

// enrollWithCSR enrolls through the API with a CSR naming cn.
func enrollWithCSR(t *testing.T, ts *apitest.TestServer, tn apitest.Tenant, cn string) agentKey {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tok := ts.Login(t, tn.Admin.Email, tn.Admin.Password)
	ekey := ts.MintEnrollKey(t, tok, tn.Sites[0].ID)
	enrollAddr++
	rec := ts.RequestFrom(t, fmt.Sprintf("10.99.0.%d", enrollAddr), http.MethodPost, protocol.EnrollPath, "", protocol.EnrollRequest{
		EnrollmentKey: ekey, Hostname: "mtls", OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", CSR: newCSR(t, key, cn)})
	if rec.Code != http.StatusCreated {
		t.Fatalf("enroll: %d %s", rec.Code, rec.Body.String())
	}
	var out protocol.EnrollResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.ClientCert == "" || out.CARoots == "" {
		t.Fatalf("enrollment with a CSR answered no certificate: %+v", out)
	}
	return agentKey{key: key, id: out.DeviceID, token: out.AgentToken, cert: parseCert(t, out.ClientCert), roots: out.CARoots}
}

// dialWith opens deviceID's link with token and extra headers.
func dialWith(t *testing.T, base, deviceID, token string, hdr http.Header, tlsConf *tls.Config) (*websocket.Conn, int) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + fmt.Sprintf(protocol.LinkPath, deviceID)
	h := http.Header{}
	for k, v := range hdr {
		h[k] = v
	}
	h.Set("Authorization", "Bearer "+token)
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: tlsConf}
	conn, resp, err := d.Dial(u, h)
	if conn != nil {
		t.Cleanup(func() { _ = conn.Close() })
		return conn, http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial: %v", err)
	}
	return nil, resp.StatusCode
}

func certHeader(c *x509.Certificate) http.Header {
	return http.Header{httpapi.ClientCertHeader: {base64.StdEncoding.EncodeToString(c.Raw)}}
}

// Enrollment with a CSR that names another device gets a certificate for
// its own new device only; a malformed CSR is refused before the key is used.
func TestEnrollCSRNamesOwnDevice(t *testing.T) {
	ts := apitest.NewServer(t)
	a := ts.Seed.A
	first := enrollWithCSR(t, ts, a, "")
	if first.cert.Subject.CommonName != first.id {
		t.Fatalf("certificate names %q, want the device %s", first.cert.Subject.CommonName, first.id)
	}
	second := enrollWithCSR(t, ts, a, first.id) // asks for the first device's name
	if second.cert.Subject.CommonName != second.id || second.id == first.id {
		t.Fatalf("a CSR naming %s got a certificate for %q (device %s)", first.id, second.cert.Subject.CommonName, second.id)
	}
	if len(second.cert.DNSNames)+len(second.cert.URIs)+len(second.cert.EmailAddresses) != 0 {
		t.Fatal("the certificate copies names from the CSR")
	}

	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	ekey := ts.MintEnrollKey(t, tok, a.Sites[0].ID)
	rec := ts.RequestFrom(t, "10.98.0.1", http.MethodPost, protocol.EnrollPath, "", protocol.EnrollRequest{
		EnrollmentKey: ekey, Hostname: "bad", OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", CSR: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"})
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("malformed CSR: %d %s", rec.Code, rec.Body.String())
	}
}

// Server-wide mTLS through the trusted front: no certificate, a stripped
// header from an untrusted peer, another device's, a foreign CA's, an
// expired and a revoked certificate are all refused; the device's own
// valid certificate links.
func TestLinkRequiresCertificateFromTrustedFront(t *testing.T) {
	front := apitest.NewServerWith(t, apitest.Options{TrustedProxies: []string{"127.0.0.1"},
		Agents: apitest.AgentOptions{RequireMTLS: true, CertTTL: time.Hour}})
	a := enrollWithCSR(t, front, front.Seed.A, "")
	b := enrollWithCSR(t, front, front.Seed.A, "")
	base := front.URL(t)

	if _, code := dialWith(t, base, a.id, a.token, nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("no certificate: %d", code)
	}
	if _, code := dialWith(t, base, a.id, a.token, certHeader(b.cert), nil); code != http.StatusUnauthorized {
		t.Fatalf("another device's certificate: %d", code)
	}
	if _, code := dialWith(t, base, a.id, a.token, http.Header{httpapi.ClientCertHeader: {"garbage"}}, nil); code != http.StatusUnauthorized {
		t.Fatalf("a garbage header: %d", code)
	}
	// A foreign CA signing a certificate with the device's name.
	fk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: a.id}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &fk.PublicKey, fk)
	foreign, _ := x509.ParseCertificate(der)
	if _, code := dialWith(t, base, a.id, a.token, certHeader(foreign), nil); code != http.StatusUnauthorized {
		t.Fatalf("a foreign CA's certificate: %d", code)
	}
	conn, code := dialWith(t, base, a.id, a.token, certHeader(a.cert), nil)
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("own valid certificate: %d", code)
	}
	apitest.Hello(t, conn, "mtls")
	_ = conn.Close()

	// The same header from an address that is not a trusted proxy is dropped.
	direct := apitest.NewServerWith(t, apitest.Options{Agents: apitest.AgentOptions{RequireMTLS: true}})
	c := enrollWithCSR(t, direct, direct.Seed.A, "")
	if _, code := dialWith(t, direct.URL(t), c.id, c.token, certHeader(c.cert), nil); code != http.StatusUnauthorized {
		t.Fatalf("the header from an untrusted peer was believed: %d", code)
	}

	// Expired.
	front.Clock.Advance(2 * time.Hour)
	if _, code := dialWith(t, base, a.id, a.token, certHeader(a.cert), nil); code != http.StatusUnauthorized {
		t.Fatalf("expired certificate: %d", code)
	}
	front.Clock.Advance(-2 * time.Hour)

	// Revoked: decommission revokes the certificates with the token; the
	// certificates alone revoked refuse the link too.
	if _, err := front.Store.DeviceCerts().RevokeDevice(t.Context(), b.id, front.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, code := dialWith(t, base, b.id, b.token, certHeader(b.cert), nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked certificate: %d", code)
	}
	tok := front.Login(t, front.Seed.A.Admin.Email, front.Seed.A.Admin.Password)
	certOf := func(id string) map[string]any {
		code, body := front.Do(t, http.MethodGet, api.Prefix+"/devices/"+id, tok, nil)
		c, _ := body["cert"].(map[string]any)
		if code != http.StatusOK || c == nil {
			t.Fatalf("device %s: %d %v", id, code, body)
		}
		return c
	}
	if c := certOf(a.id); c["state"] != "valid" || c["serial"] != a.cert.SerialNumber.Text(16) {
		t.Fatalf("device page certificate: %v", c)
	}
	if code, body := front.Do(t, http.MethodPost, api.Prefix+"/devices/"+a.id+"/decommission", tok, nil); code != http.StatusOK {
		t.Fatalf("decommission: %d %v", code, body)
	}
	got, err := front.Store.DeviceCerts().Get(t.Context(), a.cert.SerialNumber.Text(16))
	if err != nil || got.RevokedAt.IsZero() {
		t.Fatalf("decommission left the certificate unrevoked: %+v %v", got, err)
	}
	if c := certOf(a.id); c["state"] != "revoked" || c["revokedAt"] == nil {
		t.Fatalf("device page certificate after decommission: %v", c)
	}
}

// The node terminating TLS itself: the client certificate of the TLS
// handshake is the one checked; a header cannot stand in for it.
func TestLinkRequiresCertificateOnOwnTLS(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Agents: apitest.AgentOptions{RequireMTLS: true}})
	a := enrollWithCSR(t, ts, ts.Seed.A, "")
	b := enrollWithCSR(t, ts, ts.Seed.A, "")
	pool, err := ts.CA.Pool(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ts.Handler())
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := func(c *x509.Certificate, k *ecdsa.PrivateKey) *tls.Config {
		conf := &tls.Config{RootCAs: x509.NewCertPool()}
		conf.RootCAs.AddCert(srv.Certificate())
		if c != nil {
			conf.Certificates = []tls.Certificate{{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}}
		}
		return conf
	}
	if _, code := dialWith(t, srv.URL, a.id, a.token, certHeader(a.cert), client(nil, nil)); code != http.StatusUnauthorized {
		t.Fatalf("header instead of a TLS client certificate: %d", code)
	}
	if _, code := dialWith(t, srv.URL, a.id, a.token, nil, client(b.cert, b.key)); code != http.StatusUnauthorized {
		t.Fatalf("another device's TLS client certificate: %d", code)
	}
	conn, code := dialWith(t, srv.URL, a.id, a.token, nil, client(a.cert, a.key))
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("own TLS client certificate: %d", code)
	}
	apitest.Hello(t, conn, "mtls")
}

// Per partner: A requires mTLS (set through the API), B does not.
func TestPartnerRequiresMTLS(t *testing.T) {
	ts := apitest.NewServer(t)
	a, b := ts.Seed.A, ts.Seed.B
	da := enrollWithCSR(t, ts, a, "")
	db := enrollWithCSR(t, ts, b, "")
	base := ts.URL(t)
	if _, code := dialWith(t, base, da.id, da.token, nil, nil); code != http.StatusSwitchingProtocols {
		t.Fatalf("before the switch, no certificate: %d", code)
	}
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	p, err := ts.Store.Partners().Get(t.Context(), domain.GlobalScope(), a.Partner.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, body := ts.Do(t, http.MethodPatch, api.Prefix+"/partners/"+a.Partner.ID, tok, map[string]any{"requireMtls": true, "version": p.Version})
	if code != http.StatusOK || body["requireMtls"] != true {
		t.Fatalf("set requireMtls: %d %v", code, body)
	}
	if _, code := dialWith(t, base, da.id, da.token, nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("A requires mTLS, no certificate: %d", code)
	}
	if _, code := dialWith(t, base, db.id, db.token, nil, nil); code != http.StatusSwitchingProtocols {
		t.Fatalf("B does not require it: %d", code)
	}
}

// renew asks for a certificate over conn and returns the answer.
func renew(t *testing.T, ts *apitest.TestServer, conn *websocket.Conn, key *ecdsa.PrivateKey, cn string) protocol.CertIssued {
	t.Helper()
	// The test clock stands still: a later issue must be later.
	ts.Clock.Advance(time.Minute)
	if err := conn.WriteJSON(protocol.CertRequest{Header: protocol.Header{Type: protocol.TypeCertRequest, ID: "r1"}, CSR: newCSR(t, key, cn)}); err != nil {
		t.Fatal(err)
	}
	for {
		raw := apitest.ReadFrame(t, conn)
		var m protocol.CertIssued
		_ = json.Unmarshal(raw, &m)
		if m.Type == protocol.TypeCertIssued {
			if m.ID != "r1" {
				t.Fatalf("answer id %q", m.ID)
			}
			return m
		}
	}
}

// Renewal over the link, and a CA rotation: during the overlap the old
// certificate links and the welcome asks for renewal, which gives a
// new-CA certificate; after retirement the old one is refused.
func TestRenewalAndRotationOverTheLink(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{TrustedProxies: []string{"127.0.0.1"},
		Agents: apitest.AgentOptions{RequireMTLS: true, CertTTL: time.Hour}})
	a := enrollWithCSR(t, ts, ts.Seed.A, "")
	b := enrollWithCSR(t, ts, ts.Seed.A, "")
	base := ts.URL(t)
	conn, code := dialWith(t, base, a.id, a.token, certHeader(a.cert), nil)
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("link: %d", code)
	}
	if w := apitest.Hello(t, conn, "mtls"); w.CertRenew {
		t.Fatal("a fresh certificate was asked to renew")
	}
	got := renew(t, ts, conn, a.key, b.id) // the CSR names device b
	if got.Error != "" || got.Cert == "" {
		t.Fatalf("renewal: %+v", got)
	}
	renewed := parseCert(t, got.Cert)
	if renewed.Subject.CommonName != a.id || renewed.SerialNumber.Cmp(a.cert.SerialNumber) == 0 {
		t.Fatalf("renewed certificate names %q (serial %v)", renewed.Subject.CommonName, renewed.SerialNumber)
	}
	linkedA := conn // stays linked through the rotation

	oldCA := a.cert.Issuer.CommonName
	if _, err := ts.CA.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The agent that stayed linked is pushed to renew as soon as the server
	// sees the rotation (here at its next read of the CAs).
	if _, err := ts.CA.Roots(t.Context()); err != nil {
		t.Fatal(err)
	}
	for {
		var h protocol.Header
		_ = json.Unmarshal(apitest.ReadFrame(t, linkedA), &h)
		if h.Type == protocol.TypeCertRenew {
			break
		}
	}
	_ = linkedA.Close()
	// b still has only its enrollment certificate, from the old CA.
	conn, code = dialWith(t, base, b.id, b.token, certHeader(b.cert), nil)
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("an old-CA certificate during the overlap: %d", code)
	}
	if w := apitest.Hello(t, conn, "mtls"); !w.CertRenew {
		t.Fatal("the welcome did not ask an old-CA certificate to renew")
	}
	got = renew(t, ts, conn, b.key, "")
	if got.Error != "" || strings.Count(got.CARoots, "BEGIN CERTIFICATE") != 2 {
		t.Fatalf("renewal during the overlap: %+v", got)
	}
	fresh := parseCert(t, got.Cert)
	if fresh.Issuer.CommonName == oldCA {
		t.Fatal("renewed by the old CA")
	}
	_ = conn.Close()

	if _, err := ts.CA.Retire(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if _, code := dialWith(t, base, b.id, b.token, certHeader(b.cert), nil); code != http.StatusUnauthorized {
		t.Fatalf("an old-CA certificate after retirement: %d", code)
	}
	conn, code = dialWith(t, base, b.id, b.token, certHeader(fresh), nil)
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("the new-CA certificate after retirement: %d", code)
	}
	if w := apitest.Hello(t, conn, "mtls"); w.CertRenew {
		t.Fatal("a fresh new-CA certificate was asked to renew")
	}
}
