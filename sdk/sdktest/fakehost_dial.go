package sdktest

import (
	"context"
	"errors"
	"net"

	"github.com/breeze-rmm/breeze/sdk"
)

var _ sdk.Dialer = (*FakeHost)(nil)

// DialTCP connects directly, like a host's egress but with no policy (a
// test's SMTP relay listens on loopback). Like a host, any failure is
// sdk.ErrDeliveryFailed.
func (h *FakeHost) DialTCP(ctx context.Context, address string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errors.Join(sdk.ErrDeliveryFailed, err)
	}
	return conn, nil
}
