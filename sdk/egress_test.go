package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

// fetcher is an alert channel that GETs the notification's URL through the
// host and reports the answer's body (or the error) as its detail.
type fetcher struct {
	mu   sync.Mutex
	host sdk.Host
}

func (f *fetcher) SetHost(h sdk.Host) { f.mu.Lock(); f.host = h; f.mu.Unlock() }
func (f *fetcher) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "fetcher", Version: "1.0.0"}, nil
}
func (f *fetcher) Test(context.Context, json.RawMessage) (sdk.TestResult, error) {
	return sdk.TestResult{OK: true}, nil
}
func (f *fetcher) Send(ctx context.Context, n sdk.Notification) (sdk.SendResult, error) {
	f.mu.Lock()
	c := sdk.HTTPClient(f.host)
	f.mu.Unlock()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, strings.NewReader("ping"))
	resp, err := c.Do(req)
	if err != nil {
		return sdk.SendResult{Detail: err.Error()}, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return sdk.SendResult{Delivered: resp.StatusCode == 200, Detail: string(b)}, nil
}

// egressHost answers like a host with an egress policy: "internal" is
// refused with a detail the plugin must not see; /start redirects.
type egressHost struct {
	*sdktest.FakeHost
	mu   sync.Mutex
	urls []string
}

func (h *egressHost) HTTP(_ context.Context, r sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	h.mu.Lock()
	h.urls = append(h.urls, r.Method+" "+r.URL+" "+string(r.Body))
	h.mu.Unlock()
	switch {
	case strings.Contains(r.URL, "internal"):
		return sdk.HTTPResponse{}, errors.Join(sdk.ErrDeliveryFailed, errors.New("dial tcp 10.0.0.1:80: refused by policy"))
	case strings.HasSuffix(r.URL, "/start"):
		return sdk.HTTPResponse{StatusCode: 307, Status: "307 Temporary Redirect", Header: http.Header{"Location": {"/next"}}}, nil
	}
	return sdk.HTTPResponse{StatusCode: 200, Status: "200 OK", Body: []byte("hello from " + r.URL)}, nil
}

func TestHTTPClientGoesThroughTheHost(t *testing.T) {
	host := &egressHost{FakeHost: sdktest.NewFakeHost(nil)}
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &fetcher{}, host)
	ctx := context.Background()

	// Every redirect hop is a request of its own, through the host.
	res, err := ch.Send(ctx, sdk.Notification{URL: "https://hooks.example.com/start"})
	if err != nil || !res.Delivered || res.Detail != "hello from https://hooks.example.com/next" {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	if want := []string{"POST https://hooks.example.com/start ping", "POST https://hooks.example.com/next ping"}; strings.Join(host.urls, "|") != strings.Join(want, "|") {
		t.Fatalf("host made %q, want %q", host.urls, want)
	}

	// A refusal reaches the plugin as "delivery failed", without the host's detail.
	res, err = ch.Send(ctx, sdk.Notification{URL: "http://internal.example/"})
	if err != nil || res.Delivered || !strings.Contains(res.Detail, "delivery failed") || strings.Contains(res.Detail, "10.0.0.1") {
		t.Fatalf("refused Send = %+v, %v", res, err)
	}
}

// A host without egress (no host at all here) makes the client fail.
func TestHTTPClientWithoutEgress(t *testing.T) {
	ch := sdktest.InProcess[sdk.AlertChannel](t, sdk.KindAlertChannel, &fetcher{}, nil)
	res, err := ch.Send(context.Background(), sdk.Notification{URL: "https://hooks.example.com/"})
	if err != nil || res.Delivered || !strings.Contains(res.Detail, "HostAPI") {
		t.Fatalf("Send = %+v, %v", res, err)
	}
}
