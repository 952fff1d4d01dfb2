package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The discovery routes in the spirit of TestIsolationMatrix: every route of
// /api/v1/discovery (and the org's discovery settings) that names an object,
// called by each caller that cannot reach that object (another partner, another
// org of the same partner, another site of the same org), answers 404 exactly
// as it does for an id that does not exist, and changes nothing. The routes
// are read from the router, so a route added later is covered without an edit
// here; an in-scope technician reading the same objects proves the ids are
// real.
func TestDiscoveryIsolation(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { testDiscoveryIsolation(t, newScansServer(t, pg)) })
	}
}

// newScansServer is a remote server whose scan routes are mounted: the scans
// plan and merge through a discovery service of their own over the store.
func newScansServer(t *testing.T, pg bool) *remoteServer {
	t.Helper()
	ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg,
		DiscoveryScans: func(st ports.Store, p *apitest.RemoteParts) *scans.Service {
			disc, err := discovery.New(discovery.Deps{Store: st, Sealer: p.Sealer, Logger: hclog.NewNullLogger()})
			if err != nil {
				t.Fatal(err)
			}
			svc, err := scans.New(scans.Deps{Store: st, Queue: p.Queue, Commands: p.Commands, Plans: disc, Assets: disc,
				Sealer: p.Sealer, Logger: hclog.NewNullLogger()})
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}})
	rs := &remoteServer{TestServer: ts}
	rs.admin = ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	rs.deviceID, rs.token = ts.NewDevice(t, ts.Seed.A, 0, "host-a")
	return rs
}

