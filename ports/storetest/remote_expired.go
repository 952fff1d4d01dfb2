package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testCommandExpired: queued commands at or past their expiry, and nothing
// else (a sent one, or one expiring later).
func testCommandExpired(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	t0 := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	queued := func(at time.Time) string {
		t.Helper()
		return newCommand(t, st, d.ID, func(c *domain.Command) { c.ExpiresAt = at }).ID
	}
	early, late := queued(t0), queued(t0.Add(time.Hour))
	sent := queued(t0)
	now := t0.Add(-time.Hour)
	_, err := st.Commands().Transition(ctx, sent, fromQueued, domain.CommandUpdate{Status: domain.CommandSent, SentAt: &now})
	must(t, "to sent", err)

	expired := func(at time.Time) []string {
		t.Helper()
		list, err := st.Commands().Expired(ctx, at, 1000)
		must(t, "Expired", err)
		var out []string
		for _, cmd := range list {
			if cmd.DeviceID == d.ID { // other tests' commands may share the table
				out = append(out, cmd.ID)
			}
		}
		return out
	}
	if got := expired(t0.Add(-time.Second)); len(got) != 0 {
		t.Errorf("a second before the expiry: %v, want none", got)
	}
	if got := expired(t0); !slices.Equal(got, []string{early}) {
		t.Errorf("at the expiry: %v, want [%s]", got, early)
	}
	if got := expired(t0.Add(2 * time.Hour)); !slices.Equal(got, []string{early, late}) {
		t.Errorf("after both: %v, want [%s %s] (oldest expiry first)", got, early, late)
	}
}
