package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/sdk"
)

// TLS modes.
const (
	tlsStartTLS      = "starttls"      // STARTTLS required
	tlsOpportunistic = "opportunistic" // STARTTLS when offered; never a password without it
	tlsImplicit      = "tls"           // TLS from the first byte (port 465)
	tlsNone          = "none"          // plain text, so no password
)

const (
	defaultSubject = "[Breeze] {{status}}: {{title}}"
	maxRecipients  = 50
)

// settings are the channel's per-org settings (see plugin.json's schema).
type settings struct {
	Host               string `json:"host"`
	Port               int    `json:"port"`
	From               string `json:"from"`
	To                 string `json:"to"`
	Username           string `json:"username"`
	Password           string `json:"password"`
	TLS                string `json:"tls"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify"`
	CAPEM              string `json:"caPem"`
	SendAcknowledged   bool   `json:"sendAcknowledged"`
	Subject            string `json:"subject"`
	TimeoutSeconds     int    `json:"timeoutSeconds"`

	from  *mail.Address
	to    []*mail.Address
	roots *x509.CertPool // nil: the system's
}

func parseSettings(raw json.RawMessage) (settings, error) {
	s := settings{TLS: tlsStartTLS, Subject: defaultSubject, TimeoutSeconds: 10}
	if len(raw) == 0 {
		return s, sdk.Invalidf("no settings")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, sdk.Invalidf("settings: %v", err)
	}
	if s.Host == "" || len(s.Host) > 253 || strings.ContainsAny(s.Host, " \t\r\n/@") {
		return s, sdk.Invalidf("host %q: want the relay's name or address", s.Host)
	}
	switch s.TLS {
	case tlsStartTLS, tlsOpportunistic, tlsNone:
		if s.Port == 0 {
			s.Port = 587
		}
	case tlsImplicit:
		if s.Port == 0 {
			s.Port = 465
		}
	default:
		return s, sdk.Invalidf("tls %q: want starttls, opportunistic, tls or none", s.TLS)
	}
	if s.Port < 1 || s.Port > 65535 {
		return s, sdk.Invalidf("port %d: want 1..65535", s.Port)
	}
	var err error
	if s.from, err = mail.ParseAddress(s.From); err != nil {
		return s, sdk.Invalidf("from %q: %v", s.From, err)
	}
	if s.to, err = mail.ParseAddressList(s.To); err != nil {
		return s, sdk.Invalidf("to: %v", err)
	}
	if len(s.to) == 0 || len(s.to) > maxRecipients {
		return s, sdk.Invalidf("to: want 1..%d recipients", maxRecipients)
	}
	for _, a := range append([]*mail.Address{s.from}, s.to...) {
		// net/mail accepts quoted local parts that SMTP's envelope cannot
		// carry safely; refuse anything that could break a command line.
		if strings.ContainsAny(a.Address, "\r\n<> \t") || !utf8.ValidString(a.Address) {
			return s, sdk.Invalidf("address %q: not usable in SMTP", a.Address)
		}
	}
	if strings.ContainsAny(s.Username+s.Password, "\r\n\x00") {
		return s, sdk.Invalidf("username/password: no control characters")
	}
	if s.Password != "" && s.Username == "" {
		return s, sdk.Invalidf("password without a username")
	}
	if s.Username != "" && s.TLS == tlsNone {
		return s, sdk.Invalidf("username: a password is never sent without TLS (tls is none)")
	}
	if s.CAPEM != "" {
		if s.roots, err = caPool(s.CAPEM); err != nil {
			return s, err
		}
	}
	if utf8.RuneCountInString(s.Subject) > 200 {
		return s, sdk.Invalidf("subject: at most 200 characters")
	}
	if s.TimeoutSeconds < 1 || s.TimeoutSeconds > 60 {
		return s, sdk.Invalidf("timeoutSeconds %d: want 1..60", s.TimeoutSeconds)
	}
	return s, nil
}

// caPool is the system roots plus the PEM's certificates.
func caPool(pemText string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	rest, n := []byte(pemText), 0
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, sdk.Invalidf("caPem: %v", err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, sdk.Invalidf("caPem: no PEM certificate")
	}
	return pool, nil
}

func (s settings) address() string {
	return net.JoinHostPort(strings.Trim(s.Host, "[]"), strconv.Itoa(s.Port))
}

func (s settings) timeout() time.Duration { return time.Duration(s.TimeoutSeconds) * time.Second }
