package updatesapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/http/updatesapi"
	"github.com/breeze-rmm/breeze/core/app/updates"
	"github.com/breeze-rmm/breeze/protocol"
)

// sender records offers; every device counts as linked.
type sender struct {
	mu     sync.Mutex
	offers map[string]protocol.UpdateOffer
}

func (s *sender) ToAgent(_ context.Context, deviceID string, frame any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offers[deviceID] = frame.(protocol.UpdateOffer)
	return nil
}

func (s *sender) offered() map[string]protocol.UpdateOffer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]protocol.UpdateOffer{}
	for k, v := range s.offers {
		out[k] = v
	}
	return out
}

type env struct {
	ts   *apitest.TestServer
	svc  *updates.Service
	out  *sender
	priv ed25519.PrivateKey
	root string // platform admin token
	a, b string // partner A's and B's admin tokens
}

func newEnv(t *testing.T, pg ...bool) *env {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: len(pg) > 0 && pg[0]})
	out := &sender{offers: map[string]protocol.UpdateOffer{}}
	svc, err := updates.New(updates.Deps{Store: ts.Store, Agents: out, Clock: ts.Clock, Logger: hclog.NewNullLogger(),
		ReleaseKeys: []ed25519.PublicKey{pub}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	updatesapi.Register(ts.Server, updatesapi.Deps{Updates: svc})
	s := ts.Seed
	return &env{ts: ts, svc: svc, out: out, priv: priv,
		root: ts.Login(t, s.Platform.Email, apitest.DefaultPassword),
		a:    ts.Login(t, s.A.Admin.Email, apitest.DefaultPassword), b: ts.Login(t, s.B.Admin.Email, apitest.DefaultPassword)}
}

func (e *env) upload(t *testing.T, token, version string, data []byte, sigVersion string) (int, map[string]any) {
	t.Helper()
	sum := sha256.Sum256(data)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(e.priv, protocol.ReleaseMessage("linux", "amd64", sigVersion, hex.EncodeToString(sum[:]))))
	q := url.Values{"version": {version}, "os": {"linux"}, "arch": {"amd64"}, "signature": {sig}}
	rec := e.ts.Request(t, http.MethodPost, "/api/v1/releases?"+q.Encode(), token, data,
		http.Header{"Content-Type": {"application/octet-stream"}})
	return rec.Code, apitest.DecodeJSON(t, rec)
}

func (e *env) tick(t *testing.T) {
	t.Helper()
	if _, err := e.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) report(t *testing.T, deviceID, rollout, state, running string) {
	t.Helper()
	raw, _ := json.Marshal(protocol.UpdateResult{Header: protocol.Header{Type: protocol.TypeUpdateResult}, RolloutID: rollout,
		Version: "1.1.0", State: state, Running: running, Error: "boom"})
	if err := e.svc.FromAgent(t.Context(), deviceID, protocol.TypeUpdateResult, raw); err != nil {
		t.Fatal(err)
	}
}

func (e *env) rollout(t *testing.T, id string) map[string]any {
	t.Helper()
	code, r := e.ts.Do(t, http.MethodGet, "/api/v1/rollouts/"+id, e.a, nil)
	if code != http.StatusOK {
		t.Fatalf("get rollout: %d %v", code, r)
	}
	return r
}

func TestReleasesUpload(t *testing.T) {
	e := newEnv(t)
	build := []byte("agent build 1.1.0")
	if code, body := e.upload(t, e.a, "1.1.0", build, "1.1.0"); code != http.StatusForbidden {
		t.Fatalf("a partner admin uploaded a build: %d %v", code, body)
	}
	if code, body := e.upload(t, e.root, "1.1.0", build, "1.2.0"); code != http.StatusBadRequest {
		t.Fatalf("a signature over another version was accepted: %d %v", code, body)
	}
	code, body := e.upload(t, e.root, "1.1.0", build, "1.1.0")
	if code != http.StatusCreated || body["size"] != float64(len(build)) {
		t.Fatalf("upload: %d %v", code, body)
	}
	if code, body := e.upload(t, e.root, "1.1.0", build, "1.1.0"); code != http.StatusConflict {
		t.Fatalf("the same version and platform again: %d %v", code, body)
	}
	code, list := e.ts.Do(t, http.MethodGet, "/api/v1/releases", e.b, nil)
	if code != http.StatusOK || len(list["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, list)
	}
}

// TestStagedRollout drives a rollout by ticks: stages take their share
// of the scope, pause between them, and stop when failures pass the
// threshold; other tenants see none of it; one running rollout per scope;
// a downgrade needs allowDowngrade; only offered devices download.
func TestStagedRollout(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testStagedRollout(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testStagedRollout(t, newEnv(t, true)) })
}

