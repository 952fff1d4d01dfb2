package storetest

import (
	"testing"
	"time"
)

// stamps points into a row's bookkeeping fields.
type stamps struct {
	version              *int64
	createdAt, updatedAt *time.Time
}

// updateRoundTrip is the life of a freshly created row that every tenancy
// repository shares: Get reads back what Create returned; an Update that
// applies change comes back with change's fields, Version+1, the same
// CreatedAt and a later UpdatedAt; and a Get after it reads that result.
// change must set the same values each time it is called.
func updateRoundTrip[T any](t *testing.T, r getUpdater[T], created *T, id string,
	eq func(testing.TB, string, *T, *T), meta func(*T) stamps, change func(*T)) {
	t.Helper()
	ctx := t.Context()
	got, err := r.Get(ctx, global, id)
	must(t, "Get", err)
	eq(t, "Get after Create", got, created)

	tick()
	in := *got
	change(&in)
	res, err := r.Update(ctx, global, &in)
	must(t, "Update", err)
	want := *got
	change(&want)
	w, g, rs := meta(&want), meta(got), meta(res)
	*w.version, *w.createdAt, *w.updatedAt = *g.version+1, *g.createdAt, *rs.updatedAt
	eq(t, "Update result", res, &want)
	checkStamps(t, "Update result", *rs.createdAt, *rs.updatedAt)
	if !rs.updatedAt.After(*g.updatedAt) {
		t.Errorf("Update: UpdatedAt %v not after previous %v", *rs.updatedAt, *g.updatedAt)
	}
	again, err := r.Get(ctx, global, id)
	must(t, "Get after Update", err)
	eq(t, "Get after Update", again, res)
}
