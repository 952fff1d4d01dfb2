package pluginsapi_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/pluginserver"
)

// installWebhook installs and enables the webhook plugin and returns the
// settings path of org A and its admin's token.
func installWebhook(t *testing.T, e *env) (path, admin string) {
	t.Helper()
	tok := e.platformToken(t)
	code, body := e.upload(t, tok, webhookArchive(t, e.Key, ""))
	mustStatus(t, "install", code, 201, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/enable", tok, nil)
	mustStatus(t, "enable", code, 200, body)
	return "/api/v1/plugins/breeze.webhook/orgs/" + e.Seed.A.Orgs[0].ID, e.Login(t, e.Seed.A.Admin.Email, e.Seed.A.Admin.Password)
}

// testWebhook points org A's channel at url and answers its Test.
func testWebhook(t *testing.T, e *env, path, admin, url string) map[string]any {
	t.Helper()
	code, body := e.Do(t, "PUT", path, admin, map[string]any{"enabled": true,
		"settings": map[string]any{"url": url, "secret": "s3cret-hmac-key-value", "maxAttempts": 1, "timeoutSeconds": 2}})
	mustStatus(t, "put "+url, code, 200, body)
	code, body = e.Do(t, "POST", "/api/v1/plugins/breeze.webhook/test", admin, map[string]any{"orgId": e.Seed.A.Orgs[0].ID})
	mustStatus(t, "test "+url, code, 200, body)
	return body
}

// Issue 12: a Partner Admin pointed the webhook at the server's own
// networks and read connection errors back. Every such destination is now
// refused at connect time, redirects included, with one answer.
func TestWebhookCannotReachInternalAddresses(t *testing.T) {
	// The operator allows 127.0.0.2 only: the "public" redirector below.
	e := newEnv(t, envOptions{egressAllow: "127.0.0.2"})
	path, admin := installWebhook(t, e)
	recv := newReceiver(t, "s3cret-hmac-key-value") // on 127.0.0.1
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(recv.URL, "http://"))

	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	var redirected int
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected++
		http.Redirect(w, r, recv.URL+"/hook", http.StatusTemporaryRedirect)
	}))
	redirector.Listener = ln
	redirector.Start()
	t.Cleanup(redirector.Close)

	for _, url := range []string{
		recv.URL + "/hook",
		"http://10.20.30.40:8080/hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://100.64.0.1/hook",
		"http://[::1]:" + port + "/hook",
		"http://localhost:" + port + "/hook", // a name that resolves to loopback
		redirector.URL + "/hook",             // allowed itself, redirects to loopback
	} {
		body := testWebhook(t, e, path, admin, url)
		if body["ok"] != false || body["message"] != "delivery failed" {
			t.Errorf("%s: test answered %v, want not ok and \"delivery failed\" alone", url, body)
		}
	}
	if got, bad := recv.got(); len(got) != 0 || bad != 0 {
		t.Fatalf("the loopback receiver was reached: %v (bad %d)", got, bad)
	}
	if redirected != 1 {
		t.Fatalf("the allowed redirector was asked %d times, want 1", redirected)
	}
	// The detail is in the server's log, not in the answer.
	if logs := e.Logs.String(); !strings.Contains(logs, "plugin request not delivered") || !strings.Contains(logs, "destination not permitted") {
		t.Fatalf("no refusal in the server log:\n%s", logs)
	}
}

// The operator's allow-list opens what it names, and only that.
func TestWebhookReachesWhatTheOperatorAllows(t *testing.T) {
	e := newEnv(t, envOptions{egressAllow: "127.0.0.1/32"})
	path, admin := installWebhook(t, e)
	recv := newReceiver(t, "s3cret-hmac-key-value")
	if body := testWebhook(t, e, path, admin, recv.URL+"/hook"); body["ok"] != true {
		t.Fatalf("allowed receiver: %v", body)
	}
	if got, _ := recv.got(); len(got) != 1 {
		t.Fatalf("receiver got %v", got)
	}
	if body := testWebhook(t, e, path, admin, "http://169.254.169.254/latest/meta-data/"); body["ok"] != false || body["message"] != "delivery failed" {
		t.Fatalf("metadata address with loopback allowed: %v", body)
	}
}

// Server-side plugins run without a network of their own: a plugin that
// dials by itself, ignoring the host's egress, reaches nothing, not even
// an allowed loopback listener. With the sandbox off it would.
func TestServerPluginsHaveNoNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	for _, tc := range []struct {
		sandbox pluginserver.Sandbox
		ok      bool
	}{{pluginserver.SandboxOn, false}, {pluginserver.SandboxOff, true}} {
		e := newEnv(t, envOptions{egressAllow: "127.0.0.1/32", sandbox: tc.sandbox})
		tok := e.platformToken(t)
		dir := pluginDir(t, "testdata/dialer/plugin.json", "./adapters/http/pluginsapi/testdata/dialer", "", nil)
		code, body := e.upload(t, tok, packed(t, dir, e.Key))
		mustStatus(t, "install dialer", code, 201, body)
		code, body = e.Do(t, "POST", "/api/v1/plugins/test.dialer/enable", tok, nil)
		mustStatus(t, "enable dialer", code, 200, body)
		orgA := e.Seed.A.Orgs[0]
		code, body = e.Do(t, "PUT", "/api/v1/plugins/test.dialer/orgs/"+orgA.ID, tok,
			map[string]any{"enabled": true, "settings": map[string]any{"addr": ln.Addr().String()}})
		mustStatus(t, "settings", code, 200, body)
		code, body = e.Do(t, "POST", "/api/v1/plugins/test.dialer/test", tok, map[string]any{"orgId": orgA.ID})
		if code != 200 || body["ok"] != tc.ok {
			t.Errorf("sandbox %s: dialing %s answered %d %v, want ok=%v", tc.sandbox, ln.Addr(), code, body, tc.ok)
		}
	}
}
