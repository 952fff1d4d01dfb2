package storetest

// The plugin part of the suite (ports/plugins_store.go), run by both
// adapters through Run (group "Plugins") or alone with RunPlugins.
//
// Choices the contract leaves open, fixed here so both adapters agree:
//   - Put of an existing id replaces every field but Enabled (kept) and
//     leaves the org rows and key-value entries in place;
//   - manifests and settings are JSON: compared as JSON values;
//   - a site-only scope neither reads nor writes an org's plugin row;
//   - a refused PutOrg (org out of scope, unknown plugin) writes nothing;
//   - KVGet of a missing key is (nil, false, nil); KVDelete of a missing
//     key is no error.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunPlugins runs the plugin suite against stores made by newStore.
func RunPlugins(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Installed", testPluginsInstalled},
		{"Orgs", testPluginOrgs},
		{"OrgScoping", testPluginOrgScoping},
		{"KV", testPluginKV},
		{"Cascade", testPluginCascade},
		{"Archive", testPluginArchive},
		{"Transactions", testPluginTx},
		{"Catalogs", testPluginCatalogs},
		{"TrustedKeys", testPluginKeys},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func pluginRow(id, version string) *ports.InstalledPlugin {
	return &ports.InstalledPlugin{
		ID: id, Name: "Plugin " + id, Version: version, Kind: "alert_channel", Side: ports.PluginSideServer,
		Manifest:   json.RawMessage(`{"id": "` + id + `", "version": "` + version + `"}`),
		ArchiveSHA: "ab12", ArchiveSize: 1234, ExecSHA: "cd34", SignerKeyID: "k1", InstalledBy: "user-1",
	}
}

func samePluginJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func putPlugin(t testing.TB, st ports.Store, id string) *ports.InstalledPlugin {
	t.Helper()
	p := pluginRow(id, "1.0.0")
	must(t, "put plugin", st.Plugins().Put(t.Context(), p))
	return p
}

func testPluginsInstalled(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Plugins()
	id := uniq("p")
	p := pluginRow(id, "1.0.0")
	must(t, "put", ps.Put(ctx, p))
	if p.InstalledAt.IsZero() || p.UpdatedAt.IsZero() || p.Enabled {
		t.Fatalf("put filled %+v", p)
	}
	checkUTC(t, "installed at", p.InstalledAt)
	got, err := ps.Get(ctx, id)
	must(t, "get", err)
	if got.Name != p.Name || got.Version != "1.0.0" || got.Kind != "alert_channel" || got.Side != ports.PluginSideServer ||
		got.ArchiveSHA != "ab12" || got.ArchiveSize != 1234 || got.ExecSHA != "cd34" || got.SignerKeyID != "k1" ||
		got.InstalledBy != "user-1" || !samePluginJSON(got.Manifest, p.Manifest) || !sameTime(got.InstalledAt, p.InstalledAt) {
		t.Fatalf("get = %+v, want %+v", got, p)
	}
	_, err = ps.Get(ctx, "no.such.plugin")
	wantIs(t, "get unknown", err, domain.ErrNotFound)

	on, err := ps.SetEnabled(ctx, id, true)
	must(t, "enable", err)
	if !on.Enabled {
		t.Fatal("SetEnabled(true) returned a disabled row")
	}
	_, err = ps.SetEnabled(ctx, "no.such.plugin", true)
	wantIs(t, "enable unknown", err, domain.ErrNotFound)

	up := pluginRow(id, "1.1.0")
	up.Name, up.SignerKeyID = "Renamed", ""
	must(t, "upgrade", ps.Put(ctx, up))
	if up.Version != "1.1.0" || up.Name != "Renamed" || up.SignerKeyID != "" || !up.Enabled {
		t.Fatalf("upgrade = %+v: want the new fields and Enabled kept", up)
	}

	for _, bad := range []*ports.InstalledPlugin{
		{ID: "", Version: "1.0.0", Kind: "collector", Side: "agent", Manifest: json.RawMessage(`{}`)},
		{ID: "x", Version: "", Kind: "collector", Side: "agent", Manifest: json.RawMessage(`{}`)},
		{ID: "x", Version: "1", Kind: "nope", Side: "agent", Manifest: json.RawMessage(`{}`)},
		{ID: "x", Version: "1", Kind: "collector", Side: "moon", Manifest: json.RawMessage(`{}`)},
		{ID: "x", Version: "1", Kind: "collector", Side: "agent", Manifest: json.RawMessage(`{nope`)},
	} {
		wantIs(t, "put invalid", ps.Put(ctx, bad), domain.ErrInvalid)
	}

	other := putPlugin(t, st, uniq("a"))
	list, err := ps.List(ctx)
	must(t, "list", err)
	var ids []string
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	if !slices.Contains(ids, id) || !slices.Contains(ids, other.ID) || !slices.IsSorted(ids) {
		t.Fatalf("list ids %v: want %s and %s, sorted", ids, id, other.ID)
	}

	must(t, "delete", ps.Delete(ctx, id))
	_, err = ps.Get(ctx, id)
	wantIs(t, "get deleted", err, domain.ErrNotFound)
	wantIs(t, "delete again", ps.Delete(ctx, id), domain.ErrNotFound)
}

func testPluginOrgs(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Plugins()
	c := newChain(t, st)
	p := putPlugin(t, st, uniq("p"))
	row := &ports.PluginOrg{PluginID: p.ID, OrgID: c.org.ID, Enabled: true, Settings: json.RawMessage(`{"url": "https://x", "n": 3}`)}
	must(t, "put org", ps.PutOrg(ctx, c.scope(), row))
	if row.PartnerID != c.partner.ID || row.UpdatedAt.IsZero() || !row.Enabled {
		t.Fatalf("put org filled %+v", row)
	}
	got, err := ps.GetOrg(ctx, c.scope(), p.ID, c.org.ID)
	must(t, "get org", err)
	if !got.Enabled || got.PartnerID != c.partner.ID || !samePluginJSON(got.Settings, row.Settings) {
		t.Fatalf("get org = %+v", got)
	}
	// Replace.
	row2 := &ports.PluginOrg{PluginID: p.ID, OrgID: c.org.ID, Enabled: false}
	must(t, "replace org", ps.PutOrg(ctx, c.scope(), row2))
	got, err = ps.GetOrg(ctx, c.scope(), p.ID, c.org.ID)
	must(t, "get replaced", err)
	if got.Enabled || !samePluginJSON(got.Settings, json.RawMessage(`{}`)) {
		t.Fatalf("replaced row = %+v, want disabled with {}", got)
	}
	wantIs(t, "settings not an object", ps.PutOrg(ctx, c.scope(),
		&ports.PluginOrg{PluginID: p.ID, OrgID: c.org.ID, Settings: json.RawMessage(`[1]`)}), domain.ErrInvalid)
	wantIs(t, "unknown plugin", ps.PutOrg(ctx, c.scope(),
		&ports.PluginOrg{PluginID: "no.such", OrgID: c.org.ID}), domain.ErrNotFound)
	wantIs(t, "unknown org", ps.PutOrg(ctx, global,
		&ports.PluginOrg{PluginID: p.ID, OrgID: domain.NewID()}), domain.ErrNotFound)
	_, err = ps.GetOrg(ctx, c.scope(), "no.such", c.org.ID)
	wantIs(t, "get unknown plugin", err, domain.ErrNotFound)

	o2 := newOrg(t, st, c.partner.ID)
	must(t, "put org 2", ps.PutOrg(ctx, global, &ports.PluginOrg{PluginID: p.ID, OrgID: o2.ID, Enabled: true}))
	list, err := ps.ListOrgs(ctx, c.scope(), p.ID)
	must(t, "list orgs", err)
	if len(list) != 2 || list[0].OrgID > list[1].OrgID {
		t.Fatalf("list orgs = %d rows (want 2, by org id)", len(list))
	}
	p2 := putPlugin(t, st, uniq("q"))
	must(t, "put other plugin", ps.PutOrg(ctx, global, &ports.PluginOrg{PluginID: p2.ID, OrgID: o2.ID}))
	byOrg, err := ps.OrgPlugins(ctx, o2.ID)
	must(t, "org plugins", err)
	if len(byOrg) != 2 || byOrg[0].PluginID > byOrg[1].PluginID {
		t.Fatalf("org plugins = %d rows (want 2, by plugin id)", len(byOrg))
	}
	none, err := ps.OrgPlugins(ctx, domain.NewID())
	must(t, "org plugins of unknown org", err)
	if len(none) != 0 {
		t.Fatalf("unknown org has %d plugin rows", len(none))
	}
}

func testPluginOrgScoping(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Plugins()
	a, b := newChain(t, st), newChain(t, st)
	p := putPlugin(t, st, uniq("p"))
	secret := json.RawMessage(`{"k": "A's value"}`)
	must(t, "put A", ps.PutOrg(ctx, a.scope(), &ports.PluginOrg{PluginID: p.ID, OrgID: a.org.ID, Enabled: true, Settings: secret}))

	outsiders := map[string]domain.Scope{
		"other partner": b.scope(),
		"other org":     {OrgIDs: []string{b.org.ID}},
		"own site only": {SiteIDs: []string{a.site.ID}},
		"empty":         {},
	}
	for name, s := range outsiders {
		_, err := ps.GetOrg(ctx, s, p.ID, a.org.ID)
		wantIs(t, name+": get", err, domain.ErrNotFound)
		list, err := ps.ListOrgs(ctx, s, p.ID)
		must(t, name+": list", err)
		if len(list) != 0 {
			t.Fatalf("%s: list shows %d foreign rows", name, len(list))
		}
		err = ps.PutOrg(ctx, s, &ports.PluginOrg{PluginID: p.ID, OrgID: a.org.ID, Settings: json.RawMessage(`{"k": "taken"}`)})
		wantIs(t, name+": put", err, domain.ErrNotFound)
	}
	got, err := ps.GetOrg(ctx, domain.Scope{OrgIDs: []string{a.org.ID}}, p.ID, a.org.ID)
	must(t, "org holder reads", err)
	if !got.Enabled || !samePluginJSON(got.Settings, secret) {
		t.Fatalf("a refused write changed the row: %+v", got)
	}
	for _, bad := range malformedIDs(a.org.ID) {
		_, err := ps.GetOrg(ctx, global, p.ID, bad)
		wantIs(t, "malformed org id", err, domain.ErrNotFound)
	}
}

func testPluginKV(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Plugins()
	p, q := putPlugin(t, st, uniq("p")), putPlugin(t, st, uniq("q"))
	_, found, err := ps.KVGet(ctx, p.ID, "a")
	must(t, "get missing", err)
	if found {
		t.Fatal("missing key found")
	}
	for _, k := range []string{"b/2", "a", "b/1", "c"} {
		must(t, "put "+k, ps.KVPut(ctx, p.ID, k, []byte("v-"+k)))
	}
	must(t, "put empty value", ps.KVPut(ctx, p.ID, "e", nil))
	must(t, "put other plugin", ps.KVPut(ctx, q.ID, "a", []byte("q's")))
	must(t, "overwrite", ps.KVPut(ctx, p.ID, "a", []byte{0, 1, 2, 255}))
	v, found, err := ps.KVGet(ctx, p.ID, "a")
	must(t, "get", err)
	if !found || !bytes.Equal(v, []byte{0, 1, 2, 255}) {
		t.Fatalf("get a = %v %v", v, found)
	}
	v, found, err = ps.KVGet(ctx, p.ID, "e")
	must(t, "get empty", err)
	if !found || len(v) != 0 {
		t.Fatalf("empty value: %v %v", v, found)
	}
	keys, err := ps.KVList(ctx, p.ID, "b/")
	must(t, "list prefix", err)
	if !slices.Equal(keys, []string{"b/1", "b/2"}) {
		t.Fatalf("list b/ = %v", keys)
	}
	all, err := ps.KVList(ctx, p.ID, "")
	must(t, "list all", err)
	if !slices.Equal(all, []string{"a", "b/1", "b/2", "c", "e"}) {
		t.Fatalf("list all = %v", all)
	}
	must(t, "delete", ps.KVDelete(ctx, p.ID, "a"))
	must(t, "delete missing", ps.KVDelete(ctx, p.ID, "a"))
	if _, found, _ := ps.KVGet(ctx, p.ID, "a"); found {
		t.Fatal("deleted key found")
	}
	if v, found, _ := ps.KVGet(ctx, q.ID, "a"); !found || string(v) != "q's" {
		t.Fatal("a delete in one plugin touched another's key")
	}
	wantIs(t, "empty key", ps.KVPut(ctx, p.ID, "", []byte("x")), domain.ErrInvalid)
	wantIs(t, "huge value", ps.KVPut(ctx, p.ID, "big", make([]byte, ports.PluginKVMaxValue+1)), domain.ErrInvalid)
	wantIs(t, "unknown plugin", ps.KVPut(ctx, "no.such", "a", []byte("x")), domain.ErrNotFound)
}

func testPluginCascade(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Plugins()
	c := newChain(t, st)
	p := putPlugin(t, st, uniq("p"))
	must(t, "put org", ps.PutOrg(ctx, global, &ports.PluginOrg{PluginID: p.ID, OrgID: c.org.ID, Enabled: true}))
	must(t, "kv", ps.KVPut(ctx, p.ID, "k", []byte("v")))
	// An upgrade keeps both.
	must(t, "upgrade", ps.Put(ctx, pluginRow(p.ID, "2.0.0")))
	if _, err := ps.GetOrg(ctx, global, p.ID, c.org.ID); err != nil {
		t.Fatalf("upgrade lost the org row: %v", err)
	}
	if _, found, _ := ps.KVGet(ctx, p.ID, "k"); !found {
		t.Fatal("upgrade lost the kv entry")
	}
	must(t, "delete plugin", ps.Delete(ctx, p.ID))
	_, err := ps.GetOrg(ctx, global, p.ID, c.org.ID)
	wantIs(t, "org row after delete", err, domain.ErrNotFound)
	// A reinstall starts clean.
	putPlugin(t, st, p.ID)
	if _, found, _ := ps.KVGet(ctx, p.ID, "k"); found {
		t.Fatal("kv entry survived the plugin's removal")
	}
}

func testPluginTx(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	id := uniq("p")
	boom := errors.New("boom")
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := tx.Plugins().Put(ctx, pluginRow(id, "1.0.0")); err != nil {
			return err
		}
		if err := tx.Plugins().PutOrg(ctx, global, &ports.PluginOrg{PluginID: id, OrgID: c.org.ID}); err != nil {
			return err
		}
		if _, err := tx.Plugins().Get(ctx, id); err != nil {
			return err
		}
		return boom
	})
	wantIs(t, "rolled back tx", err, boom)
	_, err = st.Plugins().Get(ctx, id)
	wantIs(t, "plugin after rollback", err, domain.ErrNotFound)
}
