package sdk

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	pb "github.com/breeze-rmm/breeze/sdk/pb/pluginv1"
)

// Dialer is the host's outbound TCP, for plugins that speak a protocol
// other than HTTP (an SMTP relay). Hosts that run plugins without a network
// of their own offer it next to Egress, under the same policy: the host
// checks the address actually connected to, and a refused or failed
// connect is ErrDeliveryFailed with no detail. The Host a plugin receives
// always implements it; a host that offers none answers ErrNoHost.
type Dialer interface {
	// DialTCP connects to address ("host:port"); ctx bounds the connect.
	DialTCP(ctx context.Context, address string) (net.Conn, error)
}

// DialTCP connects to address through the host: the supported way for a
// plugin to open a TCP connection. Over go-plugin the connection is a
// stream through the host, so its deadlines are coarse: a deadline that
// passes closes the connection (a read then fails with a timeout error).
func DialTCP(ctx context.Context, h Host, address string) (net.Conn, error) {
	d, ok := h.(Dialer)
	if !ok {
		return nil, ErrNoHost
	}
	return d.DialTCP(ctx, address)
}

func (noHost) DialTCP(context.Context, string) (net.Conn, error) { return nil, ErrNoHost }

// dialChunk bounds one frame's data.
const dialChunk = 32 << 10

// Dial serves a plugin's connection (runs in the host): connect, say so
// with an empty frame, then copy both ways until either side ends.
func (s *hostAPIServer) Dial(stream pb.HostAPI_DialServer) error {
	ctx := stream.Context()
	d, ok := s.host.(Dialer)
	if !ok {
		return toStatus(ctx, ErrNoHost)
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	dctx := ctx
	if ms := first.GetTimeoutMs(); ms > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	conn, err := d.DialTCP(dctx, first.GetAddress())
	if err != nil {
		return toStatus(dctx, err)
	}
	defer conn.Close()
	if err := stream.Send(&pb.DialFrame{}); err != nil {
		return err
	}
	go func() { // plugin → destination; ends the connection when the plugin does
		defer conn.Close()
		for {
			f, err := stream.Recv()
			if err != nil {
				return
			}
			if _, err := conn.Write(f.GetData()); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, dialChunk)
	for { // destination → plugin; returning ends the stream
		n, err := conn.Read(buf)
		if n > 0 {
			if serr := stream.Send(&pb.DialFrame{Data: append([]byte(nil), buf[:n]...)}); serr != nil {
				return serr
			}
		}
		if err != nil {
			return nil
		}
	}
}

// DialTCP opens a connection through the host (runs in the plugin).
func (h *hostAPIClient) DialTCP(ctx context.Context, address string) (net.Conn, error) {
	var timeoutMS int64
	if dl, ok := ctx.Deadline(); ok {
		if timeoutMS = time.Until(dl).Milliseconds(); timeoutMS <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	// The stream outlives this call: its own context, ended by Close.
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := h.c.Dial(sctx)
	if err != nil {
		cancel()
		return nil, fromStatus(ctx, err)
	}
	if err := stream.Send(&pb.DialFrame{Address: address, TimeoutMs: timeoutMS}); err != nil {
		if errors.Is(err, io.EOF) { // the host ended the stream: its status says why
			_, err = stream.Recv()
		}
		cancel()
		return nil, fromStatus(ctx, err)
	}
	stop := context.AfterFunc(ctx, cancel)
	_, err = stream.Recv()
	if !stop() || err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fromStatus(ctx, err)
	}
	return &streamConn{stream: stream, cancel: cancel, remote: dialAddr(address)}, nil
}

// streamConn is a net.Conn over a Dial stream.
type streamConn struct {
	stream pb.HostAPI_DialClient
	cancel context.CancelFunc
	remote dialAddr

	rmu  sync.Mutex // guards rbuf and Recv
	rbuf []byte
	wmu  sync.Mutex // guards Send and CloseSend

	closed  atomic.Bool
	expired atomic.Bool
	tmu     sync.Mutex
	timer   *time.Timer
}

func (c *streamConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.rbuf) == 0 {
		if c.closed.Load() {
			return 0, net.ErrClosed
		}
		f, err := c.stream.Recv()
		if err != nil {
			return 0, c.err(err)
		}
		c.rbuf = f.GetData()
	}
	n := copy(p, c.rbuf)
	c.rbuf = c.rbuf[n:]
	return n, nil
}

func (c *streamConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for written < len(p) {
		if c.closed.Load() {
			return written, c.err(net.ErrClosed)
		}
		chunk := p[written:min(len(p), written+dialChunk)]
		if err := c.stream.Send(&pb.DialFrame{Data: chunk}); err != nil {
			return written, c.err(err)
		}
		written += len(chunk)
	}
	return written, nil
}

// err says why the stream ended, in net.Conn's terms.
func (c *streamConn) err(err error) error {
	switch {
	case c.expired.Load():
		return os.ErrDeadlineExceeded
	case c.closed.Load():
		return net.ErrClosed
	case errors.Is(err, io.EOF):
		return io.EOF
	}
	return errors.Join(ErrDeliveryFailed, err)
}

// Close half-closes the stream, so the host writes out what it has before
// it ends the connection, and ends the stream after closeGrace at the
// latest. A Write still under way (blocked on a host that does not read)
// is cut short instead.
func (c *streamConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	_ = c.SetDeadline(time.Time{})
	if !c.wmu.TryLock() {
		c.cancel()
		return nil
	}
	_ = c.stream.CloseSend()
	c.wmu.Unlock()
	time.AfterFunc(closeGrace, c.cancel)
	return nil
}

// closeGrace is how long a closed connection's stream may take to drain.
const closeGrace = time.Second

// SetDeadline ends the connection when t passes (zero: never). Read and
// write deadlines are the same one: a stream cannot time out one direction.
func (c *streamConn) SetDeadline(t time.Time) error {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if t.IsZero() || c.closed.Load() {
		return nil
	}
	c.timer = time.AfterFunc(time.Until(t), func() {
		c.expired.Store(true)
		c.cancel()
	})
	return nil
}

func (c *streamConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }
func (c *streamConn) LocalAddr() net.Addr                { return dialAddr("plugin") }
func (c *streamConn) RemoteAddr() net.Addr               { return c.remote }

// dialAddr is the address a connection was asked for.
type dialAddr string

func (dialAddr) Network() string  { return "tcp" }
func (a dialAddr) String() string { return string(a) }
