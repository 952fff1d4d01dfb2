package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testPluginCatalogs: subscriptions with unique names, the sync lease (one
// claimant per attempt), a failed sync keeping the last good index.
func testPluginCatalogs(t *testing.T, st ports.Store) {
	ctx := t.Context()
	cs := st.PluginCatalogs()
	name := uniq("cat")
	c := &ports.PluginCatalog{Name: name, URL: "https://cat.example/index.json", PublicKey: "-----BEGIN PUBLIC KEY-----", KeyID: "0123456789abcdef", CreatedBy: "user:1"}
	must(t, "create", cs.Create(ctx, c))
	if c.ID == "" || c.CreatedAt.IsZero() {
		t.Fatalf("create filled %+v", c)
	}
	wantIs(t, "same name, other case", cs.Create(ctx, &ports.PluginCatalog{Name: strings.ToUpper(name), URL: "https://x", PublicKey: "k"}), domain.ErrConflict)
	wantIs(t, "no url", cs.Create(ctx, &ports.PluginCatalog{Name: uniq("cat"), PublicKey: "k"}), domain.ErrInvalid)
	got, err := cs.Get(ctx, c.ID)
	must(t, "get", err)
	if got.Name != name || got.URL != c.URL || got.KeyID != c.KeyID || got.Index != nil || !got.SyncedAt.IsZero() || !got.SyncAttemptAt.IsZero() {
		t.Fatalf("get %+v", got)
	}
	_, err = cs.Get(ctx, domain.NewID())
	wantIs(t, "get unknown", err, domain.ErrNotFound)

	at := time.Now().UTC().Truncate(time.Second)
	won, err := cs.ClaimSync(ctx, c.ID, at, at.Add(-time.Hour))
	must(t, "first claim", err)
	again, err := cs.ClaimSync(ctx, c.ID, at.Add(time.Minute), at.Add(-time.Hour))
	must(t, "second claim", err)
	if !won || again {
		t.Fatalf("claims: first %t (want true), second %t (want false: the lease is held)", won, again)
	}
	won, err = cs.ClaimSync(ctx, c.ID, at.Add(2*time.Hour), at.Add(time.Minute))
	must(t, "claim after the lease", err)
	if !won {
		t.Fatal("a stale attempt kept the lease")
	}
	_, err = cs.ClaimSync(ctx, domain.NewID(), at, at)
	wantIs(t, "claim unknown", err, domain.ErrNotFound)

	index, sig := []byte(`{"format":1,"plugins":[]}`), []byte{0, 1, 0xff}
	must(t, "record good", cs.RecordSync(ctx, c.ID, at, index, sig, ""))
	must(t, "record failure", cs.RecordSync(ctx, c.ID, at.Add(time.Hour), nil, nil, "fetch: connection refused"))
	got, err = cs.Get(ctx, c.ID)
	must(t, "get after sync", err)
	if !bytes.Equal(got.Index, index) || !bytes.Equal(got.Signature, sig) || !got.SyncedAt.Equal(at) || got.SyncError != "fetch: connection refused" ||
		!got.SyncAttemptAt.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("after a good and a failed sync: %+v", got)
	}
	must(t, "record good again", cs.RecordSync(ctx, c.ID, at.Add(3*time.Hour), index, sig, ""))
	if got, _ = cs.Get(ctx, c.ID); got.SyncError != "" || !got.SyncedAt.Equal(at.Add(3*time.Hour)) {
		t.Fatalf("a good sync did not clear the error: %+v", got)
	}
	wantIs(t, "record unknown", cs.RecordSync(ctx, domain.NewID(), at, nil, nil, "x"), domain.ErrNotFound)

	other := &ports.PluginCatalog{Name: "a-" + uniq("cat"), URL: "https://b.example/index.json", PublicKey: "k2"}
	must(t, "create other", cs.Create(ctx, other))
	list, err := cs.List(ctx)
	must(t, "list", err)
	var names []string
	for _, l := range list {
		if l.ID == c.ID || l.ID == other.ID {
			names = append(names, l.Name)
		}
	}
	if len(names) != 2 || names[0] != other.Name {
		t.Fatalf("list by name: %v", names)
	}
	must(t, "delete", cs.Delete(ctx, c.ID))
	wantIs(t, "delete again", cs.Delete(ctx, c.ID), domain.ErrNotFound)
	_, err = cs.Get(ctx, c.ID)
	wantIs(t, "get deleted", err, domain.ErrNotFound)
}

// testPluginKeys: one row per key id, listed in order, removable once.
func testPluginKeys(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ks := st.PluginKeys()
	id := uniq("k")
	k := &ports.PluginKey{KeyID: id, PublicKey: "-----BEGIN PUBLIC KEY-----", Fingerprint: "ab12:cd34", Name: "acme", AddedBy: "user:1"}
	must(t, "put", ks.Put(ctx, k))
	if k.AddedAt.IsZero() {
		t.Fatal("AddedAt not filled")
	}
	wantIs(t, "put again", ks.Put(ctx, &ports.PluginKey{KeyID: id, PublicKey: "other"}), domain.ErrConflict)
	wantIs(t, "no key", ks.Put(ctx, &ports.PluginKey{KeyID: uniq("k")}), domain.ErrInvalid)
	list, err := ks.List(ctx)
	must(t, "list", err)
	found := false
	for _, l := range list {
		if l.KeyID == id {
			found = l.PublicKey == k.PublicKey && l.Fingerprint == k.Fingerprint && l.Name == "acme" && l.AddedBy == "user:1" &&
				l.AddedAt.Sub(k.AddedAt).Abs() <= time.Millisecond
		}
	}
	if !found {
		t.Fatalf("key %s not listed as put: %+v", id, list)
	}
	must(t, "delete", ks.Delete(ctx, id))
	wantIs(t, "delete again", ks.Delete(ctx, id), domain.ErrNotFound)
}
