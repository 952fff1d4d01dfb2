package plugincatalog_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	core "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

var global = domain.GlobalScope()

func pubPEM(t testing.TB, pub ed25519.PublicKey) string {
	b, err := pack.EncodePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantRefusal(t *testing.T, what string, err error, reason string, text ...string) {
	t.Helper()
	var r *plugins.Refusal
	if !errors.As(err, &r) || r.Reason != reason {
		t.Fatalf("%s: got %v, want a %s refusal", what, err, reason)
	}
	for _, s := range text {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("%s: %q does not mention %q", what, err, s)
		}
	}
}

// TestSubscribeSyncSearchInstallUpgrade walks an MSP's path: subscribe to
// a catalog served over HTTPS, find a plugin, be refused until the
// publisher's key is trusted, install, see an update, upgrade.
func TestSubscribeSyncSearchInstallUpgrade(t *testing.T) {
	stores(t, subscribeSyncSearchInstallUpgrade)
}

func subscribeSyncSearchInstallUpgrade(t *testing.T, pg bool) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	pubPub, pubKey, _ := pack.GenerateKey() // a publisher other than the catalog
	cs := newCatalogServer(t)
	packPlugin(t, cs.Dir, "acme.disk", "1.0.0", pubKey)
	packPlugin(t, cs.Dir, "acme.net", "0.3.0", catKey)
	cs.publish(t, catKey, pubPub)
	e := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server), postgres: pg})

	c, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "Acme", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "user:1")
	if err != nil {
		t.Fatal(err)
	}
	if c.SyncError != "" || c.Plugins != 2 || c.SyncedAt.IsZero() || c.KeyID != pack.KeyID(catPub) || c.IndexName != "test catalog" {
		t.Fatalf("subscribed %+v", c)
	}
	if _, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "acme", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "u"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same name again: %v", err)
	}
	if _, err := e.Svc.Catalogs(ctx, domain.Scope{PartnerIDs: []string{domain.NewID()}}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a partner scope listed catalogs: %v", err)
	}

	res, err := e.Svc.Search(ctx, global, "DISK")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].ID != "acme.disk" || res[0].Latest.Version != "1.0.0" || res[0].Installed != "" || res[0].PublisherTrusted ||
		res[0].PublisherKeyID != pack.KeyID(pubPub) || res[0].PublisherFingerprint != catalog.Fingerprint(pubPub) {
		t.Fatalf("search: %+v", res)
	}

	// Untrusted publisher: refused before any download, naming the key.
	_, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk"}, "user:1")
	wantRefusal(t, "untrusted publisher", err, plugins.ReasonUntrustedKey, pack.KeyID(pubPub), catalog.Fingerprint(pubPub))

	// Trust it by key id: the catalog supplies the key bytes.
	k, err := e.Svc.TrustKey(ctx, global, core.TrustRequest{KeyID: pack.KeyID(pubPub), Name: "Acme Inc"}, "user:1")
	if err != nil {
		t.Fatal(err)
	}
	if k.Fingerprint != catalog.Fingerprint(pubPub) {
		t.Fatalf("trusted %+v", k)
	}
	p, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk"}, "user:1")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "acme.disk" || p.Version != "1.0.0" || p.SignedBy != pack.KeyID(pubPub) {
		t.Fatalf("installed %+v", p)
	}
	if _, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk", Upgrade: true}, "u"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("upgrade with nothing newer: %v", err)
	}

	// A new version is published: sync on demand shows the update.
	packPlugin(t, cs.Dir, "acme.disk", "1.1.0", pubKey)
	cs.publish(t, catKey, pubPub)
	if c, err = e.Svc.Sync(ctx, global, c.ID); err != nil || c.SyncError != "" {
		t.Fatalf("sync: %+v %v", c, err)
	}
	res, _ = e.Svc.Search(ctx, global, "acme.disk")
	if len(res) != 1 || res[0].Installed != "1.0.0" || !res[0].UpdateAvailable || res[0].Latest.Version != "1.1.0" || !res[0].PublisherTrusted {
		t.Fatalf("after the new version: %+v", res[0])
	}
	ups, err := e.Svc.Updates(ctx, global)
	if err != nil || len(ups) != 1 || ups[0].To != "1.1.0" || ups[0].From != "1.0.0" {
		t.Fatalf("updates %+v %v", ups, err)
	}
	if p, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk", Upgrade: true}, "u"); err != nil || p.Version != "1.1.0" {
		t.Fatalf("upgrade: %+v %v", p, err)
	}
	// A downgrade from the catalog goes through the ordinary refusal.
	_, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk", Version: "1.0.0"}, "u")
	wantRefusal(t, "downgrade", err, plugins.ReasonDowngrade)
	if p, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk", Version: "1.0.0", AllowDowngrade: true}, "u"); err != nil || p.Version != "1.0.0" {
		t.Fatalf("allowed downgrade: %+v %v", p, err)
	}
	if _, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.nope"}, "u"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown plugin: %v", err)
	}

	// Untrusting: the next install of that publisher is refused again.
	if err := e.Svc.UntrustKey(ctx, global, pack.KeyID(pubPub)); err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.disk", Upgrade: true}, "u")
	wantRefusal(t, "after untrust", err, plugins.ReasonUntrustedKey, pack.KeyID(pubPub))

	// Unsubscribing leaves installed plugins alone.
	if err := e.Svc.Unsubscribe(ctx, global, c.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.Svc.Search(ctx, global, ""); len(res) != 0 {
		t.Fatalf("search after unsubscribe: %+v", res)
	}
	if ps, _ := e.Plugins.List(ctx); len(ps) != 1 {
		t.Fatalf("installed after unsubscribe: %+v", ps)
	}
}

