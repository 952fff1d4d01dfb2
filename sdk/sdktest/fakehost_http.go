package sdktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/breeze-rmm/breeze/sdk"
)

var _ sdk.Egress = (*FakeHost)(nil)

// HTTP makes the request directly, like a host's egress but with no policy
// (a test's receiver listens on loopback, which a real host refuses unless
// its operator allows it). Like a host it follows no redirect, and any
// failure is sdk.ErrDeliveryFailed.
func (h *FakeHost) HTTP(ctx context.Context, r sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return sdk.HTTPResponse{}, fmt.Errorf("%w: %v", sdk.ErrDeliveryFailed, err)
	}
	req.Header = r.Header.Clone()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return sdk.HTTPResponse{}, ctx.Err()
		}
		return sdk.HTTPResponse{}, errors.Join(sdk.ErrDeliveryFailed, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, sdk.MaxHTTPBody+1))
	if err != nil {
		return sdk.HTTPResponse{}, errors.Join(sdk.ErrDeliveryFailed, err)
	}
	out := sdk.HTTPResponse{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: body}
	if len(body) > sdk.MaxHTTPBody {
		out.Body, out.Truncated = body[:sdk.MaxHTTPBody], true
	}
	return out, nil
}
