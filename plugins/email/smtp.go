package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/sdk"
)

// failure is why a message did not get through: what the tenant may read
// (the relay's own reply, a certificate problem, a missing capability) and
// the full error for the host's log.
type failure struct {
	detail string
	err    error
}

func (f *failure) Error() string { return f.detail }

func fail(detail string, err error) *failure { return &failure{detail: detail, err: err} }

// deliver runs one SMTP session through the host's egress: connect, TLS as
// the settings say, AUTH when there is a username, one transaction, QUIT.
// The whole session is bounded by the settings' timeout and by ctx.
func deliver(ctx context.Context, h sdk.Host, s settings, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	conn, err := sdk.DialTCP(ctx, h, s.address())
	if err != nil {
		// The host said "delivery failed" and logged why; so do we.
		return fail(sdk.ErrDeliveryFailed.Error(), err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	host := strings.Trim(s.Host, "[]")
	tlsConf := &tls.Config{ServerName: host, RootCAs: s.roots, InsecureSkipVerify: s.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if s.TLS == tlsImplicit {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return tlsFailure(err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		// A reply with a code is the relay talking (554 no service); any
		// other greeting is not SMTP, and what it said stays unsaid.
		return replyFailure(err, sdk.ErrDeliveryFailed.Error())
	}
	defer c.Close()
	if err := c.Hello(domainOf(s.from.Address)); err != nil {
		return replyFailure(err, "EHLO failed")
	}
	secure := s.TLS == tlsImplicit
	if !secure && s.TLS != tlsNone {
		offered, _ := c.Extension("STARTTLS")
		switch {
		case offered:
			if err := c.StartTLS(tlsConf); err != nil {
				var te *textproto.Error
				if errors.As(err, &te) {
					return replyFailure(err, "")
				}
				return tlsFailure(err)
			}
			secure = true
		case s.TLS == tlsStartTLS:
			return fail("the relay does not offer STARTTLS (tls is starttls)", nil)
		}
	}
	if s.Username != "" {
		if !secure {
			return fail("the relay does not offer STARTTLS: the password is not sent in clear", nil)
		}
		auth, err := pickAuth(c, s)
		if err != nil {
			return err
		}
		if err := c.Auth(auth); err != nil {
			return replyFailure(err, "authentication failed")
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return replyFailure(err, "MAIL FROM refused")
	}
	for _, a := range s.to {
		if err := c.Rcpt(a.Address); err != nil {
			return replyFailure(err, "RCPT TO refused")
		}
	}
	w, err := c.Data()
	if err != nil {
		return replyFailure(err, "DATA refused")
	}
	if _, err := w.Write(msg); err != nil {
		return replyFailure(err, "")
	}
	if err := w.Close(); err != nil {
		return replyFailure(err, "message refused")
	}
	_ = c.Quit() // the relay has the message; a lost QUIT changes nothing
	return nil
}

// pickAuth chooses PLAIN, else LOGIN, from what the relay offers.
func pickAuth(c *smtp.Client, s settings) (smtp.Auth, error) {
	ok, params := c.Extension("AUTH")
	if !ok {
		return nil, fail("the relay offers no AUTH (a username is set)", nil)
	}
	mechs := strings.Fields(strings.ToUpper(params))
	switch {
	case slices.Contains(mechs, "PLAIN"):
		return plainAuth{user: s.Username, pass: s.Password}, nil
	case slices.Contains(mechs, "LOGIN"):
		return &loginAuth{user: s.Username, pass: s.Password}, nil
	}
	return nil, fail("the relay offers neither AUTH PLAIN nor LOGIN (it offers "+clean(params, 80)+")", nil)
}

// plainAuth is AUTH PLAIN (RFC 4616), only ever over TLS.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS {
		return "", nil, errors.New("refusing AUTH PLAIN without TLS")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// loginAuth is AUTH LOGIN (the relay asks "Username:" then "Password:"),
// only ever over TLS.
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS {
		return "", nil, errors.New("refusing AUTH LOGIN without TLS")
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	q := strings.ToLower(string(challenge))
	switch {
	case strings.HasPrefix(q, "user") || (a.step == 1 && !strings.HasPrefix(q, "pass")):
		return []byte(a.user), nil
	case strings.HasPrefix(q, "pass") || a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected AUTH LOGIN challenge")
}

// replyFailure shows the relay's reply (code and text) when err is one;
// otherwise what (or "delivery failed" when what is empty).
func replyFailure(err error, what string) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fail(fmt.Sprintf("the relay answered %d %s", te.Code, clean(te.Msg, 200)), err)
	}
	var ne net.Error
	if what == "" || errors.As(err, &ne) {
		what = sdk.ErrDeliveryFailed.Error()
	}
	return fail(what, err)
}

// tlsFailure says why a handshake failed when it is the certificate (the
// usual reason with a self-signed relay: set caPem), and no more otherwise.
func tlsFailure(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown):
		return fail("TLS: the relay's certificate is signed by an unknown authority (set caPem)", err)
	case errors.As(err, &hostname):
		return fail("TLS: the relay's certificate is not valid for "+clean(hostname.Host, 100), err)
	case errors.As(err, &invalid), errors.As(err, &verify):
		return fail("TLS: the relay's certificate is not valid", err)
	}
	return fail("TLS handshake failed", err)
}

// clean keeps a relay's text printable and short.
func clean(s string, n int) string { return truncate(oneLine(s), n) }
