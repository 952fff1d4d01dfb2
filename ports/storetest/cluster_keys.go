package storetest

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/ports"
)

// testClusterKeys: the first fingerprint stored under a name wins and every
// later claim reads it; a rotation replaces it only from the one it names.
func testClusterKeys(t *testing.T, st ports.Store) {
	ctx := t.Context()
	ck := st.ClusterKeys()
	name := "jwt-" + time.Now().Format("150405.000000000") // private to this run
	at := time.Now().UTC().Truncate(time.Second)
	first, err := ck.Claim(ctx, ports.ClusterKey{Name: name, Fingerprint: "fp-1", SetAt: at, SetBy: "node-1"})
	must(t, "first claim", err)
	if first.Fingerprint != "fp-1" || first.SetBy != "node-1" || !first.SetAt.Equal(at) || first.SetAt.Location() != time.UTC {
		t.Fatalf("first claim %+v", first)
	}
	second, err := ck.Claim(ctx, ports.ClusterKey{Name: name, Fingerprint: "fp-2", SetAt: at.Add(time.Minute), SetBy: "node-2"})
	must(t, "second claim", err)
	if second != first {
		t.Fatalf("a later claim changed or hid the first: %+v, want %+v", second, first)
	}
	ok, err := ck.Replace(ctx, "fp-other", ports.ClusterKey{Name: name, Fingerprint: "fp-3", SetAt: at, SetBy: "node-3"})
	must(t, "replace from a stale fingerprint", err)
	if ok {
		t.Fatal("replaced from a fingerprint that is not stored")
	}
	ok, err = ck.Replace(ctx, "fp-1", ports.ClusterKey{Name: name, Fingerprint: "fp-3", SetAt: at.Add(time.Hour), SetBy: "node-3"})
	must(t, "replace", err)
	if !ok {
		t.Fatal("rotation from the stored fingerprint refused")
	}
	now, err := ck.Claim(ctx, ports.ClusterKey{Name: name, Fingerprint: "fp-1", SetAt: at, SetBy: "node-1"})
	must(t, "claim after the rotation", err)
	if now.Fingerprint != "fp-3" || now.SetBy != "node-3" || !now.SetAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("after the rotation %+v", now)
	}
	if _, err := ck.Claim(ctx, ports.ClusterKey{Name: name}); err == nil {
		t.Fatal("a claim without a fingerprint was accepted")
	}
}
