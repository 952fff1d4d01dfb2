package api_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
)

const devicesPath = api.Prefix + "/devices"

// listIDs returns the device ids of every page of GET /devices?query.
func listIDs(t *testing.T, ts *apitest.TestServer, tok, query string) ([]string, int) {
	t.Helper()
	var ids []string
	q, _ := url.ParseQuery(query)
	for {
		code, body := ts.Do(t, http.MethodGet, devicesPath+"?"+q.Encode(), tok, nil)
		if code != http.StatusOK {
			return nil, code
		}
		for _, it := range body["items"].([]any) {
			m := it.(map[string]any)
			for _, k := range []string{"id", "orgId", "siteId", "hostname", "os", "arch", "status", "agentVersion"} {
				if _, ok := m[k]; !ok {
					t.Fatalf("item lacks %s: %v", k, m)
				}
			}
			ids = append(ids, m["id"].(string))
		}
		next, _ := body["nextCursor"].(string)
		if next == "" {
			sort.Strings(ids)
			return ids, http.StatusOK
		}
		q.Set("cursor", next)
	}
}

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

func TestDeviceListFiltersAndIsolation(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
			ts.RequireAgents(t)
			ctx := context.Background()
			a, b := ts.Seed.A, ts.Seed.B
			a0, _ := ts.NewDevice(t, a, 0, "alpha-web")
			a0b, a0btok := ts.NewDevice(t, a, 0, "alpha-db")
			a1, _ := ts.NewDevice(t, a, 1, "beta-web")
			bdev, _ := ts.NewDevice(t, b, 0, "b-web")
			// a0b goes online; a1 is a windows box.
			c, _, err := ts.DialAgent(t, a0b, a0btok)
			if err != nil {
				t.Fatal(err)
			}
			apitest.Hello(t, c, "alpha-db")
			d := device(t, ts, a1)
			d.OS = "windows"
			if _, err := ts.Store.Devices().Upsert(ctx, domain.GlobalScope(), d); err != nil {
				t.Fatal(err)
			}
			g := &domain.DeviceGroup{OrgID: a.Orgs[0].ID, Name: "Web servers"}
			if err := ts.Store.DeviceGroups().Create(ctx, domain.GlobalScope(), g); err != nil {
				t.Fatal(err)
			}
			tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
			// Put a0 into the group through the API (a move).
			ver := device(t, ts, a0).Version
			if code, body := ts.Do(t, http.MethodPatch, devicesPath+"/"+a0, tok, map[string]any{"groupId": g.ID, "version": ver}); code != http.StatusOK || body["groupId"] != g.ID {
				t.Fatalf("group move: %d %v", code, body)
			}

			for query, want := range map[string][]string{
				"":                                 {a0, a0b, a1},
				"orgId=" + a.Orgs[0].ID:            {a0, a0b},
				"siteId=" + a.Sites[1].ID:          {a1},
				"groupId=" + g.ID:                  {a0},
				"status=online":                    {a0b},
				"status=pending":                   {a0, a1},
				"os=windows":                       {a1},
				"q=WEB":                            {a0, a1},
				"q=alpha&status=online":            {a0b},
				"orgId=" + b.Orgs[0].ID:            nil, // foreign: empty, never B's devices
				"siteId=" + b.Sites[0].ID + "&q=b": nil,
				"limit=1":                          {a0, a0b, a1}, // paged through
			} {
				got, code := listIDs(t, ts, tok, query)
				if code != http.StatusOK || strings.Join(got, ",") != strings.Join(sorted(want...), ",") {
					t.Errorf("?%s: %d %v, want %v", query, code, got, sorted(want...))
				}
			}
			for _, bad := range []string{"status=sleeping", "orgId=x", "groupId=1", "frobnicate=1", "limit=0"} {
				if _, code := listIDs(t, ts, tok, bad); code != http.StatusBadRequest {
					t.Errorf("?%s: %d", bad, code)
				}
			}
			// Cross-tenant: 404 on every device route, and nothing changes.
			btok := ts.Login(t, b.Admin.Email, b.Admin.Password)
			for _, r := range []struct{ method, path string }{
				{http.MethodGet, devicesPath + "/" + a0},
				{http.MethodGet, devicesPath + "/" + a0 + "/metrics"},
				{http.MethodGet, devicesPath + "/" + a0 + "/inventory"},
				{http.MethodPost, devicesPath + "/" + a0 + "/decommission"},
			} {
				if code, _ := ts.Do(t, r.method, r.path, btok, nil); code != http.StatusNotFound {
					t.Errorf("B %s %s: %d", r.method, r.path, code)
				}
			}
			if code, _ := ts.Do(t, http.MethodPatch, devicesPath+"/"+a0, btok, map[string]any{"siteId": b.Sites[0].ID, "version": ver + 1}); code != http.StatusNotFound {
				t.Errorf("B moves A's device: %d", code)
			}
			if got, _ := listIDs(t, ts, btok, ""); strings.Join(got, ",") != bdev {
				t.Errorf("B lists %v", got)
			}
			if d := device(t, ts, a0); d.Status != domain.DevicePending || d.SiteID != a.Sites[0].ID {
				t.Errorf("A's device changed: %+v", d)
			}
			// A site-level viewer sees their site only.
			viewer := ts.NewUser(t, domain.RoleOrgViewer, a.SiteUnit(1), "")
			if got, _ := listIDs(t, ts, ts.Login(t, viewer.Email, viewer.Password), ""); strings.Join(got, ",") != a1 {
				t.Errorf("site viewer lists %v", got)
			}
		})
	}
}

