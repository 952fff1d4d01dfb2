package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

var global = domain.GlobalScope()

// timeTolerance absorbs the microsecond truncation adapters apply on write.
const timeTolerance = time.Millisecond

// uniq returns prefix plus a random suffix, so fixtures never collide.
func uniq(prefix string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// sameTime: both zero, or within timeTolerance of each other.
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	d := a.Sub(b)
	if d < 0 {
		d = -d
	}
	return d <= timeTolerance
}

// field is one named comparison for eqFields.
type field struct {
	name      string
	got, want any
}

// eqFields reports every differing field; times compare with sameTime.
func eqFields(t testing.TB, what string, fields ...field) {
	t.Helper()
	for _, f := range fields {
		gt, ok1 := f.got.(time.Time)
		wt, ok2 := f.want.(time.Time)
		if ok1 && ok2 {
			if !sameTime(gt, wt) {
				t.Errorf("%s: %s = %v, want %v (±%s)", what, f.name, gt, wt, timeTolerance)
			}
			continue
		}
		if f.got != f.want {
			t.Errorf("%s: %s = %#v, want %#v", what, f.name, f.got, f.want)
		}
	}
}

// checkStamps asserts what Create (and Update) must fill in the timestamps.
func checkStamps(t testing.TB, what string, created, updated time.Time) {
	t.Helper()
	now := time.Now()
	for _, c := range []struct {
		name string
		v    time.Time
	}{{"CreatedAt", created}, {"UpdatedAt", updated}} {
		switch {
		case c.v.IsZero():
			t.Errorf("%s: %s is zero", what, c.name)
		case c.v.Location() != time.UTC:
			t.Errorf("%s: %s is in %v, want UTC", what, c.name, c.v.Location())
		case c.v.Before(now.Add(-time.Minute)) || c.v.After(now.Add(time.Minute)):
			t.Errorf("%s: %s = %v, not near now (%v)", what, c.name, c.v, now)
		}
	}
	if updated.Before(created.Add(-timeTolerance)) {
		t.Errorf("%s: UpdatedAt %v before CreatedAt %v", what, updated, created)
	}
}

// checkUTC asserts a non-zero time is in UTC.
func checkUTC(t testing.TB, what string, v time.Time) {
	t.Helper()
	if !v.IsZero() && v.Location() != time.UTC {
		t.Errorf("%s: %v is in %v, want UTC", what, v, v.Location())
	}
}

// checkNewID asserts an id filled by Create is a canonical UUIDv7.
func checkNewID(t testing.TB, what, id string) {
	t.Helper()
	if !domain.ValidID(id) {
		t.Errorf("%s: ID %q is not a canonical UUID", what, id)
		return
	}
	if id[14] != '7' {
		t.Errorf("%s: ID %q is not a version 7 UUID", what, id)
	}
	if !strings.ContainsRune("89ab", rune(id[19])) {
		t.Errorf("%s: ID %q does not have the RFC 9562 variant", what, id)
	}
}

// wantIs fails unless err matches target.
func wantIs(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want %v", what, err, target)
	}
}

// wantOneOf fails unless err matches one of targets (the contract allows
// either kind there).
func wantOneOf(t testing.TB, what string, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if errors.Is(err, target) {
			return
		}
	}
	t.Errorf("%s: error = %v, want one of %v", what, err, targets)
}

// must stops the test on an unexpected error.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// malformedIDs are ids that must behave exactly like ids that do not exist.
// Given an existing id, it adds spellings that some databases would accept
// as the same UUID but that are not canonical.
func malformedIDs(existing string) []string {
	ids := []string{"", "abc", "'; DROP TABLE devices; --", "' OR '1'='1", "%", "00000000-0000-0000-0000-00000000000g"}
	if existing != "" {
		ids = append(ids,
			strings.ToUpper(existing),
			"{"+existing+"}",
			strings.ReplaceAll(existing, "-", ""),
			existing+" ",
			"urn:uuid:"+existing,
		)
	}
	return ids
}

// sameSet compares id lists as sets and describes the difference.
func sameSet(got, want []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// wantIDs asserts got holds exactly want, in ascending id order, without
// duplicates.
func wantIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	if slices.Equal(got, want) {
		return
	}
	missing, extra := sameSet(got, want)
	switch {
	case len(missing) > 0 || len(extra) > 0:
		t.Errorf("%s: missing %v, unexpected %v", what, missing, extra)
	default:
		t.Errorf("%s: got %v, want %v (ascending id order, no duplicates)", what, got, want)
	}
}

// describe names an id for failure messages when a label is known.
func describe(labels map[string]string, id string) string {
	if l, ok := labels[id]; ok {
		return fmt.Sprintf("%s(%s)", l, id)
	}
	return id
}
