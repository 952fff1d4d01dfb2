package enroll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

const (
	testKey   = "ek_0123456789abcdef0123456789abcdef"
	testToken = "brz_tok3n_do_not_log_me_0123456789"
)

func okAnswer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(protocol.EnrollResponse{AgentToken: testToken, DeviceID: "dev-1", OrgID: "org-1", SiteID: "site-1"})
}

func TestEnrollSuccessSendsTheContract(t *testing.T) {
	var got protocol.EnrollRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != protocol.EnrollPath || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong request", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		okAnswer(w)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	res, err := Enroll(context.Background(), Options{
		ServerURL: srv.URL + "/", Key: testKey, AgentVersion: "1.2.3", Hostname: "web-01",
		Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.AgentToken != testToken || res.DeviceID != "dev-1" || res.OrgID != "org-1" || res.SiteID != "site-1" {
		t.Errorf("response = %+v", res)
	}
	want := protocol.EnrollRequest{EnrollmentKey: testKey, Hostname: "web-01", OS: runtime.GOOS, Arch: runtime.GOARCH, AgentVersion: "1.2.3"}
	if got != want {
		t.Errorf("request = %+v, want %+v", got, want)
	}
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), testKey) {
		t.Errorf("secret in logs: %s", logs.String())
	}
}

func TestEnrollRejectedKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"invalid enrollment key"}}`))
	}))
	defer srv.Close()
	_, err := Enroll(context.Background(), Options{ServerURL: srv.URL, Key: testKey})
	if !errors.Is(err, ErrKeyRejected) {
		t.Fatalf("err = %v, want ErrKeyRejected", err)
	}
	for _, want := range []string{"expired", "used up", "revoked", "invalid enrollment key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), testKey) {
		t.Error("error repeats the key")
	}
}

func TestEnrollHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var first, second atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			first.Store(time.Now().UnixNano())
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			second.Store(time.Now().UnixNano())
			okAnswer(w)
		}
	}))
	defer srv.Close()
	res, err := Enroll(context.Background(), Options{ServerURL: srv.URL, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if res.DeviceID != "dev-1" || calls.Load() != 2 {
		t.Fatalf("res %+v after %d calls", res, calls.Load())
	}
	if gap := time.Duration(second.Load() - first.Load()); gap < 950*time.Millisecond {
		t.Errorf("retried after %v, Retry-After asked for 1s", gap)
	}
}

func TestEnrollGivesUpWhenAlwaysRateLimited(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	_, err := Enroll(context.Background(), Options{ServerURL: srv.URL, Key: testKey, MaxAttempts: 3})
	if !errors.Is(err, ErrRateLimited) || calls.Load() != 3 {
		t.Fatalf("err = %v after %d calls", err, calls.Load())
	}
}

func TestEnrollRetryWaitStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Enroll(ctx, Options{ServerURL: srv.URL, Key: testKey})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestEnrollTransportErrorsAreExplained(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { okAnswer(w) }))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	defer tlsSrv.Close()
	_, err := Enroll(context.Background(), Options{ServerURL: tlsSrv.URL, Key: testKey})
	if err == nil || !strings.Contains(err.Error(), "TLS certificate") || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("self-signed server: %v", err)
	}
	// https:// to a plain HTTP server.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { okAnswer(w) }))
	defer plain.Close()
	_, err = Enroll(context.Background(), Options{ServerURL: strings.Replace(plain.URL, "http://", "https://", 1), Key: testKey})
	if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Errorf("https to http: %v", err)
	}
	// Nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Enroll(context.Background(), Options{ServerURL: "http://" + addr, Key: testKey})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("closed port: %v", err)
	}
}

func TestEnrollRejectsBadAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"not json":    "{",
		"no token":    `{"deviceId":"d"}`,
		"wrong token": `{"agentToken":"abc","deviceId":"d"}`,
		"bad device":  `{"agentToken":"brz_x","deviceId":"../admin"}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(body))
		}))
		if _, err := Enroll(context.Background(), Options{ServerURL: srv.URL, Key: testKey}); err == nil {
			t.Errorf("%s: accepted", name)
		}
		srv.Close()
	}
	if _, err := Enroll(context.Background(), Options{ServerURL: "ftp://x", Key: testKey}); err == nil {
		t.Error("ftp URL accepted")
	}
}

func TestResolveKey(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in      KeyInput
		want    string
		wantErr bool
	}{
		{KeyInput{File: file, Env: "env"}, "from-file", false},
		{KeyInput{Flag: "flag", Env: "env"}, "flag", false},
		{KeyInput{Env: " env\n"}, "env", false},
		{KeyInput{Flag: "a", File: file}, "", true},
		{KeyInput{}, "", true},
		{KeyInput{Flag: "two words"}, "", true},
		{KeyInput{File: filepath.Join(dir, "missing")}, "", true},
	}
	for _, c := range cases {
		got, err := ResolveKey(c.in)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%+v: got %q %v", c.in, got, err)
		}
	}
	if _, err := ResolveKey(KeyInput{}); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
}