func TestMoveDevice(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	ctx := context.Background()
	a := ts.Seed.A
	id, _ := ts.NewDevice(t, a, 0, "mover")
	site2 := &domain.Site{OrgID: a.Orgs[0].ID, Name: "Branch"}
	if err := ts.Store.Sites().Create(ctx, domain.GlobalScope(), site2); err != nil {
		t.Fatal(err)
	}
	siteGroup := &domain.DeviceGroup{OrgID: a.Orgs[0].ID, SiteID: a.Sites[0].ID, Name: "HQ desks"}
	if err := ts.Store.DeviceGroups().Create(ctx, domain.GlobalScope(), siteGroup); err != nil {
		t.Fatal(err)
	}
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	path := devicesPath + "/" + id
	v := device(t, ts, id).Version

	code, body := ts.Do(t, http.MethodPatch, path, tok, map[string]any{"groupId": siteGroup.ID, "version": v})
	if code != http.StatusOK || body["groupId"] != siteGroup.ID {
		t.Fatalf("into group: %d %v", code, body)
	}
	v2 := int64(body["version"].(float64))
	// A stale version is a conflict.
	if code, _ := ts.Do(t, http.MethodPatch, path, tok, map[string]any{"siteId": site2.ID, "version": v}); code != http.StatusConflict {
		t.Fatalf("stale version: %d", code)
	}
	// Moving site leaves the old site's group.
	code, body = ts.Do(t, http.MethodPatch, path, tok, map[string]any{"siteId": site2.ID, "version": v2})
	if code != http.StatusOK || body["siteId"] != site2.ID || body["groupId"] != nil {
		t.Fatalf("site move: %d %v", code, body)
	}
	v3 := int64(body["version"].(float64))
	for name, in := range map[string]map[string]any{
		"other org":      {"siteId": a.Sites[1].ID, "version": v3},
		"foreign site":   {"siteId": ts.Seed.B.Sites[0].ID, "version": v3},
		"group of other": {"groupId": siteGroup.ID, "version": v3}, // bound to the old site
		"no version":     {"siteId": a.Sites[0].ID},
		"nothing":        {"version": v3},
		"empty site":     {"siteId": "", "version": v3},
	} {
		code, body := ts.Do(t, http.MethodPatch, path, tok, in)
		if code != http.StatusBadRequest && code != http.StatusNotFound {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	if d := device(t, ts, id); d.SiteID != site2.ID || d.GroupID != "" {
		t.Fatalf("refused moves changed the device: %+v", d)
	}
	if n := len(ts.Events.Events(agents.EventDeviceMoved, id)); n != 2 {
		t.Errorf("%d move events", n)
	}
	var audited int
	for _, e := range ts.AuditRows(t) {
		if e.Action == "devices.move" && e.Outcome == domain.OutcomeSuccess && e.ResourceID == id && e.OrgID == a.Orgs[0].ID {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("%d move audit rows", audited)
	}
}

func TestDeviceMetricsDownsampled(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	ctx := context.Background()
	a := ts.Seed.A
	id, _ := ts.NewDevice(t, a, 0, "metrics")
	now := ts.Clock.Now().UTC().Truncate(time.Minute)
	// 10 minutes of samples every 10 s: cpu = the minute index (0..9), so
	// each 60 s bucket averages to its index; the max is index + 0.5.
	var samples []domain.MetricSample
	for i := 0; i < 60; i++ {
		at := now.Add(-10*time.Minute + time.Duration(i)*10*time.Second)
		cpu := float64(i / 6)
		if i%6 == 5 {
			cpu += 0.5
		} else if i%6 == 4 {
			cpu -= 0.1
		}
		samples = append(samples, domain.MetricSample{DeviceID: id, At: at, CPUPercent: cpu, MemoryUsed: 100, MemoryTotal: 200})
	}
	if err := ts.AgentStore.Telemetry().Write(ctx, samples, time.Time{}); err != nil {
		t.Fatal(err)
	}
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	q := url.Values{"from": {now.Add(-10 * time.Minute).Format(time.RFC3339)}, "to": {now.Format(time.RFC3339)}, "step": {"60"}}
	code, body := ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/metrics?"+q.Encode(), tok, nil)
	if code != http.StatusOK {
		t.Fatalf("metrics: %d %v", code, body)
	}
	points := body["points"].([]any)
	if len(points) != 10 || body["stepSeconds"] != float64(60) {
		t.Fatalf("%d points: %v", len(points), body)
	}
	for i, p := range points {
		m := p.(map[string]any)
		at, _ := time.Parse(time.RFC3339, m["at"].(string))
		if !at.Equal(now.Add(-10*time.Minute+time.Duration(i)*time.Minute)) || m["samples"] != float64(6) ||
			m["cpuMax"] != float64(i)+0.5 || m["memoryUsed"] != float64(100) {
			t.Errorf("point %d: %v", i, m)
		}
		if avg := m["cpuAvg"].(float64); avg < float64(i)+0.066 || avg > float64(i)+0.067 {
			t.Errorf("point %d avg %v", i, avg)
		}
	}
	// Coarser steps, durations, and the defaults (the last hour, 60 s).
	q.Set("step", "5m")
	if _, body := ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/metrics?"+q.Encode(), tok, nil); len(body["points"].([]any)) != 2 {
		t.Errorf("5m step: %v", body)
	}
	ts.Clock.Advance(time.Minute)
	code, body = ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/metrics", tok, nil)
	total := 0.0
	for _, p := range body["points"].([]any) {
		total += p.(map[string]any)["samples"].(float64)
	}
	from, _ := time.Parse(time.RFC3339, body["from"].(string))
	if code != http.StatusOK || total != 60 || body["stepSeconds"] != float64(60) || !from.Equal(ts.Clock.Now().Add(-time.Hour)) {
		t.Errorf("defaults: %d %v", code, body)
	}
	for name, qs := range map[string]string{
		"from after to": "from=" + now.Format(time.RFC3339) + "&to=" + now.Add(-time.Hour).Format(time.RFC3339),
		"zero step":     "step=0",
		"sub-second":    "step=500ms",
		"garbage step":  "step=often",
		"bad time":      "from=yesterday",
		"too many":      "from=" + now.Add(-24*time.Hour).Format(time.RFC3339) + "&to=" + now.Format(time.RFC3339) + "&step=1",
		"unknown param": "bucket=60",
		"repeated":      "step=60&step=120",
	} {
		if code, _ := ts.Do(t, http.MethodGet, devicesPath+"/"+id+"/metrics?"+qs, tok, nil); code != http.StatusBadRequest {
			t.Errorf("%s: %d", name, code)
		}
	}
	if code, _ := ts.Do(t, http.MethodGet, devicesPath+"/"+domain.NewID()+"/metrics", tok, nil); code != http.StatusNotFound {
		t.Errorf("unknown device: %d", code)
	}
	// Retention prunes samples past their keep.
	ts.Clock.Advance(31 * 24 * time.Hour)
	if n, err := ts.Retention.Prune(ctx); err != nil || n != 60 {
		t.Fatalf("prune: %d %v", n, err)
	}
}
