package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// keyAccess describes one kind of key for revocableVisibility.
type keyAccess[T any] struct {
	id        func(*T) string
	revokedAt func(*T) time.Time
	eq        func(testing.TB, string, *T, *T)
	global    func(testing.TB, string) *T // the stored row, read unscoped
}

// revocableVisibility checks that scope reaches exactly the keys labelled in
// sees: Get and List show them and Revoke revokes them; every other key is
// ErrNotFound and left as it was.
func revocableVisibility[T any](t *testing.T, r revocable[T], a keyAccess[T], scope domain.Scope, keys map[string]*T, labels idLabels, byLabel map[string]string, sees []string) {
	t.Helper()
	ctx := t.Context()
	for label, k := range keys {
		got, err := r.Get(ctx, scope, a.id(k))
		if hasLabel(sees, label) {
			if err != nil {
				t.Errorf("Get %s: %v", label, err)
			} else {
				a.eq(t, "Get "+label, got, k)
			}
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Get %s: error = %v, want ErrNotFound", label, err)
		}
	}
	ids := drain(t, "List", func(req domain.PageRequest) (domain.Page[*T], error) {
		return r.List(ctx, scope, req)
	}, a.id)
	wantVisible(t, "List", ids, labels, byLabel, sees, scope.Global)

	at := identNow()
	for label, k := range keys {
		err := r.Revoke(ctx, scope, a.id(k), at)
		got := a.global(t, a.id(k))
		if hasLabel(sees, label) {
			if err != nil {
				t.Errorf("Revoke %s: %v", label, err)
			}
			eqFields(t, label+" after Revoke", field{"RevokedAt", a.revokedAt(got), at})
			continue
		}
		wantIs(t, "Revoke "+label, err, domain.ErrNotFound)
		a.eq(t, label+" after refused Revoke", got, k)
	}
}
