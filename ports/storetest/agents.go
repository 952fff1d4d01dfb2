package storetest

// The agent-link part of the suite: enrollment keys, agent tokens, presence,
// telemetry and inventory (ports/agents.go), run by both adapters with
// RunAgents and measured with RunAgentBenchmarks.
//
// Choices the contract leaves open, fixed here so both adapters agree:
//   - enrollment key Create fills ID (UUIDv7), CreatedAt, and PartnerID and
//     OrgID from the site; an OrgID naming another org than the site's is
//     refused (ErrInvalid or ErrNotFound) or replaced by the site's, never
//     stored; Uses starts at 0; CreatedBy is kept as given (no foreign key:
//     its author may be deleted later, as with grants);
//   - a missing or malformed SiteID is ErrNotFound or ErrInvalid, an unknown
//     one ErrNotFound; an unknown, malformed or invisible group is ErrInvalid
//     or ErrNotFound; a visible group of another org or another site is
//     ErrInvalid; a zero ExpiresAt is in the past (ErrInvalid); a KeyHash
//     already taken is ErrConflict;
//   - Use compares ExpiresAt with the now it is given: a key is usable
//     strictly before ExpiresAt (domain.EnrollmentKey.Usable);
//   - deleting a site that holds only enrollment keys succeeds and deletes
//     them (enrollment_keys.site_id ON DELETE CASCADE);
//   - agent token Set for a device that does not exist is ErrNotFound or
//     ErrInvalid and stores nothing; a token hash live on another device is
//     ErrConflict (setting a device's own live hash again is a harmless
//     repeat); Set after Revoke makes the new token live; Revoke of a
//     device without a token is nil or ErrNotFound;
//   - Mark sets the status but never lowers last_seen_at (an update without
//     a time keeps it; a never-seen device takes the update's time); an
//     update skipped for its IfStatus
//     changes nothing, last_seen_at included; Mark and Write never change a
//     device's Version or UpdatedAt;
//   - Write accepts a batch holding several samples of one device, exact
//     duplicates included; of two samples with the same (device, at) in
//     different batches, the one stored first is kept (in the history and
//     as the latest); Write changes no device field but last_seen_at, which
//     it never lowers;
//   - Query checks, for a device in scope: from < to, step >= 1s and
//     (to-from)/step <= 10000, else ErrInvalid. Bucket k starts at
//     from + k*step; a sample at exactly to is outside. A device with no
//     sample in range gives an empty list, an unknown or foreign one
//     ErrNotFound;
//   - Prune deletes samples with at < before (one at exactly before stays);
//   - inventory Put for a device that does not exist is ErrNotFound or
//     ErrInvalid; Put stores UpdatedAt as given;
//   - Detail and Document are JSON: compared as JSON values, so an adapter
//     may change white space and key order, never content.

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// AgentFactory returns a new, migrated, EMPTY store; the suite may call it
// several times. It registers the store's cleanup on t.
type AgentFactory func(t testing.TB) ports.Store

// RunAgents runs the agent-link suite against stores made by f.
func RunAgents(t *testing.T, f AgentFactory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, f AgentFactory, st ports.Store)
	}{
		{"EnrollmentKeys", testAgentKeys},
		{"AgentTokens", testAgentTokens},
		{"Presence", testAgentPresence},
		{"Telemetry", testAgentTelemetry},
		{"Inventory", testAgentInventory},
		{"InventoryExists", testAgentInventoryExists},
		{"PluginStates", testAgentPluginStates},
		{"DeviceDelete", testAgentDeviceDelete},
		{"Transactions", testAgentTx},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, f, f(t)) })
	}
}

// globalDevice reads a device with the Global scope.
func globalDevice(t testing.TB, st ports.Store, id string) *domain.Device {
	t.Helper()
	d, err := st.Devices().Get(t.Context(), global, id)
	must(t, "get device "+id, err)
	return d
}

// newDeviceSeen creates a device in siteID with the given status and
// last-seen time (zero: never seen).
func newDeviceSeen(t testing.TB, st ports.Store, siteID string, status domain.DeviceStatus, seen time.Time) *domain.Device {
	t.Helper()
	d := deviceIn(siteID, "")
	d.Status, d.LastSeenAt = status, seen
	must(t, "create device", st.Devices().Create(t.Context(), global, d))
	return d
}

// sameJSON reports whether a and b hold the same JSON value; two empty
// strings are the same, an empty and a non-empty one are not.
func sameJSON(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	return reflect.DeepEqual(va, vb)
}

// wantJSON fails unless got and want hold the same JSON value.
func wantJSON(t testing.TB, what, got, want string) {
	t.Helper()
	if !sameJSON(got, want) {
		t.Errorf("%s = %.300q, want the JSON value %.300q", what, got, want)
	}
}

// closeTo compares computed averages: adapters may sum in another order.
func closeTo(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// wantUntouched asserts that presence and telemetry writes left a device's
// edit stamps alone (they are not edits).
func wantUntouched(t testing.TB, what string, got, before *domain.Device) {
	t.Helper()
	eqFields(t, what,
		field{"Version", got.Version, before.Version},
		field{"UpdatedAt", got.UpdatedAt, before.UpdatedAt},
		field{"Hostname", got.Hostname, before.Hostname},
		field{"SiteID", got.SiteID, before.SiteID},
	)
}
