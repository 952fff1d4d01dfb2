package pluginserver

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/sdk"
)

var (
	_ sdk.Egress = (*hostAPI)(nil)
	_ sdk.Dialer = (*hostAPI)(nil)
)

// HTTP is the plugin's only way out (it runs without a network of its
// own, see Sandbox): one request under the egress policy. Whatever went
// wrong, the plugin (and so the tenant reading its answer) learns
// "delivery failed"; the detail goes to the server's log.
func (h *hostAPI) HTTP(ctx context.Context, r sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	if h.egress == nil {
		return sdk.HTTPResponse{}, sdk.ErrNoHost
	}
	if len(r.Body) > sdk.MaxHTTPBody {
		return sdk.HTTPResponse{}, sdk.Invalidf("request body over %d bytes", sdk.MaxHTTPBody)
	}
	resp, err := h.egress.Do(ctx, egress.Request{Method: r.Method, URL: r.URL, Header: r.Header, Body: r.Body, Timeout: r.Timeout})
	if err != nil {
		if ctx.Err() != nil {
			return sdk.HTTPResponse{}, ctx.Err()
		}
		// The URL's path and query may hold the receiver's secret token.
		h.log.Warn("plugin request not delivered", "destination", destination(r.URL), "error", err)
		return sdk.HTTPResponse{}, fmt.Errorf("%w", sdk.ErrDeliveryFailed)
	}
	return sdk.HTTPResponse{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: resp.Body, Truncated: resp.Truncated}, nil
}

// DialTCP is the plugin's way out for protocols other than HTTP (an SMTP
// relay): one connection under the same policy, with the same answer
// whatever went wrong.
func (h *hostAPI) DialTCP(ctx context.Context, address string) (net.Conn, error) {
	if h.egress == nil {
		return nil, sdk.ErrNoHost
	}
	if h.conns.Add(1) > maxPluginConns {
		h.conns.Add(-1)
		h.log.Warn("plugin connection not made", "destination", address, "error", "over the plugin's connection limit")
		return nil, fmt.Errorf("%w", sdk.ErrDeliveryFailed)
	}
	conn, err := h.egress.DialTCP(ctx, address)
	if err != nil {
		h.conns.Add(-1)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		h.log.Warn("plugin connection not made", "destination", address, "error", err)
		return nil, fmt.Errorf("%w", sdk.ErrDeliveryFailed)
	}
	return &countedConn{Conn: conn, release: func() { h.conns.Add(-1) }}, nil
}

// maxPluginConns bounds one plugin's open connections through the host.
const maxPluginConns = 32

// countedConn gives its slot back once, on Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// destination is a URL's scheme and host, for the log.
func destination(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}
