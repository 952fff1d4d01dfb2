package scans_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/domain"
)

// The scan routes are guarded (401 without a credential, the discovery
// permissions), named, and in the API document; a viewer reads scans but
// may not start one.
func TestScanRoutes(t *testing.T) {
	e := newEnv(t, false)
	if err := e.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	want := map[string]domain.Permission{
		"POST /api/v1/discovery/profiles/:id/scans": domain.PermDiscoveryManage,
		"GET /api/v1/discovery/scans":               domain.PermDiscoveryRead,
		"GET /api/v1/discovery/scans/:id":           domain.PermDiscoveryRead,
		"POST /api/v1/discovery/scans/:id/cancel":   domain.PermDiscoveryManage,
	}
	for _, r := range e.Routes() {
		key := r.Method + " " + r.Path
		perm, ok := want[key]
		if !ok {
			continue
		}
		delete(want, key)
		if r.Rule.Permission != perm || r.Name == "" {
			t.Errorf("%s: rule %s, name %q", key, r.Rule, r.Name)
		}
		rec := e.Request(t, r.Method, strings.ReplaceAll(r.Path, ":id", domain.NewID()), "", nil, nil)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without a credential: %d", key, rec.Code)
		}
	}
	if len(want) != 0 {
		t.Fatalf("routes missing: %v", want)
	}
	rec := e.Request(t, http.MethodGet, api.Prefix+"/openapi.json", "", nil, nil)
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Paths["/api/v1/discovery/scans/{id}/cancel"] == nil {
		t.Fatalf("openapi lacks the scan routes (%v)", err)
	}
	tn := e.Seed.A
	viewer := e.NewUser(t, domain.RoleOrgViewer, tn.OrgUnit(0), tn.Partner.ID)
	tok := e.Login(t, viewer.Email, viewer.Password)
	if code, body := e.Do(t, http.MethodGet, api.Prefix+"/discovery/scans", tok, nil); code != http.StatusOK {
		t.Fatalf("viewer list: %d %v", code, body)
	}
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.9.0.0/24"},
		Methods: []domain.DiscoveryMethod{domain.MethodICMP}, ScannerDeviceIDs: []string{domain.NewID()}})
	if code, body := e.Do(t, http.MethodPost, api.Prefix+"/discovery/profiles/"+prof+"/scans", tok, nil); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Fatalf("viewer start: %d %v", code, body)
	}
	if code, _ := e.Do(t, http.MethodGet, api.Prefix+"/discovery/scans/not-an-id", tok, nil); code != http.StatusNotFound {
		t.Fatalf("malformed id: %d", code)
	}
}
