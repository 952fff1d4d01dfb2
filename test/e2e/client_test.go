package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// client calls the REST API as the bootstrapped admin.
type client struct {
	t     testing.TB
	base  string
	token string
}

// login signs the admin in; the access token lasts 15 minutes, longer than
// any test here.
func login(t testing.TB, s *server) *client {
	t.Helper()
	c := &client{t: t, base: s.url}
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	c.must(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, http.StatusOK, &out)
	if out.AccessToken == "" {
		t.Fatal("login answered no access token")
	}
	c.token = out.AccessToken
	return c
}

// do sends a request and returns the status and body.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return res.StatusCode, data
}

// must sends a request, fails the test unless the status is want, and
// decodes the body into out (when not nil).
func (c *client) must(method, path string, body any, want int, out any) {
	c.t.Helper()
	code, data := c.do(method, path, body)
	if code != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// site creates an org and a site and returns the site id.
func (c *client) site(name string) string {
	c.t.Helper()
	var org, site struct {
		ID string `json:"id"`
	}
	c.must(http.MethodPost, "/api/v1/orgs", map[string]string{"name": name}, http.StatusCreated, &org)
	c.must(http.MethodPost, "/api/v1/sites", map[string]string{"orgId": org.ID, "name": name + " HQ"}, http.StatusCreated, &site)
	return site.ID
}

// mintKey mints an enrollment key for site with maxUses uses.
func (c *client) mintKey(siteID string, maxUses int) string {
	c.t.Helper()
	var out struct {
		Key            string `json:"key"`
		InstallCommand string `json:"installCommand"`
	}
	c.must(http.MethodPost, "/api/v1/enrollment-keys", map[string]any{"siteId": siteID, "maxUses": maxUses}, http.StatusCreated, &out)
	if out.Key == "" {
		c.t.Fatal("the minted key has no secret")
	}
	return out.Key
}

// device is the part of GET /devices/:id the tests read.
type device struct {
	ID         string     `json:"id"`
	Hostname   string     `json:"hostname"`
	OS         string     `json:"os"`
	Status     string     `json:"status"`
	LastSeenAt *time.Time `json:"lastSeenAt"`
}

func (c *client) device(id string) device {
	c.t.Helper()
	var d device
	c.must(http.MethodGet, "/api/v1/devices/"+id, nil, http.StatusOK, &d)
	return d
}

// listed returns the device as GET /devices lists it (false: not listed).
func (c *client) listed(id string) (device, bool) {
	c.t.Helper()
	var page struct {
		Items []device `json:"items"`
	}
	c.must(http.MethodGet, "/api/v1/devices?limit=200", nil, http.StatusOK, &page)
	for _, d := range page.Items {
		if d.ID == id {
			return d, true
		}
	}
	return device{}, false
}

// metricPoints counts the samples stored for a device since from.
func (c *client) metricSamples(id string, from time.Time) int {
	c.t.Helper()
	var out struct {
		Points []struct {
			Samples int `json:"samples"`
		} `json:"points"`
	}
	q := url.Values{"from": {from.UTC().Format(time.RFC3339Nano)}, "to": {time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano)}, "step": {"1"}}
	c.must(http.MethodGet, "/api/v1/devices/"+id+"/metrics?"+q.Encode(), nil, http.StatusOK, &out)
	n := 0
	for _, p := range out.Points {
		n += p.Samples
	}
	return n
}

// enrollRaw enrolls a made-up device with the key, straight through the
// API (no agent binary), for the link tests.
func enrollRaw(t testing.TB, s *server, key, hostname string) protocol.EnrollResponse {
	t.Helper()
	c := &client{t: t, base: s.url}
	var out protocol.EnrollResponse
	c.must(http.MethodPost, protocol.EnrollPath, protocol.EnrollRequest{
		EnrollmentKey: key, Hostname: hostname, OS: "linux", Arch: "amd64", AgentVersion: "0.0.0-e2e",
	}, http.StatusCreated, &out)
	return out
}
