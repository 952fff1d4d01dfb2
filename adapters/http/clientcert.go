package httpapi

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ClientCertHeader carries an agent's client certificate from the TLS
// front that verified it (Caddy: base64 DER, as its
// {http.request.tls.client.certificate_der_base64} placeholder writes
// it; PEM, plain or URL-escaped, is accepted too). Only a peer listed in
// the trusted proxies may set it: from anyone else the header is removed
// before any handler sees it (stripClientCert).
const ClientCertHeader = "X-Client-Cert"

// maxClientCertHeader bounds the header (a P-256 client certificate is
// about 700 bytes of base64).
const maxClientCertHeader = 16 << 10

// parseProxies turns the trusted proxy list (addresses or CIDRs) into prefixes.
func parseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range list {
		if pre, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// fromTrusted reports whether the request's direct peer (never a
// forwarded address) is one of the trusted proxies.
func fromTrusted(r *http.Request, trusted []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// stripClientCert removes ClientCertHeader from requests whose peer is not
// a trusted proxy, so only the front can vouch for a client certificate.
func stripClientCert(trusted []netip.Prefix) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, ok := c.Request.Header[ClientCertHeader]; ok && !fromTrusted(c.Request, trusted) {
			c.Request.Header.Del(ClientCertHeader)
		}
		c.Next()
	}
}

// ClientCertificates returns the client certificate chain of r, leaf
// first: the one its own TLS connection presented (the node terminates
// TLS), else the one a trusted proxy passed in ClientCertHeader. None:
// nil, nil. A header that does not parse is ErrUnauthenticated.
func ClientCertificates(r *http.Request) ([]*x509.Certificate, error) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates, nil
	}
	v := strings.TrimSpace(r.Header.Get(ClientCertHeader))
	// Caddy leaves its placeholder unreplaced when the client sent no
	// certificate: that is none.
	if v == "" || (strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}")) {
		return nil, nil
	}
	if len(v) > maxClientCertHeader {
		return nil, domain.Unauthenticatedf("client certificate header too large")
	}
	var der []byte
	switch {
	case strings.HasPrefix(v, "-----BEGIN"), strings.HasPrefix(v, "%2D"), strings.HasPrefix(v, "%2d"):
		if un, err := url.QueryUnescape(v); err == nil && strings.HasPrefix(v, "%") {
			v = un
		}
		b, _ := pem.Decode([]byte(v))
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, domain.Unauthenticatedf("client certificate header is not a PEM certificate")
		}
		der = b.Bytes
	default:
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, domain.Unauthenticatedf("client certificate header is not base64 DER")
		}
		der = raw
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, domain.Unauthenticatedf("client certificate header does not parse")
	}
	return []*x509.Certificate{cert}, nil
}