// TestBadCatalogsAndArchives: every way a catalog or an archive can be
// wrong is refused, and a failed sync keeps the last good index.
func TestBadCatalogsAndArchives(t *testing.T) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	_, otherKey, _ := pack.GenerateKey()
	cs := newCatalogServer(t)
	a := packPlugin(t, cs.Dir, "acme.one", "1.0.0", catKey)
	cs.publish(t, catKey)
	e := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server)})
	if _, err := e.Svc.TrustKey(ctx, global, core.TrustRequest{PublicKey: pubPEM(t, catPub)}, "u"); err != nil {
		t.Fatal(err)
	}
	c, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "c", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "u")
	if err != nil || c.SyncError != "" {
		t.Fatalf("subscribe: %+v %v", c, err)
	}
	good := c.SyncedAt
	index, _ := os.ReadFile(filepath.Join(cs.Dir, catalog.IndexFile))

	syncErr := func(t *testing.T) string {
		t.Helper()
		c, err := e.Svc.Sync(ctx, global, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.SyncedAt.Equal(good) || c.Plugins != 1 {
			t.Fatalf("a failed sync lost the last good index: %+v", c)
		}
		return c.SyncError
	}
	t.Run("tampered index", func(t *testing.T) {
		cs.set("/index.json", bytes.Replace(index, []byte("collects"), []byte("steals"), 1))
		defer cs.set("/index.json", nil)
		if got := syncErr(t); !strings.Contains(got, catalog.ErrBadSignature.Error()) {
			t.Fatalf("sync error %q", got)
		}
	})
	t.Run("signed by another key", func(t *testing.T) {
		sig, _ := pack.Sign(index, otherKey)
		cs.set("/index.json.sig", sig)
		defer cs.set("/index.json.sig", nil)
		if got := syncErr(t); !strings.Contains(got, "signed by another key") {
			t.Fatalf("sync error %q", got)
		}
	})
	t.Run("oversized index", func(t *testing.T) {
		cs.set("/index.json", bytes.Repeat([]byte(" "), catalog.MaxIndexSize+1))
		defer cs.set("/index.json", nil)
		if got := syncErr(t); !strings.Contains(got, "larger than allowed") {
			t.Fatalf("sync error %q", got)
		}
	})
	t.Run("catalog gone", func(t *testing.T) {
		cs.set("/index.json.sig", nil)
		if err := os.Rename(filepath.Join(cs.Dir, catalog.SignatureFile), filepath.Join(cs.Dir, "gone")); err != nil {
			t.Fatal(err)
		}
		defer os.Rename(filepath.Join(cs.Dir, "gone"), filepath.Join(cs.Dir, catalog.SignatureFile))
		if got := syncErr(t); !strings.Contains(got, "404") {
			t.Fatalf("sync error %q", got)
		}
	})

	archive, _ := os.ReadFile(a)
	path := "/" + filepath.Base(a)
	t.Run("archive hash mismatch", func(t *testing.T) {
		bad := append([]byte(nil), archive...)
		bad[len(bad)/2] ^= 0xff
		cs.set(path, bad)
		defer cs.set(path, nil)
		_, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.one"}, "u")
		wantRefusal(t, "tampered archive", err, plugins.ReasonHashMismatch, "does not match the catalog")
	})
	t.Run("truncated archive", func(t *testing.T) {
		cs.set(path, archive[:len(archive)/2])
		defer cs.set(path, nil)
		_, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.one"}, "u")
		wantRefusal(t, "truncated archive", err, plugins.ReasonHashMismatch)
	})
	t.Run("archive longer than listed", func(t *testing.T) {
		cs.set(path, append(append([]byte(nil), archive...), 0))
		defer cs.set(path, nil)
		_, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.one"}, "u")
		wantRefusal(t, "longer archive", err, plugins.ReasonInvalidArchive, "more bytes than the catalog lists")
	})
	if ps, _ := e.Plugins.List(ctx); len(ps) != 0 {
		t.Fatalf("a refused archive got installed: %+v", ps)
	}
	if p, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.one"}, "u"); err != nil || p.Version != "1.0.0" {
		t.Fatalf("the good archive: %+v %v", p, err)
	}
}