func testDiscoveryIsolation(t *testing.T, rs *remoteServer) {
	ctx := context.Background()
	all := domain.GlobalScope()
	a, b := rs.Seed.A, rs.Seed.B
	org, site := a.Orgs[0].ID, a.Sites[0].ID

	// A second site in A's org 0, and who holds what.
	other := &domain.Site{OrgID: org, Name: "iso other site"}
	if err := rs.Store.Sites().Create(ctx, all, other); err != nil {
		t.Fatal(err)
	}
	login := func(role string, unit domain.Unit) string {
		u := rs.NewUser(t, role, unit, "")
		return rs.Login(t, u.Email, u.Password)
	}
	outsiders := map[string]string{
		"partner B admin":               rs.Login(t, b.Admin.Email, b.Admin.Password),
		"org A1 admin (same partner)":   login(domain.RoleOrgAdmin, a.OrgUnit(1)),
		"technician of another site":    login(domain.RoleOrgTechnician, domain.Unit{PartnerID: a.Partner.ID, OrgID: org, SiteID: other.ID}),
		"partner B technician":          login(domain.RolePartnerTechnician, b.PartnerUnit()),
		"viewer of another org of A":    login(domain.RoleOrgViewer, a.OrgUnit(1)),
		"admin of another org, site 1:": login(domain.RoleOrgAdmin, a.SiteUnit(1)),
	}
	insider := login(domain.RoleOrgTechnician, a.SiteUnit(0))

	// A's objects in site 0: a profile, an asset its scan found, the scan.
	code, prof := rs.Do(t, http.MethodPost, profilesPath, rs.admin, map[string]any{"siteId": site, "name": "iso",
		"targets": []string{"10.9.0.0/24"}, "methods": []string{"icmp", "snmp"}, "scannerDeviceIds": []string{rs.deviceID},
		"snmp": map[string]any{"version": "2c", "community": "secret"}})
	if code != http.StatusCreated {
		t.Fatalf("create profile: %d %v", code, prof)
	}
	profileID := prof["id"].(string)
	job := &domain.ScanJob{SiteID: site, ProfileID: profileID, Status: domain.ScanRunning, Phase: domain.PhaseSweep,
		Addresses: 256, RequestedBy: "iso", Deadline: rs.Clock.Now().UTC().Add(time.Hour), Plan: []byte(`{"targets":["10.9.0.0/24"]}`)}
	if err := rs.Store.DiscoveryScans().Create(ctx, domain.Scope{SiteIDs: []string{site}}, job); err != nil {
		t.Fatal(err)
	}
	ref := domain.ScanRef{JobID: job.ID, PartnerID: a.Partner.ID, OrgID: org, SiteID: site, ProfileID: profileID, At: rs.Clock.Now()}
	if err := rs.Discovery.Merge(ctx, ref, []domain.AssetObservation{{IP: "10.9.0.7", MAC: "00:1b:63:01:02:07", Alive: true}}); err != nil {
		t.Fatal(err)
	}
	assets, err := rs.Store.DiscoveryAssets().List(ctx, all, ports.AssetFilter{SiteID: site}, domain.PageRequest{})
	if err != nil || len(assets.Items) != 1 {
		t.Fatalf("the asset: %v %v", assets, err)
	}
	assetID := assets.Items[0].ID

	// The object each route's :id names, by the path's first segments.
	idFor := func(path string) (string, bool) {
		switch {
		case strings.HasPrefix(path, "/api/v1/discovery/profiles/:id"):
			return profileID, true
		case strings.HasPrefix(path, "/api/v1/discovery/assets/:id"):
			return assetID, true
		case strings.HasPrefix(path, "/api/v1/discovery/scans/:id"):
			return job.ID, true
		case path == "/api/v1/orgs/:id/discovery-settings":
			return org, true
		}
		return "", false
	}
	// What a route could change: the objects, the org's enrollment keys
	// (deploy mints one), its devices (track makes one) and its jobs.
	snapshot := func() map[string]any {
		s := map[string]any{}
		p, err := rs.Store.DiscoveryProfiles().Get(ctx, all, profileID)
		s["profile"], s["profileErr"] = p, err
		as, err := rs.Store.DiscoveryAssets().Get(ctx, all, assetID)
		s["asset"], s["assetErr"] = as, err
		j, err := rs.Store.DiscoveryScans().GetSystem(ctx, job.ID)
		s["scan"], s["scanErr"] = j, err
		set, err := rs.Store.DiscoverySettings().Get(ctx, all, org)
		s["settings"], s["settingsErr"] = set, err
		keys, err := rs.Store.EnrollmentKeys().List(ctx, all, domain.PageRequest{Limit: domain.MaxPageSize})
		s["keys"], s["keysErr"] = len(keys.Items), err
		devs, err := rs.Store.Devices().List(ctx, all, ports.DeviceFilter{}, domain.PageRequest{Limit: domain.MaxPageSize})
		s["devices"], s["devicesErr"] = len(devs.Items), err
		jobs, err := rs.Store.DiscoveryScans().List(ctx, all, ports.ScanFilter{}, domain.PageRequest{Limit: domain.MaxPageSize})
		s["jobs"], s["jobsErr"] = len(jobs.Items), err
		return s
	}
	// A body each writing route accepts far enough to reach its scope check.
	bodyFor := func(method, path string) map[string]any {
		switch {
		case method == http.MethodPut && path == "/api/v1/discovery/profiles/:id":
			return map[string]any{"name": "pwned", "version": 1}
		case method == http.MethodPut && path == "/api/v1/orgs/:id/discovery-settings":
			return map[string]any{"allowedRanges": []string{}, "version": 0}
		case method == http.MethodPut && strings.HasSuffix(path, "/watchers"):
			return map[string]any{"watcherDeviceIds": []string{rs.deviceID}}
		case method == http.MethodGet || method == http.MethodDelete:
			return nil
		}
		return map[string]any{}
	}

	before := snapshot()
	routes, reads := 0, 0
	for _, r := range rs.Routes() {
		id, ok := idFor(r.Path)
		if !ok {
			continue
		}
		routes++
		body := bodyFor(r.Method, r.Path)
		for who, tok := range outsiders {
			if who == "technician of another site" && strings.HasPrefix(r.Path, "/api/v1/orgs/") {
				continue // a site's holder is in the org: it reads the org's ranges, writing them needs orgs:write (403)
			}
			refCode, refBody := rs.Do(t, r.Method, strings.Replace(r.Path, ":id", domain.NewID(), 1), tok, body)
			code, got := rs.Do(t, r.Method, strings.Replace(r.Path, ":id", id, 1), tok, body)
			switch {
			case code != http.StatusNotFound && code != http.StatusForbidden:
				t.Errorf("%s: %s %s on A's object: %d %v, want 404 (or 403 without the permission)", who, r.Method, r.Path, code, got)
			case code != refCode || !reflect.DeepEqual(got, refBody):
				t.Errorf("%s: %s %s: A's object answers %d %v, an unknown id %d %v (an existence oracle)", who, r.Method, r.Path, code, got, refCode, refBody)
			}
		}
		if r.Method == http.MethodGet {
			reads++
			if code, got := rs.Do(t, r.Method, strings.Replace(r.Path, ":id", id, 1), insider, nil); code != http.StatusOK {
				t.Errorf("the site's technician: GET %s: %d %v, want 200 (the ids are real)", r.Path, code, got)
			}
		}
	}
	if routes < 10 || reads < 4 {
		t.Fatalf("only %d discovery routes with an id (%d reads): the route table was not read", routes, reads)
	}
	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("an outsider changed something:\nbefore %+v\nafter  %+v", before, after)
	}

	// Lists filtered to A's site or org show outsiders nothing.
	for _, list := range []string{profilesPath, assetsPath, "/api/v1/discovery/scans"} {
		for _, q := range []string{"?siteId=" + site, "?orgId=" + org, ""} {
			for who, tok := range outsiders {
				code, got := rs.Do(t, http.MethodGet, list+q, tok, nil)
				if code == http.StatusOK {
					if items, _ := got["items"].([]any); len(items) != 0 {
						t.Errorf("%s: GET %s%s lists %d of A's objects", who, list, q, len(items))
					}
				} else if code != http.StatusNotFound && code != http.StatusForbidden {
					t.Errorf("%s: GET %s%s: %d %v", who, list, q, code, got)
				}
			}
			if q != "" {
				if items := listItems(t, rs, list+q, insider); len(items) != 1 {
					t.Errorf("the site's technician: GET %s%s: %d items, want 1", list, q, len(items))
				}
			}
		}
	}
}
