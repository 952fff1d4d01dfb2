package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// fakeScans is discovery as the schedules see it: one profile of org A's
// first site; it records the scans started.
type fakeScans struct {
	profileID, partnerID, orgID, siteID string
	mu                                  sync.Mutex
	started                             []string
	fail                                error
}

func (f *fakeScans) ProfileSite(_ context.Context, p *domain.Principal, id string) (string, string, error) {
	if id != f.profileID || !p.HoldsAt(domain.Unit{PartnerID: f.partnerID, OrgID: f.orgID, SiteID: f.siteID}, domain.PermDiscoveryManage) {
		return "", "", domain.NotFoundf("discovery profile not found")
	}
	return f.orgID, f.siteID, nil
}

func (f *fakeScans) StartScan(_ context.Context, _ *domain.Principal, id, scanID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.started = append(f.started, id+"/"+scanID)
	return nil
}

// A schedule of kind discovery: owned by the profile's org, its target the
// profile's site; a fire starts the scan with the id chosen at its claim,
// and a resumed fire starts it again with that same id (the scans make it
// once); a refused scan is a failed fire with the reason.
func TestScheduleDiscoveryKind(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			fake := &fakeScans{}
			ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg, ScheduleScans: fake})
			a := ts.Seed.A
			fake.profileID, fake.partnerID, fake.orgID, fake.siteID = domain.NewID(), a.Partner.ID, a.Orgs[0].ID, a.Sites[0].ID
			rs := &remoteServer{TestServer: ts}
			rs.admin = ts.Login(t, a.Admin.Email, apitest.DefaultPassword)
			testScheduleDiscoveryKind(t, rs, fake)
		})
	}
}

func testScheduleDiscoveryKind(t *testing.T, rs *remoteServer, fake *fakeScans) {
	ctx := context.Background()
	a := rs.Seed.A
	body := func(orgID, profileID string) map[string]any {
		return map[string]any{"orgId": orgID, "name": "scan " + domain.NewID()[24:], "timezone": "UTC", "cron": "0 * * * *",
			"task": map[string]any{"kind": "discovery", "payload": map[string]any{"profileId": profileID}}}
	}
	// Another org than the profile's, an unknown profile: 404; none: 400.
	if code, b := rs.Do(t, http.MethodPost, schedPath, rs.admin, body(a.Orgs[1].ID, fake.profileID)); code != http.StatusNotFound {
		t.Fatalf("a schedule in another org than the profile's: %d %v, want 404", code, b)
	}
	if code, b := rs.Do(t, http.MethodPost, schedPath, rs.admin, body(a.Orgs[0].ID, domain.NewID())); code != http.StatusNotFound {
		t.Fatalf("an unknown profile: %d %v, want 404", code, b)
	}
	if code, b := rs.Do(t, http.MethodPost, schedPath, rs.admin, body(a.Orgs[0].ID, "")); code != http.StatusBadRequest {
		t.Fatalf("no profile: %d %v, want 400", code, b)
	}
	code, sc := rs.Do(t, http.MethodPost, schedPath, rs.admin, body(a.Orgs[0].ID, fake.profileID))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, sc)
	}
	target := sc["target"].(map[string]any)
	if target["kind"] != "site" || target["ids"].([]any)[0] != fake.siteID {
		t.Fatalf("the target is not the profile's site: %v", target)
	}
	id := sc["id"].(string)

	// The fire starts the scan with the claim's id and links it.
	dueNow(t, rs, id, 200*time.Millisecond)
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fires := waitFires(t, rs, id, 1)
	fake.mu.Lock()
	started := append([]string(nil), fake.started...)
	fake.mu.Unlock()
	scanID, _ := fires[0]["scanId"].(string)
	if fires[0]["status"] != "fired" || scanID == "" || len(started) != 1 || started[0] != fake.profileID+"/"+scanID {
		t.Fatalf("fire %v, scans started %v", fires[0], started)
	}
	// A refused scan: a failed fire saying why, no scan linked.
	fake.mu.Lock()
	fake.fail = domain.Invalidf("the profile names no scanning agent")
	fake.mu.Unlock()
	dueNow(t, rs, id, 200*time.Millisecond)
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fires = waitFires(t, rs, id, 2)
	if fires[0]["status"] != "failed" || fires[0]["scanId"] != nil ||
		!strings.Contains(fires[0]["error"].(string), "no scanning agent") {
		t.Fatalf("a refused scan's fire: %v", fires[0])
	}
}
