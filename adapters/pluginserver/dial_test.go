//go:build linux

package pluginserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// smtpRelay is the least SMTP server the e-mail plugin can deliver to; it
// records each message's DATA.
func smtpRelay(t *testing.T) (addr string, messages func() []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var got []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
				say("220 relay.test ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"):
						say("250-relay.test")
						say("250 8BITMIME")
					case strings.HasPrefix(cmd, "DATA"):
						say("354 go ahead")
						var msg strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							msg.WriteString(l)
						}
						mu.Lock()
						got = append(got, msg.String())
						mu.Unlock()
						say("250 2.0.0 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	return l.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

// The e-mail plugin in the server's sandbox (no network of its own, where
// the kernel allows it) reaches its relay only through the host's
// HostAPI.Dial, under the egress policy: allowed, the message arrives;
// refused, it reads "delivery failed" and nothing reaches the relay.
func TestEmailThroughTheHostsEgress(t *testing.T) {
	if err := pluginhost.NetworkIsolation(); err != nil {
		t.Logf("no network namespaces here (%v): the plugin runs with the server's network, the policy still applies to the host's dial", err)
	}
	addr, messages := smtpRelay(t)
	host, port, _ := net.SplitHostPort(addr)
	settings, _ := json.Marshal(map[string]any{"host": host, "port": json.Number(port), "from": "alerts@breeze.test",
		"to": "ops@example.test", "tls": "none", "timeoutSeconds": 5})
	note := ports.Notification{ID: "a1:triggered", OrgID: "o1", Severity: "critical", Status: "triggered",
		Title: "Disk full", OccurredAt: time.Now(), Labels: map[string]string{"alertId": "a1"}, Settings: settings}

	for _, tc := range []struct {
		name      string
		policy    egress.Policy
		delivered bool
	}{
		{"refused", egress.Policy{}, false},
		{"allowed", loopbackAllowed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := NewRuntime(RuntimeOptions{Store: noStore{}, Egress: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = rt.StopAll(context.Background()) }()
			ctx := testCtx(t)
			exe, sum := installed(t, "email")
			if err := rt.Start(ctx, plugins.RunSpec{ID: "test.email", Version: "0.0.1", Kind: string(sdk.KindAlertChannel), Exec: exe, SHA256: sum}); err != nil {
				t.Fatal(err)
			}
			n, err := rt.Notifier("test.email")
			if err != nil {
				t.Fatal(err)
			}
			before := len(messages())
			r, err := n.Send(ctx, note)
			if err != nil || r.Delivered != tc.delivered {
				t.Fatalf("Send = %+v, %v; want delivered=%v", r, err, tc.delivered)
			}
			if got := messages(); len(got)-before != map[bool]int{true: 1, false: 0}[tc.delivered] {
				t.Fatalf("relay got %d new messages", len(got)-before)
			}
			if !tc.delivered && r.Detail != "delivery failed" {
				t.Fatalf("refused detail %q, want \"delivery failed\" alone", r.Detail)
			}
			if tc.delivered && !strings.Contains(messages()[before], "Subject: [Breeze] triggered: Disk full") {
				t.Fatalf("message:\n%s", messages()[before])
			}
		})
	}
}

// One plugin holds at most maxPluginConns connections through the host.
func TestDialTCPConnectionLimit(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	h := &hostAPI{pluginID: "p", log: hclog.NewNullLogger(), egress: egress.NewClient(loopbackAllowed, 1024)}
	ctx := testCtx(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < maxPluginConns; i++ {
		c, err := h.DialTCP(ctx, l.Addr().String())
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		conns = append(conns, c)
	}
	if _, err := h.DialTCP(ctx, l.Addr().String()); !errors.Is(err, sdk.ErrDeliveryFailed) {
		t.Fatalf("connection %d: %v; want refused", maxPluginConns+1, err)
	}
	conns[0].Close()
	conns[0].Close() // a second Close gives nothing back twice
	c, err := h.DialTCP(ctx, l.Addr().String())
	if err != nil {
		t.Fatalf("after a Close: %v", err)
	}
	conns[0] = c
	if _, err := h.DialTCP(ctx, l.Addr().String()); !errors.Is(err, sdk.ErrDeliveryFailed) {
		t.Fatalf("over the limit again: %v", err)
	}
}
