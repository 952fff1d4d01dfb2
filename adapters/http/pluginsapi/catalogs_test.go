package pluginsapi_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/http/pluginsapi"
	"github.com/breeze-rmm/breeze/adapters/plugincatalog"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	catalogs "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// TestCatalogRoutes: the API over a catalog served from a local HTTPS
// server: subscribe, browse, refused install naming the key, trust by key
// id (audited with the fingerprint), install; a Partner Admin is refused.
func TestCatalogRoutes(t *testing.T) {
	ts := apitest.NewServer(t)
	catPub, catKey, _ := pack.GenerateKey()
	dir := t.TempDir()
	srv := httptest.NewTLSServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	src := t.TempDir()
	m := `{"id":"acme.disk","name":"Disk","version":"1.0.0","kind":"collector","description":"disk things","apiVersions":[1],
		"executables":{"linux-amd64":{"path":"bin/x"}}}`
	_ = os.WriteFile(filepath.Join(src, "plugin.json"), []byte(m), 0o644)
	_ = os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "bin", "x"), []byte("#!/bin/sh\n"), 0o755)
	if _, err := pack.PackFile(src, catKey, filepath.Join(dir, "acme.disk-1.0.0.tar.gz")); err != nil {
		t.Fatal(err)
	}
	index, sig, err := catalog.Build(dir, catalog.BuildOptions{Key: catKey, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "index.json.sig"), sig, 0o644)

	dataDir := t.TempDir()
	box, _ := secretbox.Open("", dataDir)
	pk := &pluginserver.Packages{DBKeys: ts.Store.PluginKeys()}
	psvc, err := plugins.New(plugins.Deps{Store: ts.Store, Packages: pk, Sealer: box, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	source := plugincatalog.New(plugincatalog.Options{Egress: egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	csvc, err := catalogs.New(catalogs.Deps{Store: ts.Store, Source: source, Installer: psvc, Trust: pk})
	if err != nil {
		t.Fatal(err)
	}
	pluginsapi.Register(ts.Server, pluginsapi.Deps{Plugins: psvc, Catalogs: csvc})
	if err := ts.VerifyRoutes(); err != nil {
		t.Fatal(err)
	}
	if rec := ts.Request(t, "GET", "/api/v1/openapi.json", "", nil, nil); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), "/plugin-catalog/install") || !strings.Contains(rec.Body.String(), "publisherFingerprint") {
		t.Fatalf("openapi.json: %d, catalog routes or types missing", rec.Code)
	}
	tok := ts.Login(t, ts.Seed.Platform.Email, ts.Seed.Platform.Password)
	admin := ts.Login(t, ts.Seed.A.Admin.Email, ts.Seed.A.Admin.Password)
	keyPEM, _ := pack.EncodePublicKey(catPub)

	code, body := ts.Do(t, "POST", "/api/v1/plugin-catalogs", admin, map[string]any{"name": "acme", "url": srv.URL + "/index.json", "publicKey": string(keyPEM)})
	mustStatus(t, "partner admin subscribes", code, 403, body)
	code, body = ts.Do(t, "POST", "/api/v1/plugin-catalogs", tok, map[string]any{"name": "acme", "url": "http://x.example/index.json", "publicKey": string(keyPEM)})
	mustStatus(t, "http catalog", code, 400, body)
	code, body = ts.Do(t, "POST", "/api/v1/plugin-catalogs", tok, map[string]any{"name": "acme", "url": srv.URL + "/index.json", "publicKey": string(keyPEM)})
	mustStatus(t, "subscribe", code, 201, body)
	if body["plugins"] != float64(1) || body["syncError"] != "" || body["fingerprint"] != catalog.Fingerprint(catPub) {
		t.Fatalf("subscribed %v", body)
	}
	catID, _ := body["id"].(string)
	code, body = ts.Do(t, "GET", "/api/v1/plugin-catalog/plugins?q=disk", tok, nil)
	mustStatus(t, "search", code, 200, body)
	items, _ := body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("search %v", body)
	}
	it := items[0].(map[string]any)
	if it["id"] != "acme.disk" || it["publisherTrusted"] != false || it["latest"] != "1.0.0" || it["installed"] != "" {
		t.Fatalf("browse item %v", it)
	}
	code, body = ts.Do(t, "POST", "/api/v1/plugin-catalog/install", tok, map[string]any{"id": "acme.disk"})
	mustStatus(t, "install, untrusted", code, 400, body)
	if !strings.Contains(fmt.Sprint(body), pack.KeyID(catPub)) {
		t.Fatalf("the refusal does not name the key: %v", body)
	}
	code, body = ts.Do(t, "POST", "/api/v1/plugin-keys", admin, map[string]any{"keyId": pack.KeyID(catPub)})
	mustStatus(t, "partner admin trusts", code, 403, body)
	code, body = ts.Do(t, "POST", "/api/v1/plugin-keys", tok, map[string]any{"keyId": pack.KeyID(catPub), "name": "Acme"})
	mustStatus(t, "trust", code, 201, body)
	if body["fingerprint"] != catalog.Fingerprint(catPub) {
		t.Fatalf("trusted %v", body)
	}
	var trustAudit string
	for _, r := range ts.AuditRows(t) {
		if r.Action == "plugins.keys.trust" && r.Outcome == "success" {
			trustAudit = r.Details + " " + r.ResourceID
		}
	}
	if !strings.Contains(trustAudit, catalog.Fingerprint(catPub)) || !strings.Contains(trustAudit, pack.KeyID(catPub)) {
		t.Fatalf("trust audit row %q", trustAudit)
	}
	code, body = ts.Do(t, "POST", "/api/v1/plugin-catalog/install", tok, map[string]any{"id": "acme.disk"})
	mustStatus(t, "install", code, 201, body)
	code, body = ts.Do(t, "POST", "/api/v1/plugin-catalog/install", tok, map[string]any{"id": "acme.disk", "upgrade": true})
	mustStatus(t, "upgrade when up to date", code, 409, body)
	code, body = ts.Do(t, "GET", "/api/v1/plugin-catalogs", tok, nil)
	mustStatus(t, "list", code, 200, body)
	code, body = ts.Do(t, "POST", "/api/v1/plugin-catalogs/"+catID+"/sync", tok, nil)
	mustStatus(t, "sync", code, 200, body)
	code, body = ts.Do(t, "DELETE", "/api/v1/plugin-keys/"+pack.KeyID(catPub), tok, nil)
	mustStatus(t, "untrust", code, 204, body)
	code, body = ts.Do(t, "DELETE", "/api/v1/plugin-catalogs/"+catID, tok, nil)
	mustStatus(t, "unsubscribe", code, 204, body)
	code, body = ts.Do(t, "DELETE", "/api/v1/plugin-catalogs/"+catID, tok, nil)
	mustStatus(t, "unsubscribe again", code, 404, body)
}
