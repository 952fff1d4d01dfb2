package sdk

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrInvalid marks bad input (bad settings, bad target spec, unknown
// language). It crosses the gRPC boundary as InvalidArgument and comes back
// as an error wrapping ErrInvalid, so hosts can tell "your input" from
// "the plugin broke".
var ErrInvalid = errors.New("invalid argument")

// Invalidf returns an error wrapping ErrInvalid.
func Invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// toStatus turns a plugin's error into a gRPC status (server side).
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled) || ctx.Err() == context.Canceled:
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrNoHost):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, ErrDeliveryFailed):
		// The words alone: whatever the host wrapped stays on its side.
		return status.Error(codes.Aborted, ErrDeliveryFailed.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// fromStatus turns a gRPC error back into a Go error (client side), restoring
// the sentinel errors callers test with errors.Is.
func fromStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("plugin call: %w", ctx.Err())
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("plugin call: %w", err)
	}
	var out *remoteError
	switch st.Code() {
	case codes.Canceled:
		return fmt.Errorf("plugin call: %s: %w", st.Message(), context.Canceled)
	case codes.DeadlineExceeded:
		return fmt.Errorf("plugin call: %s: %w", st.Message(), context.DeadlineExceeded)
	case codes.InvalidArgument:
		out = &remoteError{msg: st.Message(), sentinel: ErrInvalid}
	case codes.Aborted:
		out = &remoteError{msg: st.Message(), sentinel: ErrDeliveryFailed}
	case codes.Unimplemented: // a host older than the call
		out = &remoteError{msg: st.Message(), sentinel: ErrNoHost}
	default:
		out = &remoteError{msg: st.Message()}
	}
	out.code = st.Code()
	return out
}

// remoteError keeps the plugin's message as-is and wraps a sentinel if any.
// Its gRPC code stays readable (status.Code): Unavailable tells a host the
// connection broke (the plugin process died), not that the plugin failed.
type remoteError struct {
	msg      string
	sentinel error
	code     codes.Code
}

func (e *remoteError) Error() string { return "plugin: " + e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// GRPCStatus is the status the error came as.
func (e *remoteError) GRPCStatus() *status.Status { return status.New(e.code, e.msg) }