func testStagedRollout(t *testing.T, e *env) {
	A := e.ts.Seed.A
	var devs []string
	tokens := map[string]string{}
	for i := 0; i < 10; i++ {
		id, tok := e.ts.NewDevice(t, A, 0, "host")
		devs = append(devs, id)
		tokens[id] = tok
	}
	build := []byte("the 1.1.0 build")
	if code, body := e.upload(t, e.root, "1.1.0", build, "1.1.0"); code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, body)
	}
	if code, body := e.upload(t, e.root, "0.9.0", []byte("old"), "0.9.0"); code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, body)
	}
	org := A.Orgs[0].ID
	create := func(token string, body map[string]any) (int, map[string]any) {
		return e.ts.Do(t, http.MethodPost, "/api/v1/rollouts", token, body)
	}
	if code, body := create(e.a, map[string]any{"scopeKind": "org", "scopeId": org, "version": "0.9.0"}); code != http.StatusBadRequest {
		t.Fatalf("a downgrade without allowDowngrade: %d %v", code, body)
	}
	for _, bad := range []map[string]any{
		{"scopeKind": "org", "scopeId": org, "version": "1.1.0", "stages": []int{10, 5, 100}},
		{"scopeKind": "org", "scopeId": org, "version": "1.1.0", "stages": []int{10, 50}},
		{"scopeKind": "org", "scopeId": org, "version": "1.1.0", "failureThreshold": 101},
		{"scopeKind": "org", "scopeId": org, "version": "2.0.0"}, // no build
		{"scopeKind": "planet", "scopeId": org, "version": "1.1.0"},
	} {
		if code, body := create(e.a, bad); code != http.StatusBadRequest {
			t.Fatalf("%v: %d %v", bad, code, body)
		}
	}
	if code, body := create(e.b, map[string]any{"scopeKind": "org", "scopeId": org, "version": "1.1.0"}); code != http.StatusNotFound {
		t.Fatalf("another tenant's org: %d %v", code, body)
	}
	code, r := create(e.a, map[string]any{"scopeKind": "org", "scopeId": org, "version": "1.1.0", "stages": []int{10, 50, 100},
		"pauseSeconds": 60, "failureThreshold": 30, "trialSeconds": 30})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, r)
	}
	id := r["id"].(string)
	if code, body := create(e.a, map[string]any{"scopeKind": "org", "scopeId": org, "version": "1.1.0"}); code != http.StatusConflict {
		t.Fatalf("a second rollout for the org: %d %v", code, body)
	}
	for _, path := range []string{"/api/v1/rollouts/" + id, "/api/v1/rollouts/" + id + "/devices"} {
		if code, _ := e.ts.Do(t, http.MethodGet, path, e.b, nil); code != http.StatusNotFound {
			t.Fatalf("another tenant reads %s: %d", path, code)
		}
	}
	if code, _ := e.ts.Do(t, http.MethodPost, "/api/v1/rollouts/"+id+"/stop", e.b, nil); code != http.StatusNotFound {
		t.Fatalf("another tenant stops the rollout: %d", code)
	}
	if _, list := e.ts.Do(t, http.MethodGet, "/api/v1/rollouts", e.b, nil); len(list["items"].([]any)) != 0 {
		t.Fatalf("another tenant lists %v", list)
	}

	// Stage 1: 10 % of 10 devices.
	e.tick(t)
	offered := e.out.offered()
	if len(offered) != 1 {
		t.Fatalf("stage 1 offered %d devices, want 1", len(offered))
	}
	var first string
	for d, o := range offered {
		first = d
		if o.Version != "1.1.0" || o.TrialSeconds != 30 || o.Size != int64(len(build)) || !strings.HasPrefix(o.BinaryPath, "/api/v1/agents/"+d+"/update/") {
			t.Fatalf("offer %+v", o)
		}
		// The offered device downloads its build; another device may not.
		rec := e.ts.Request(t, http.MethodGet, o.BinaryPath, tokens[d], nil, nil)
		if rec.Code != http.StatusOK || rec.Body.String() != string(build) {
			t.Fatalf("download: %d %q", rec.Code, rec.Body.String())
		}
	}
	for _, d := range devs {
		if d == first {
			continue
		}
		path := offered[first].BinaryPath
		rec := e.ts.Request(t, http.MethodGet, path, tokens[d], nil, nil)
		if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusNotFound {
			t.Fatalf("a device downloads through another's path: %d", rec.Code)
		}
		break
	}
	e.report(t, first, id, protocol.UpdateLinked, "1.1.0")
	e.tick(t) // stage done: the pause starts
	if r := e.rollout(t, id); r["nextStageAt"] == nil || r["stage"] != float64(0) {
		t.Fatalf("after stage 1: %v", r)
	}
	e.tick(t)
	if len(e.out.offered()) != 1 {
		t.Fatal("offers during the pause")
	}
	e.ts.Clock.Advance(61 * time.Second)
	e.tick(t) // stage 2 starts
	e.tick(t) // and takes its share
	offered = e.out.offered()
	if len(offered) != 5 {
		t.Fatalf("after stage 2: %d offered, want 5", len(offered))
	}
	failed := 0
	for d := range offered {
		if d != first && failed < 2 {
			state := protocol.UpdateFailed
			if failed == 1 {
				state = protocol.UpdateRolledBack
			}
			e.report(t, d, id, state, "1.0.0")
			failed++
		}
	}
	// A device outside the rollout reporting on it changes nothing.
	for _, d := range devs {
		if _, ok := offered[d]; !ok {
			e.report(t, d, id, protocol.UpdateFailed, "1.0.0")
			break
		}
	}
	e.tick(t) // 2 of 5 reached failed: 40 % > 30 %
	r = e.rollout(t, id)
	if r["state"] != "stopped" || r["counts"].(map[string]any)["failed"] != float64(1) || r["counts"].(map[string]any)["rolled_back"] != float64(1) {
		t.Fatalf("after the failures: %v", r)
	}
	code, du := e.ts.Do(t, http.MethodGet, "/api/v1/devices/"+first+"/update", e.a, nil)
	if code != http.StatusOK || du["state"] != "linked" {
		t.Fatalf("device state: %d %v", code, du)
	}
	if code, _ := e.ts.Do(t, http.MethodGet, "/api/v1/devices/"+first+"/update", e.b, nil); code != http.StatusNotFound {
		t.Fatalf("another tenant reads the device's update state: %d", code)
	}
	// A stopped rollout frees the scope and takes no action.
	if code, _ := e.ts.Do(t, http.MethodPost, "/api/v1/rollouts/"+id+"/resume", e.a, nil); code != http.StatusConflict {
		t.Fatalf("resume a stopped rollout: %d", code)
	}
	if code, body := create(e.a, map[string]any{"scopeKind": "org", "scopeId": org, "version": "1.1.0"}); code != http.StatusCreated {
		t.Fatalf("a new rollout after the stop: %d %v", code, body)
	}
	// Every mutation is audited, refusals included.
	seen := map[string]int{}
	for _, a := range e.ts.AuditRows(t) {
		seen[a.Action+":"+string(a.Outcome)]++
	}
	for _, want := range []string{"rollouts.create:success", "rollouts.create:failure", "releases.upload:success", "rollouts.resume:failure"} {
		if seen[want] == 0 {
			t.Errorf("no audit row %s in %v", want, seen)
		}
	}
}
