// Package storetest is the conformance suite of ports.Store. Every storage
// adapter (adapters/sqlite, adapters/postgres) runs Run and RunBenchmarks
// unchanged; the suite is the executable form of the contract written in
// ports/store.go.
//
// Each group of tests gets its own store from the factory, and each subtest
// builds its own tenants with unique names, so subtests never depend on one
// another. Times are compared with a 1 ms tolerance because adapters keep
// microseconds.
//
// Choices the contract leaves open, fixed here so both adapters agree:
//   - only a Global scope creates partners; any other scope gets ErrNotFound;
//   - a parent that does not exist (a valid but unknown UUID) is ErrNotFound,
//     like a parent outside the scope; a missing or malformed parent id may
//     be ErrInvalid or ErrNotFound;
//   - an id is canonical (domain.ValidID): upper-case, braced, dash-less or
//     padded spellings of an existing id are ids that do not exist;
//   - a list filtered by an id the caller cannot see answers exactly as a
//     list filtered by an unknown id (an empty page or ErrNotFound, the same
//     both times), so it is no existence oracle; a malformed filter id
//     answers an empty page or ErrNotFound, never ErrInvalid;
//   - NextCursor is empty as soon as a page ends the list, also when the
//     list length is a multiple of the limit;
//   - a group SiteID filter matches groups of that site only (org-wide
//     groups have no site);
//   - names are unique case-insensitively (the migrations say so); the suite
//     checks ASCII case only;
//   - any Version other than the stored one (0 and negative included) is
//     ErrConflict;
//   - immutable fields sent to Update (ID aside) are ignored or refused, but
//     never stored;
//   - Create keeps a caller-chosen device ID; a taken one is ErrConflict;
//     Upsert without an ID is ErrInvalid;
//   - a device move to another org, even one inside the caller's scope, is
//     refused with ErrInvalid or ErrNotFound;
//   - times come back in UTC (LastSeenAt too), within 1 ms of what was sent;
//   - whether an org or site caller may read its partner, whether a site
//     caller may read its org's org-wide groups, and whether a site caller
//     may write a device that sits in such a group, are left open: the suite
//     only checks that such callers cannot write the partner or the group,
//     and that a refused write changes nothing.
package storetest

import (
	"testing"

	"github.com/breeze-rmm/breeze/ports"
)

// Factory returns a new, migrated, EMPTY store; the suite may call it several
// times. It registers the store's cleanup on t.
type Factory func(t testing.TB) ports.Store

// Run runs the whole suite against stores made by newStore: tenancy, then
// remote work (RunRemote), plugins (RunPlugins).
func Run(t *testing.T, newStore Factory) {
	t.Helper()
	runTenancy(t, newStore)
	t.Run("Remote", func(t *testing.T) { RunRemote(t, newStore) })
	t.Run("Plugins", func(t *testing.T) { RunPlugins(t, newStore) })
	t.Run("Alerts", func(t *testing.T) { RunAlerts(t, newStore) })
	t.Run("Maintenance", func(t *testing.T) { RunMaintenance(t, newStore) })
	t.Run("Updates", func(t *testing.T) { RunUpdates(t, newStore) })
	t.Run("Schedules", func(t *testing.T) { RunSchedules(t, newStore) })
	t.Run("Notify", func(t *testing.T) { RunNotify(t, newStore) })
	t.Run("DiscoveryScans", func(t *testing.T) { RunDiscoveryScans(t, newStore) })
	t.Run("Discovery", func(t *testing.T) { RunDiscovery(t, newStore) })
	t.Run("Certs", func(t *testing.T) { RunCerts(t, newStore) })
}

// runTenancy runs the tenancy groups only (partners to devices).
func runTenancy(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"CRUD", testCRUD},
		{"Validation", testValidation},
		{"Pagination", testPagination},
		{"Filters", testFilters},
		{"Scoping", testScoping},
		{"DeviceMove", testDeviceMove},
		{"Conflicts", testConflicts},
		{"Missing", testMissing},
		{"Transactions", testTransactions},
		{"Concurrency", testConcurrency},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}