// TestCatalogURLsAreHeldToTheEgressPolicy: https only, and no internal
// address (by IP or by a name resolving to one) unless allowed.
func TestCatalogURLsAreHeldToTheEgressPolicy(t *testing.T) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	cs := newCatalogServer(t)
	packPlugin(t, cs.Dir, "acme.one", "1.0.0", catKey)
	cs.publish(t, catKey)
	e := newEnv(t, envOptions{allowLoopback: false, tls: roots(cs.Server)})

	_, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "plain", URL: "http://catalog.example/index.json", PublicKey: pubPEM(t, catPub)}, "u")
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "only https") {
		t.Fatalf("http catalog: %v", err)
	}
	for _, u := range []string{cs.indexURL(), strings.Replace(cs.indexURL(), "127.0.0.1", "localhost", 1)} {
		c, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: u, URL: u, PublicKey: pubPEM(t, catPub)}, "u")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.SyncError, "destination not permitted") || c.Plugins != 0 {
			t.Fatalf("%s reached a loopback address: %+v", u, c)
		}
	}
}

// TestNewestVersionThisServerRuns: a version needing a newer Breeze is not
// picked by default, shown or offered as an update; asked for by name it
// is refused by the install path (host_too_old).
func TestNewestVersionThisServerRuns(t *testing.T) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	cs := newCatalogServer(t)
	packPluginFor(t, cs.Dir, "acme.one", "1.0.0", "1.0.0", catKey)
	packPluginFor(t, cs.Dir, "acme.one", "2.0.0", "9.0.0", catKey)
	cs.publish(t, catKey)
	e := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server), hostVersion: "1.4.0"})
	if _, err := e.Svc.TrustKey(ctx, global, core.TrustRequest{PublicKey: pubPEM(t, catPub)}, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "c", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "u"); err != nil {
		t.Fatal(err)
	}
	res, _ := e.Svc.Search(ctx, global, "")
	if len(res) != 1 || res[0].Latest.Version != "1.0.0" || len(res[0].Versions) != 2 {
		t.Fatalf("search on Breeze 1.4.0: %+v", res)
	}
	p, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.one"}, "u")
	if err != nil || p.Version != "1.0.0" {
		t.Fatalf("install: %+v %v", p, err)
	}
	if ups, _ := e.Svc.Updates(ctx, global); len(ups) != 0 {
		t.Fatalf("an update this server cannot run was offered: %+v", ups)
	}
	_, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.one", Version: "2.0.0"}, "u")
	wantRefusal(t, "a version needing Breeze 9", err, plugins.ReasonHostTooOld, "9.0.0")
}

