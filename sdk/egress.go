package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxHTTPBody bounds the body of a request a plugin sends through the host
// and of the answer it gets back (longer answers are cut).
const MaxHTTPBody = 1 << 20

// ErrDeliveryFailed is what a plugin learns when the host's egress refused
// a destination or the exchange failed: the same words for both, so a
// plugin (or the tenant reading its answer) cannot probe the server's
// network. The host logs the detail.
var ErrDeliveryFailed = errors.New("delivery failed")

// HTTPRequest is one outbound request a plugin asks the host to make.
type HTTPRequest struct {
	Method, URL string
	Header      http.Header
	Body        []byte
	// Timeout bounds the exchange; 0: the host's default.
	Timeout time.Duration
}

// HTTPResponse is the host's answer: the destination's status, headers
// and body (cut at MaxHTTPBody; Truncated says so).
type HTTPResponse struct {
	StatusCode int
	Status     string
	Header     http.Header
	Body       []byte
	Truncated  bool
}

// Egress is the host's outbound HTTP, offered by hosts that run plugins
// without a network of their own (the server runs alert channels in an
// empty network namespace, see docs/plugins.md). The host applies its
// egress policy at connect time and follows no redirect. The Host a plugin
// receives always implements it; a host that offers none answers
// ErrNoHost. Plugins normally use HTTPClient instead of calling it.
type Egress interface {
	HTTP(ctx context.Context, r HTTPRequest) (HTTPResponse, error)
}

// HTTPClient returns an http.Client whose requests the host makes: the
// supported way for a plugin to reach the outside world. Redirects are
// followed by this client, each hop a new request the host checks again.
func HTTPClient(h Host) *http.Client {
	e, ok := h.(Egress)
	if !ok {
		e = noHost{}
	}
	return &http.Client{Transport: hostTransport{e: e}}
}

// hostTransport is an http.RoundTripper over Egress.
type hostTransport struct{ e Egress }

func (t hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, MaxHTTPBody+1))
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sdk: read request body: %w", err)
		}
		if len(b) > MaxHTTPBody {
			return nil, fmt.Errorf("sdk: request body over %d bytes", MaxHTTPBody)
		}
		body = b
	}
	ctx := req.Context()
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	r, err := t.e.HTTP(ctx, HTTPRequest{Method: req.Method, URL: req.URL.String(), Header: req.Header, Body: body, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return &http.Response{
		Status: r.Status, StatusCode: r.StatusCode, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)), ContentLength: int64(len(r.Body)),
		Request: req,
	}, nil
}
