package sdk_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// talker is an alert channel that connects to the notification's Source
// ("host:port") through the host, writes its Message, and reports what
// it read back (or why it could not) as the detail.
type talker struct {
	mu   sync.Mutex
	host sdk.Host
}

func (p *talker) SetHost(h sdk.Host) { p.mu.Lock(); p.host = h; p.mu.Unlock() }
func (p *talker) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "talker", Version: "1.0.0"}, nil
}
func (p *talker) Test(context.Context, json.RawMessage) (sdk.TestResult, error) {
	return sdk.TestResult{OK: true}, nil
}
func (p *talker) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	p.mu.Lock()
	h := p.host
	p.mu.Unlock()
	if h == nil {
		h = sdktest.NewFakeHost(nil) // never used: the harness always passes a host client
	}
	conn, err := sdk.DialTCP(ctx, h, n.Source)
	if err != nil {
		return sdk.SendResult{Detail: "dial: " + err.Error()}, nil
	}
	defer conn.Close()
	if n.Title == "fire" { // write, close, go: the host still delivers every byte
		if _, err := io.WriteString(conn, n.Message); err != nil {
			return sdk.SendResult{Detail: "write: " + err.Error()}, nil
		}
		_ = conn.Close()
		if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			return sdk.SendResult{Detail: "read after close: " + fmt.Sprint(err)}, nil
		}
		return sdk.SendResult{Delivered: true}, nil
	}
	if n.Title == "deadline" {
		_ = conn.SetDeadline(time.Now().Add(200 * time.Millisecond))
	}
	go func() { _, _ = io.WriteString(conn, n.Message) }()
	got, err := io.ReadAll(io.LimitReader(conn, int64(len(n.Message))))
	if err != nil {
		return sdk.SendResult{Detail: "read: " + err.Error()}, nil
	}
	sum := sha256.Sum256(got)
	return sdk.SendResult{Delivered: true, Detail: hex.EncodeToString(sum[:])}, nil
}

// listen serves each connection with serve on loopback.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return l.Addr().String()
}

func TestDialTCPThroughTheHost(t *testing.T) {
	echo := listen(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &talker{}, sdktest.NewFakeHost(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// 300 KB crosses the stream in many frames, in order.
	msg := strings.Repeat("0123456789abcdef", 300<<10/16)
	sum := sha256.Sum256([]byte(msg))
	res, err := ch.Send(ctx, sdk.Notification{Source: echo, Message: msg})
	if err != nil || !res.Delivered || res.Detail != hex.EncodeToString(sum[:]) {
		t.Fatalf("echo through the host = %+v, %v", res, err)
	}
}

func TestDialTCPCloseDeliversWhatWasWritten(t *testing.T) {
	got := make(chan int, 1)
	addr := listen(t, func(c net.Conn) { n, _ := io.Copy(io.Discard, c); got <- int(n) })
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &talker{}, sdktest.NewFakeHost(nil))
	msg := strings.Repeat("x", 200<<10)
	res, err := ch.Send(context.Background(), sdk.Notification{Source: addr, Title: "fire", Message: msg})
	if err != nil || !res.Delivered {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	select {
	case n := <-got:
		if n != len(msg) {
			t.Fatalf("destination got %d bytes, want %d", n, len(msg))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the destination's connection was not closed")
	}
}

func TestDialTCPDeadlineAndEOF(t *testing.T) {
	silent := listen(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	hangup := listen(t, func(net.Conn) {})
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &talker{}, sdktest.NewFakeHost(nil))
	ctx := context.Background()
	start := time.Now()
	res, err := ch.Send(ctx, sdk.Notification{Source: silent, Title: "deadline", Message: "ping"})
	if err != nil || res.Delivered || res.Detail != "read: "+os.ErrDeadlineExceeded.Error() || time.Since(start) > 5*time.Second {
		t.Fatalf("read past the deadline = %+v, %v after %s", res, err, time.Since(start))
	}
	res, err = ch.Send(ctx, sdk.Notification{Source: hangup, Message: "ping"})
	if err != nil || !res.Delivered || res.Detail != hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }()) {
		t.Fatalf("destination hung up = %+v, %v; want EOF (nothing read)", res, err)
	}
}

// refusingHost refuses every destination, with a detail the plugin must not see.
type refusingHost struct{ *sdktest.FakeHost }

func (refusingHost) DialTCP(context.Context, string) (net.Conn, error) {
	return nil, errors.Join(sdk.ErrDeliveryFailed, errors.New("destination not permitted: 10.0.0.1"))
}

func TestDialTCPRefused(t *testing.T) {
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &talker{}, refusingHost{sdktest.NewFakeHost(nil)})
	res, err := ch.Send(context.Background(), sdk.Notification{Source: "10.0.0.1:25", Message: "x"})
	if err != nil || res.Delivered || !strings.Contains(res.Detail, "delivery failed") || strings.Contains(res.Detail, "10.0.0.1") {
		t.Fatalf("refused dial = %+v, %v", res, err)
	}
	// Nothing listens: a failed connect reads the same.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ch = sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &talker{}, sdktest.NewFakeHost(nil))
	res, err = ch.Send(context.Background(), sdk.Notification{Source: addr, Message: "x"})
	if err != nil || res.Delivered || !strings.Contains(res.Detail, "delivery failed") || strings.Contains(res.Detail, "refused") {
		t.Fatalf("failed connect = %+v, %v", res, err)
	}
}

// A host that serves no HostAPI has no egress either.
func TestDialTCPWithoutHost(t *testing.T) {
	if _, err := sdk.DialTCP(context.Background(), nil, "example.com:25"); !errors.Is(err, sdk.ErrNoHost) {
		t.Fatalf("DialTCP(nil host) = %v; want ErrNoHost", err)
	}
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &talker{}, hostWithoutDialer{})
	res, err := ch.Send(context.Background(), sdk.Notification{Source: "example.com:25", Message: "x"})
	if err != nil || res.Delivered || !bytes.Contains([]byte(res.Detail), []byte("HostAPI")) {
		t.Fatalf("Send = %+v, %v", res, err)
	}
}

// hostWithoutDialer is a host that implements only the base Host.
type hostWithoutDialer struct{}

func (hostWithoutDialer) Log(context.Context, sdk.LogLevel, string, map[string]string) error {
	return nil
}
func (hostWithoutDialer) Settings(context.Context) (json.RawMessage, error)   { return nil, nil }
func (hostWithoutDialer) KVGet(context.Context, string) ([]byte, bool, error) { return nil, false, nil }
func (hostWithoutDialer) KVPut(context.Context, string, []byte) error         { return nil }
func (hostWithoutDialer) KVDelete(context.Context, string) error              { return nil }
func (hostWithoutDialer) KVList(context.Context, string) ([]string, error)    { return nil, nil }
