package sdk_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

var quick = sdk.PostOptions{Attempts: 3, Backoff: 10 * time.Millisecond, Timeout: 300 * time.Millisecond}

func TestPostJSONRetriesThenDelivers(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || string(b) != `{"a":1}` || r.Header.Get("X-Extra") != "yes" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "queued")
	}))
	defer srv.Close()
	o := quick
	o.Header = http.Header{"X-Extra": {"yes"}}
	start := time.Now()
	res, err := sdk.PostJSON(context.Background(), sdktest.NewFakeHost(nil), srv.URL, []byte(`{"a":1}`), o)
	if err != nil || !res.Delivered || res.Attempts != 2 || res.StatusCode != 202 || string(res.Body) != "queued" {
		t.Fatalf("PostJSON = %+v, %v", res, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %s; the 429's Retry-After asked for 1 s", d)
	}
}

func TestPostJSONClientErrorIsFinal(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		http.Error(w, `{"message":"bad"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	res, err := sdk.PostJSON(context.Background(), sdktest.NewFakeHost(nil), srv.URL, []byte(`{}`), quick)
	if err != nil || res.Delivered || res.Attempts != 1 || n.Load() != 1 || res.StatusCode != 400 || res.Detail != "400 Bad Request" {
		t.Fatalf("PostJSON = %+v, %v", res, err)
	}
}

// Same-host redirects are followed; one to another host is not, so a
// receiver cannot hand the notification (and its secret URL) to a third party.
func TestPostJSONRedirects(t *testing.T) {
	var other atomic.Int32
	third := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { other.Add(1) }))
	defer third.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusPermanentRedirect)
		case "/away":
			http.Redirect(w, r, third.URL+"/steal", http.StatusTemporaryRedirect)
		case "/here":
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	host := sdktest.NewFakeHost(nil)
	if res, err := sdk.PostJSON(context.Background(), host, srv.URL+"/moved", []byte(`{}`), quick); err != nil || !res.Delivered {
		t.Fatalf("same-host redirect: %+v, %v", res, err)
	}
	res, err := sdk.PostJSON(context.Background(), host, srv.URL+"/away", []byte(`{}`), quick)
	if err != nil || res.Delivered || res.Attempts != 1 || other.Load() != 0 {
		t.Fatalf("redirect to another host: %+v, %v (third party got %d)", res, err, other.Load())
	}
}

func TestPostJSONNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	res, err := sdk.PostJSON(context.Background(), sdktest.NewFakeHost(nil), srv.URL, []byte(`{}`), quick)
	if err != nil || res.Delivered || res.Attempts != 3 || res.Detail != sdk.ErrDeliveryFailed.Error() {
		t.Fatalf("PostJSON = %+v, %v", res, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %s for 3 tries of 300 ms", d)
	}
	// The caller's context ends it sooner, with its error.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := sdk.PostJSON(ctx, sdktest.NewFakeHost(nil), srv.URL, []byte(`{}`), quick); err == nil {
		t.Fatal("PostJSON with an ended context: want its error")
	}
}
