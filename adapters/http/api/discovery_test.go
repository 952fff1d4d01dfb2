package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

const (
	profilesPath = "/api/v1/discovery/profiles"
	assetsPath   = "/api/v1/discovery/assets"
)

const hostileText = `<img src=x onerror=alert(1)>`

func TestDiscoveryAPI(t *testing.T) { bothProfiles(t, testDiscoveryAPI) }

func testDiscoveryAPI(t *testing.T, rs *remoteServer) {
	a, b := rs.Seed.A, rs.Seed.B
	site, org := a.Sites[0].ID, a.Orgs[0].ID
	scanner := rs.deviceID // a device of A's site 0
	tokB := rs.Login(t, b.Admin.Email, b.Admin.Password)
	devB, _ := rs.NewDevice(t, b, 0, "b-host")
	devOtherSite, _ := rs.NewDevice(t, a, 1, "a-site1")
	tech := rs.NewUser(t, domain.RoleOrgTechnician, a.OrgUnit(0), "")
	tokTech := rs.Login(t, tech.Email, tech.Password)
	viewer := rs.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
	tokViewer := rs.Login(t, viewer.Email, viewer.Password)

	base := map[string]any{"siteId": site, "name": "office", "targets": []string{"10.0.0.0/24"},
		"exclusions": []string{"10.0.0.1"}, "methods": []string{"icmp", "tcp", "snmp"}, "ports": []int{443, 22, 22},
		"scannerDeviceIds": []string{scanner}, "snmp": map[string]any{"version": "2c", "community": hostileText}}

	// Bad input: 400 with a clear message, nothing stored.
	for _, c := range []struct {
		change map[string]any
		want   string
	}{
		{map[string]any{"targets": []string{"0.0.0.0/0"}}, "0.0.0.0/0 covers 4294967296 addresses, over the limit of 65536 (a /16)"},
		{map[string]any{"targets": []string{"10.0.0.0/8"}}, "10.0.0.0/8 covers 16777216 addresses, over the limit of 65536 (a /16)"},
		{map[string]any{"targets": []string{"10.0.0.0/16", "10.1.0.0/16"}}, "131067 addresses, over the limit of 65536"},
		{map[string]any{"targets": []string{"127.0.0.0/24"}}, "loopback"},
		{map[string]any{"targets": []string{"169.254.0.0/24"}}, "link-local"},
		{map[string]any{"targets": []string{"239.1.1.1"}}, "multicast"},
		{map[string]any{"targets": []string{"255.255.255.255"}}, "broadcast"},
		{map[string]any{"targets": []string{hostileText}}, "is not an IP address"},
		{map[string]any{"targets": []string{}}, "at least one"},
		{map[string]any{"targets": []string{"fd00::/64"}}, "/112"},
		{map[string]any{"exclusions": []string{"10.0.0.0/24"}}, "leave no address"},
		{map[string]any{"ports": []int{0}}, "port 0"},
		{map[string]any{"ports": []int{65536}}, "port 65536"},
		{map[string]any{"ports": seq(1025)}, "at most 1024 ports"},
		{map[string]any{"methods": []string{"nmap"}}, "unknown method"},
		{map[string]any{"methods": []string{}}, "at least one"},
		{map[string]any{"ratePerSecond": 0}, "ratePerSecond"},
		{map[string]any{"concurrency": 5000}, "concurrency"},
		{map[string]any{"timeoutSeconds": 1}, "timeoutSeconds"},
		{map[string]any{"scannerDeviceIds": []string{}}, "scannerDeviceIds"},
		{map[string]any{"scannerDeviceIds": []string{devOtherSite}}, "not in the profile's site"},
		{map[string]any{"snmp": nil}, "snmp method needs snmp settings"},
		{map[string]any{"snmp": map[string]any{"version": "1", "community": "x"}}, "2c or 3"},
		{map[string]any{"snmp": map[string]any{"version": "2c"}}, "needs a community"},
		{map[string]any{"snmp": map[string]any{"version": "3"}}, "needs a user"},
		{map[string]any{"snmp": map[string]any{"version": "3", "user": "u", "authProto": "SHA", "authPass": "short"}}, "at least 8"},
		{map[string]any{"snmp": map[string]any{"version": "3", "user": "u", "authProto": "ROT13", "authPass": "longenough"}}, "authProto"},
		{map[string]any{"snmp": map[string]any{"version": "3", "user": "u", "privProto": "AES", "privPass": "longenough"}}, "needs authentication"},
		{map[string]any{"snmp": map[string]any{"version": "2c", "community": 5}}, "string"},
		{map[string]any{"snmp": map[string]any{"version": "2c", "community": "x", "port": 70000}}, "snmp.port"},
		{map[string]any{"snmp": "2c"}, "snmp must be an object"},
		{map[string]any{"name": ""}, "name"},
		{map[string]any{"siteId": "not-an-id"}, ""},
		{map[string]any{"version": 3}, "version is for PUT"},
	} {
		bad := clone(base)
		for k, v := range c.change {
			bad[k] = v
		}
		code, body := rs.Do(t, http.MethodPost, profilesPath, rs.admin, bad)
		if c.want == "" { // a malformed id is an id that does not exist
			if code != http.StatusNotFound {
				t.Errorf("%v: %d %v, want 404", c.change, code, body)
			}
			continue
		}
		if code != http.StatusBadRequest || !strings.Contains(apitest.ErrorMessage(body), c.want) {
			t.Errorf("%v: %d %q, want 400 with %q", c.change, code, apitest.ErrorMessage(body), c.want)
		}
	}

	// Another tenant's site or device: 404, nothing stored.
	for _, change := range []map[string]any{{"siteId": b.Sites[0].ID}, {"scannerDeviceIds": []string{devB}}, {"orgId": b.Orgs[0].ID}} {
		bad := clone(base)
		for k, v := range change {
			bad[k] = v
		}
		code, body := rs.Do(t, http.MethodPost, profilesPath, rs.admin, bad)
		wantCode := http.StatusNotFound
		if _, ok := change["orgId"]; ok {
			wantCode = http.StatusBadRequest // the site is A's; the org does not match it
		}
		if code != wantCode {
			t.Errorf("foreign %v: %d %v", change, code, body)
		}
	}
	if code, _ := rs.Do(t, http.MethodPost, profilesPath, tokB, base); code != http.StatusNotFound {
		t.Errorf("B creating in A's site: %d", code)
	}
	if code, _ := rs.Do(t, http.MethodPost, profilesPath, tokViewer, base); code != http.StatusForbidden {
		t.Errorf("a viewer creating: %d", code)
	}
	if pg := listItems(t, rs, profilesPath+"?orgId="+org, rs.admin); len(pg) != 0 {
		t.Fatalf("refused creates stored %d profiles", len(pg))
	}

	// A technician of site 0 only: site 1 (same org) does not exist for them.
	siteTech := rs.NewUser(t, domain.RoleOrgTechnician, a.SiteUnit(0), "")
	tokSite := rs.Login(t, siteTech.Email, siteTech.Password)
	other := clone(base)
	other["siteId"], other["scannerDeviceIds"] = a.Sites[1].ID, []string{devOtherSite}
	if code, body := rs.Do(t, http.MethodPost, profilesPath, tokSite, other); code != http.StatusNotFound {
		t.Fatalf("a site technician creating in another site: %d %v", code, body)
	}
	if code, body := rs.Do(t, http.MethodPut, "/api/v1/orgs/"+org+"/discovery-settings", tokSite,
		map[string]any{"allowedRanges": []string{}, "version": 0}); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Fatalf("a site technician setting the org's ranges: %d %v", code, body)
	}

	// A good profile; the SNMP community is write-only.
	rec := rs.Request(t, http.MethodPost, profilesPath, tokTech, base, nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "onerror") || strings.Contains(rec.Body.String(), "sealed:") {
		t.Fatalf("the community leaked: %s", rec.Body)
	}
	prof := apitest.DecodeJSON(t, rec)
	id := prof["id"].(string)
	snmp := prof["snmp"].(map[string]any)
	if fmt.Sprint(snmp["community"]) != "map[set:true]" || prof["addresses"] != float64(253) ||
		fmt.Sprint(prof["ports"]) != "[22 443]" || prof["orgId"] != org || prof["version"] != float64(1) {
		t.Fatalf("created %v", prof)
	}
	code, got := rs.Do(t, http.MethodGet, profilesPath+"/"+id, tokViewer, nil)
	if code != http.StatusOK || fmt.Sprint(got["snmp"].(map[string]any)["community"]) != "map[set:true]" {
		t.Fatalf("viewer get: %d %v", code, got)
	}
	if pg := listItems(t, rs, profilesPath+"?siteId="+site, tokViewer); len(pg) != 1 {
		t.Fatalf("list by site: %d", len(pg))
	}
	if code, body := rs.Do(t, http.MethodGet, profilesPath+"?siteId=x", rs.admin, nil); code != http.StatusBadRequest {
		t.Fatalf("list by a malformed site: %d %v", code, body)
	}
	// Another tenant: 404 for every verb.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if code, _ := rs.Do(t, m, profilesPath+"/"+id, tokB, map[string]any{"name": "x", "version": 1}); code != http.StatusNotFound {
			t.Errorf("B %s A's profile: %d", m, code)
		}
	}
	if pg := listItems(t, rs, profilesPath+"?orgId="+org, tokB); len(pg) != 0 {
		t.Errorf("B lists A's profiles: %d", len(pg))
	}

	// PUT with version; the GET shape ({"set": true}) keeps the secret.
	code, up := rs.Do(t, http.MethodPut, profilesPath+"/"+id, tokTech, map[string]any{"name": "office 2", "version": 1,
		"snmp": map[string]any{"version": "2c", "community": map[string]any{"set": true}}})
	if code != http.StatusOK || up["name"] != "office 2" || up["version"] != float64(2) ||
		fmt.Sprint(up["snmp"].(map[string]any)["community"]) != "map[set:true]" {
		t.Fatalf("put: %d %v", code, up)
	}
	plan, err := rs.Discovery.Plan(context.Background(), principalOf(a), id)
	if err != nil || plan.SNMP["community"] != hostileText {
		t.Fatalf("the community did not survive the PUT: %v %v", plan, err)
	}
	if code, _ := rs.Do(t, http.MethodPut, profilesPath+"/"+id, tokTech, map[string]any{"name": "stale", "version": 1}); code != http.StatusConflict {
		t.Fatalf("stale put: %d", code)
	}
	if code, body := rs.Do(t, http.MethodPut, profilesPath+"/"+id, tokTech, map[string]any{"name": "no version"}); code != http.StatusBadRequest {
		t.Fatalf("put without version: %d %v", code, body)
	}
	if code, body := rs.Do(t, http.MethodPut, profilesPath+"/"+id, tokTech, map[string]any{"targets": []string{"10.0.0.0/8"}, "version": 2}); code != http.StatusBadRequest ||
		!strings.Contains(apitest.ErrorMessage(body), "over the limit of 65536") {
		t.Fatalf("put over the limit: %d %v", code, body)
	}

	// Allowed ranges: an admin sets them (a technician may not), then a
	// target outside them is refused naming both.
	settings := "/api/v1/orgs/" + org + "/discovery-settings"
	if code, s := rs.Do(t, http.MethodGet, settings, tokViewer, nil); code != http.StatusOK || s["version"] != float64(0) {
		t.Fatalf("get settings: %d %v", code, s)
	}
	if code, _ := rs.Do(t, http.MethodPut, settings, tokTech, map[string]any{"allowedRanges": []string{"0.0.0.0/0"}, "version": 0}); code != http.StatusForbidden {
		t.Fatalf("a technician widening the ranges: %d", code)
	}
	if code, body := rs.Do(t, http.MethodPut, settings, rs.admin, map[string]any{"allowedRanges": []string{"10.0.0.0/300"}, "version": 0}); code != http.StatusBadRequest {
		t.Fatalf("bad range: %d %v", code, body)
	}
	if code, _ := rs.Do(t, http.MethodPut, settings, tokB, map[string]any{"allowedRanges": []string{}, "version": 0}); code != http.StatusNotFound {
		t.Fatalf("B setting A's ranges: %d", code)
	}
	if code, _ := rs.Do(t, http.MethodGet, settings, tokB, nil); code != http.StatusNotFound {
		t.Fatalf("B reading A's ranges: %d", code)
	}
	code, s := rs.Do(t, http.MethodPut, settings, rs.admin, map[string]any{"allowedRanges": []string{"10.0.0.0/16", "192.168.10.0/24"}, "version": 0})
	if code != http.StatusOK || s["version"] != float64(1) || len(s["allowedRanges"].([]any)) != 2 {
		t.Fatalf("put settings: %d %v", code, s)
	}
	outside := clone(base)
	outside["name"], outside["targets"] = "outside", []string{"10.0.5.0/24", "172.16.0.0/24"}
	code, body := rs.Do(t, http.MethodPost, profilesPath, tokTech, outside)
	if code != http.StatusBadRequest || !strings.Contains(apitest.ErrorMessage(body),
		"target 172.16.0.0/24 is outside the organization's allowed discovery ranges (10.0.0.0/16, 192.168.10.0/24)") {
		t.Fatalf("outside the allowed ranges: %d %v", code, body)
	}

	// Assets, as scans merge them (hostile text kept verbatim).
	ctx := context.Background()
	ref := domain.ScanRef{JobID: "job-1", PartnerID: a.Partner.ID, OrgID: org, SiteID: site, ProfileID: id, At: rs.Clock.Now()}
	if err := rs.Discovery.Merge(ctx, ref, []domain.AssetObservation{
		{IP: "10.0.0.9", MAC: "00:1b:63:01:02:03", Hostname: hostileText, Alive: true,
			Attributes: map[string]string{"snmp.sysDescr": `"><svg onload=alert(1)>`, "snmp.sysName": hostileText}},
		{IP: "10.0.0.10", Alive: true, OpenPorts: []int{22}, Method: domain.MethodTCP},
	}); err != nil {
		t.Fatal(err)
	}
	items := listItems(t, rs, assetsPath+"?orgId="+org+"&new=true", tokViewer)
	if len(items) != 2 {
		t.Fatalf("assets: %v", items)
	}
	asset := items[0]
	if asset["ip"] != "10.0.0.9" || fmt.Sprint(asset["hostnames"]) != "["+hostileText+"]" ||
		asset["snmp"].(map[string]any)["sysDescr"] != `"><svg onload=alert(1)>` || asset["state"] != "candidate" ||
		asset["new"] != true || asset["vendor"] != "Apple, Inc." || fmt.Sprint(asset["seenByJobs"]) != "[job-1]" {
		t.Fatalf("asset %v", asset)
	}
	aid := asset["id"].(string)
	raw := rs.Request(t, http.MethodGet, assetsPath+"/"+aid, tokViewer, nil, nil)
	if raw.Code != http.StatusOK || strings.Contains(raw.Body.String(), "<img") || !json.Valid(raw.Body.Bytes()) {
		t.Fatalf("hostile text is not escaped JSON: %s", raw.Body)
	}
	for _, q := range []string{"?state=owned", "?new=maybe", "?siteId=x", "?profileId=1", "?colour=red"} {
		if code, _ := rs.Do(t, http.MethodGet, assetsPath+q, tokViewer, nil); code != http.StatusBadRequest {
			t.Errorf("assets%s: %d", q, code)
		}
	}
	for q, n := range map[string]int{"?q=onerror": 1, "?q=10.0.0.1": 1, "?state=managed": 0, "?profileId=" + id: 2,
		"?siteId=" + a.Sites[1].ID: 0} {
		if got := listItems(t, rs, assetsPath+q, tokViewer); len(got) != n {
			t.Errorf("assets%s: %d, want %d", q, len(got), n)
		}
	}
	if got := listItems(t, rs, assetsPath, tokB); len(got) != 0 {
		t.Errorf("B lists A's assets: %d", len(got))
	}

	// Actions; another tenant and a viewer cannot act.
	for _, act := range []string{"ignore", "unignore", "track", "deploy"} {
		if code, _ := rs.Do(t, http.MethodPost, assetsPath+"/"+aid+"/"+act, tokB, nil); code != http.StatusNotFound {
			t.Errorf("B %s: %d", act, code)
		}
		if code, _ := rs.Do(t, http.MethodPost, assetsPath+"/"+aid+"/"+act, tokViewer, nil); code != http.StatusForbidden {
			t.Errorf("viewer %s: %d", act, code)
		}
	}
	for _, p := range []string{assetsPath + "/" + aid, assetsPath + "/" + aid + "/events"} {
		if code, _ := rs.Do(t, http.MethodGet, p, tokB, nil); code != http.StatusNotFound {
			t.Errorf("B GET %s: %d", p, code)
		}
	}
	for _, step := range []struct{ act, state string }{{"ignore", "ignored"}, {"ignore", "ignored"}, {"unignore", "candidate"}, {"track", "tracked"}} {
		code, got := rs.Do(t, http.MethodPost, assetsPath+"/"+aid+"/"+step.act, tokTech, nil)
		if code != http.StatusOK || got["state"] != step.state {
			t.Fatalf("%s: %d %v", step.act, code, got)
		}
	}
	if code, _ := rs.Do(t, http.MethodGet, assetsPath+"?state=tracked&orgId="+org, tokViewer, nil); code != http.StatusOK {
		t.Fatalf("list tracked: %d", code)
	}
	// Tracking made a network device in the asset's site, linked from it.
	_, tracked := rs.Do(t, http.MethodGet, assetsPath+"/"+aid, tokViewer, nil)
	netDev, _ := tracked["deviceId"].(string)
	code, nd := rs.Do(t, http.MethodGet, "/api/v1/devices/"+netDev, rs.admin, nil)
	if netDev == "" || code != http.StatusOK || nd["kind"] != "network" || nd["siteId"] != site || nd["os"] != "network" ||
		nd["hostname"] != hostileText {
		t.Fatalf("network device %q: %d %v", netDev, code, nd)
	}
	if got := listItems(t, rs, "/api/v1/devices?kind=network", rs.admin); len(got) != 1 || got[0]["id"] != netDev {
		t.Fatalf("devices?kind=network: %v", got)
	}
	if got := listItems(t, rs, "/api/v1/devices?kind=agent", rs.admin); len(got) == 0 || got[0]["kind"] != "agent" {
		t.Fatalf("devices?kind=agent: %v", got)
	}
	if code, _ := rs.Do(t, http.MethodGet, "/api/v1/devices?kind=robot", rs.admin, nil); code != http.StatusBadRequest {
		t.Fatalf("kind=robot: %d", code)
	}
	// No remote work on it: a clear 400.
	for _, action := range []string{"list_processes", "collect_inventory"} {
		rec := rs.Request(t, http.MethodPost, "/api/v1/devices/"+netDev+"/commands", rs.admin, map[string]any{"action": action}, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "is a network device: it has no agent") {
			t.Fatalf("command %s on a network device: %d %s", action, rec.Code, rec.Body)
		}
	}
	rec = rs.Request(t, http.MethodPost, assetsPath+"/"+aid+"/deploy", tokTech, nil, nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("deploy: %d %s", rec.Code, rec.Body)
	}
	dep := apitest.DecodeJSON(t, rec)
	key, _ := dep["enrollmentKey"].(string)
	exp, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(dep["expiresAt"]))
	cmd, _ := dep["installCommand"].(string)
	if !strings.HasPrefix(key, "bek_") || !strings.Contains(cmd, "BREEZE_ENROLLMENT_KEY='"+key+"'") ||
		!strings.Contains(cmd, "https://breeze.example.test/downloads/breeze-agent-linux-") ||
		exp.Sub(rs.Clock.Now()) != 24*time.Hour {
		t.Fatalf("deployment %v", dep)
	}
	k, err := rs.Store.EnrollmentKeys().Get(ctx, domain.GlobalScope(), dep["keyId"].(string))
	if err != nil || k.MaxUses != 1 || k.SiteID != site {
		t.Fatalf("deploy key %+v %v", k, err)
	}
	// The key enrolls one device into the asset's site, once.
	if out := rs.Enroll(t, key, "deployed"); out.DeviceID == "" {
		t.Fatal("the deploy key did not enroll")
	}
	evs := listItems(t, rs, assetsPath+"/"+aid+"/events", tokViewer)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e["kind"].(string))
	}
	if strings.Join(kinds, ",") != "deploy,tracked,unignored,ignored,new" {
		t.Fatalf("events newest first: %v", kinds)
	}
	// Untrack deletes the network device; the asset is a candidate again.
	if code, _ := rs.Do(t, http.MethodPost, assetsPath+"/"+aid+"/untrack", tokB, nil); code != http.StatusNotFound {
		t.Fatalf("B untrack: %d", code)
	}
	code, got = rs.Do(t, http.MethodPost, assetsPath+"/"+aid+"/untrack", tokTech, nil)
	if code != http.StatusOK || got["state"] != "candidate" || got["deviceId"] != nil {
		t.Fatalf("untrack: %d %v", code, got)
	}
	if code, _ := rs.Do(t, http.MethodGet, "/api/v1/devices/"+netDev, rs.admin, nil); code != http.StatusNotFound {
		t.Fatalf("untracked network device still there: %d", code)
	}
	// Unknown and malformed asset ids.
	for _, bad := range []string{domain.NewID(), "x", "../profiles"} {
		if code, _ := rs.Do(t, http.MethodPost, assetsPath+"/"+bad+"/ignore", tokTech, nil); code != http.StatusNotFound {
			t.Errorf("ignore %q: %d", bad, code)
		}
	}

	if code, _ := rs.Do(t, http.MethodDelete, profilesPath+"/"+id, tokTech, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := rs.Do(t, http.MethodGet, profilesPath+"/"+id, tokTech, nil); code != http.StatusNotFound {
		t.Fatalf("get deleted: %d", code)
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func principalOf(tn apitest.Tenant) *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: tn.Admin.ID, PartnerID: tn.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: tn.Partner.ID}, Permissions: domain.AllPermissions()}}}
}

// listItems GETs a list and returns its items.
func listItems(t *testing.T, rs *remoteServer, path, token string) []map[string]any {
	t.Helper()
	rec := rs.Request(t, http.MethodGet, path, token, nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var pg struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &pg); err != nil {
		t.Fatal(err)
	}
	return pg.Items
}
