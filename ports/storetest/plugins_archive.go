package storetest

import (
	"bytes"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testPluginArchive: one archive per plugin, of its installed version,
// gone with the plugin.
func testPluginArchive(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ps := st.Plugins()
	p := putPlugin(t, st, uniq("p"))
	_, err := ps.Archive(ctx, p.ID, "1.0.0")
	wantIs(t, "archive before any", err, domain.ErrNotFound)
	wantIs(t, "archive of an unknown plugin", ps.PutArchive(ctx, uniq("nope"), "1.0.0", []byte("x")), domain.ErrNotFound)
	wantIs(t, "empty archive", ps.PutArchive(ctx, p.ID, "1.0.0", nil), domain.ErrInvalid)

	v1 := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1<<16) // binary, 256 KiB
	must(t, "put v1", ps.PutArchive(ctx, p.ID, "1.0.0", v1))
	got, err := ps.Archive(ctx, p.ID, "1.0.0")
	must(t, "get v1", err)
	if !bytes.Equal(got, v1) {
		t.Fatalf("archive changed: %d bytes back, %d stored", len(got), len(v1))
	}
	must(t, "put v2", ps.PutArchive(ctx, p.ID, "2.0.0", []byte("v2")))
	_, err = ps.Archive(ctx, p.ID, "1.0.0")
	wantIs(t, "the replaced version", err, domain.ErrNotFound)
	if got, err := ps.Archive(ctx, p.ID, "2.0.0"); err != nil || string(got) != "v2" {
		t.Fatalf("v2: %q %v", got, err)
	}
	must(t, "delete plugin", ps.Delete(ctx, p.ID))
	_, err = ps.Archive(ctx, p.ID, "2.0.0")
	wantIs(t, "archive after the plugin's removal", err, domain.ErrNotFound)
}