// TestServerSidePluginsNeedThisPlatform: a server-side plugin's version
// without an executable for this server's os-arch is not picked, shown as
// latest or offered; asked for, the install path refuses it.
func TestServerSidePluginsNeedThisPlatform(t *testing.T) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	cs := newCatalogServer(t)
	channel := func(version, platform string) string {
		return fmt.Sprintf(`{"id":"acme.chan","name":"Chan","version":%q,"kind":"alert_channel","apiVersions":[1],"executables":{%q:{"path":"bin/x"}}}`,
			version, platform)
	}
	other := "freebsd-386"
	if manifest.Platform() == other {
		other = "freebsd-arm"
	}
	packManifest(t, cs.Dir, "acme.chan", "1.0.0", channel("1.0.0", manifest.Platform()), catKey)
	packManifest(t, cs.Dir, "acme.chan", "2.0.0", channel("2.0.0", other), catKey)
	cs.publish(t, catKey)
	e := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server)})
	if _, err := e.Svc.TrustKey(ctx, global, core.TrustRequest{PublicKey: pubPEM(t, catPub)}, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "c", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "u"); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.Svc.Search(ctx, global, "chan"); len(res) != 1 || res[0].Latest.Version != "1.0.0" {
		t.Fatalf("search: %+v", res)
	}
	if p, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.chan"}, "u"); err != nil || p.Version != "1.0.0" || p.Side != "server" {
		t.Fatalf("install: %+v %v", p, err)
	}
	if ups, _ := e.Svc.Updates(ctx, global); len(ups) != 0 {
		t.Fatalf("a version without this server's executable was offered: %+v", ups)
	}
	_, err := e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.chan", Version: "2.0.0"}, "u")
	wantRefusal(t, "no executable for this server", err, plugins.ReasonNoExecutable)
}

// TestArchiveMustBeWhatTheIndexSays: an index listing an archive under
// another plugin's id, or naming another publisher than the archive's
// signer, is refused by the install path even when every key is trusted.
func TestArchiveMustBeWhatTheIndexSays(t *testing.T) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	otherPub, _, _ := pack.GenerateKey()
	cs := newCatalogServer(t)
	packPlugin(t, cs.Dir, "acme.two", "1.0.0", catKey)
	index, _, err := catalog.Build(cs.Dir, catalog.BuildOptions{Key: catKey, BaseURL: cs.URL})
	if err != nil {
		t.Fatal(err)
	}
	var ix catalog.Index
	if err := json.Unmarshal(index, &ix); err != nil {
		t.Fatal(err)
	}
	renamed := ix.Plugins[0]
	renamed.ID = "acme.fake"
	resigned := ix.Plugins[0]
	resigned.ID, resigned.PublisherKeyID, resigned.PublisherKey = "acme.other", pack.KeyID(otherPub), catalog.EncodeKey(otherPub)
	ix.Plugins = []catalog.Plugin{renamed, resigned}
	index, sig, err := catalog.Sign(&ix, catKey)
	if err != nil {
		t.Fatal(err)
	}
	cs.set("/index.json", index)
	cs.set("/index.json.sig", sig)
	e := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server)})
	for _, k := range []ed25519.PublicKey{catPub, otherPub} {
		if _, err := e.Svc.TrustKey(ctx, global, core.TrustRequest{PublicKey: pubPEM(t, k)}, "u"); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := e.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "c", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "u"); err != nil || c.Plugins != 2 {
		t.Fatalf("subscribe: %+v %v", c, err)
	}
	_, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.fake"}, "u")
	wantRefusal(t, "another plugin's archive", err, plugins.ReasonInvalidArchive, "holds acme.two 1.0.0")
	_, err = e.Svc.Install(ctx, global, core.InstallRequest{ID: "acme.other"}, "u")
	wantRefusal(t, "another signer", err, plugins.ReasonInvalidArchive, "signed by "+pack.KeyID(otherPub))
	if ps, _ := e.Plugins.List(ctx); len(ps) != 0 {
		t.Fatalf("installed: %+v", ps)
	}
}
