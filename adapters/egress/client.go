package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Limits.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 60 * time.Second
)

// Request is one outbound request.
type Request struct {
	Method, URL string
	Header      http.Header
	Body        []byte
	Timeout     time.Duration // 0: DefaultTimeout; capped at MaxTimeout
}

// Response is the destination's answer, its body cut at the client's limit.
type Response struct {
	StatusCode int
	Status     string
	Header     http.Header
	Body       []byte
	Truncated  bool
}

// Client makes requests under a Policy. It follows no redirect (the
// caller, a plugin's client, asks again for each hop, checked again), uses
// no proxy from the environment (a proxy would dial for us, unchecked), and
// refuses schemes other than http and https.
type Client struct {
	hc      *http.Client
	dialer  *net.Dialer
	maxBody int
}

// NewClient returns a client for p whose answers' bodies are cut at maxBody.
func NewClient(p Policy, maxBody int) *Client {
	d := p.dialer()
	return &Client{maxBody: maxBody, dialer: d, hc: &http.Client{
		Transport:     transport(d, nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// NewTransport is an http.Transport whose every connection is checked
// against p, with no proxy; tlsConf (nil: the system's roots) is for the
// server's own downloads (plugin catalogs), whose tests trust a local CA.
func NewTransport(p Policy, tlsConf *tls.Config) *http.Transport {
	return transport(p.dialer(), tlsConf)
}

func (p Policy) dialer() *net.Dialer {
	return &net.Dialer{Timeout: DefaultTimeout, KeepAlive: 30 * time.Second, Control: p.control}
}

func transport(d *net.Dialer, tlsConf *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		TLSClientConfig:     tlsConf,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: DefaultTimeout,
	}
}

// Do makes one request. Its error says why in detail: for the server's
// log, not for the tenant.
func (c *Client) Do(ctx context.Context, r Request) (Response, error) {
	t := r.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, min(t, MaxTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, fmt.Errorf("egress: %w", err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return Response{}, fmt.Errorf("%w: scheme %q", ErrRefused, req.URL.Scheme)
	}
	req.Header = r.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("egress: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.maxBody)+1))
	if err != nil && !errors.Is(err, io.EOF) {
		return Response{}, fmt.Errorf("egress: read answer: %w", err)
	}
	out := Response{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: body}
	if len(body) > c.maxBody {
		out.Body, out.Truncated = body[:c.maxBody], true
	}
	return out, nil
}

// Limits of a TCP connection made for a plugin (an SMTP session).
const (
	MaxConnDuration = 2 * time.Minute
	MaxConnBytes    = 4 << 20 // each way
)

// DialTCP connects to address ("host:port") under the policy, checked on
// the address actually dialled like Do's. The connection ends after
// MaxConnDuration and refuses more than MaxConnBytes each way. Its error
// says why in detail: for the server's log, not for the tenant.
func (c *Client) DialTCP(ctx context.Context, address string) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(MaxConnDuration))
	return &cappedConn{Conn: conn, left: [2]int64{MaxConnBytes, MaxConnBytes}}, nil
}

// errConnCap ends a connection past MaxConnBytes.
var errConnCap = errors.New("egress: connection over its byte limit")

// cappedConn counts what crosses a connection; its deadlines stay within
// MaxConnDuration of the connect.
type cappedConn struct {
	net.Conn
	left [2]int64 // read, write
}

func (c *cappedConn) Read(p []byte) (int, error) {
	if c.left[0] <= 0 {
		return 0, errConnCap
	}
	n, err := c.Conn.Read(p[:min(int64(len(p)), c.left[0])])
	c.left[0] -= int64(n)
	return n, err
}

func (c *cappedConn) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left[1] {
		return 0, errConnCap
	}
	n, err := c.Conn.Write(p)
	c.left[1] -= int64(n)
	return n, err
}

// Deadlines stay the one DialTCP set: nothing extends a connection past
// MaxConnDuration (the plugin's deadlines act on its end of the stream).
func (c *cappedConn) SetDeadline(time.Time) error      { return nil }
func (c *cappedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cappedConn) SetWriteDeadline(time.Time) error { return nil }
