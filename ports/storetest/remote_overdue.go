package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testCommandOverdue: sent or running commands past their timeout plus
// grace, and nothing else.
func testCommandOverdue(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	sent := func(timeout int, then ...domain.CommandStatus) string {
		t.Helper()
		cmd := newCommand(t, st, d.ID, func(c *domain.Command) { c.TimeoutSeconds = timeout })
		_, err := st.Commands().Transition(ctx, cmd.ID, fromQueued, domain.CommandUpdate{Status: domain.CommandSent, SentAt: &t0})
		must(t, "to sent", err)
		for _, next := range then {
			_, err := st.Commands().Transition(ctx, cmd.ID, fromRunning, domain.CommandUpdate{Status: next})
			must(t, "to "+string(next), err)
		}
		return cmd.ID
	}
	short := sent(60)                                              // due at t0+60s+grace
	running := sent(60, domain.CommandRunning)                     // the same, running
	long := sent(600)                                              // due at t0+600s+grace
	done := sent(60, domain.CommandSucceeded)                      // final: never overdue
	queued := newCommand(t, st, d.ID, func(*domain.Command) {}).ID // never sent
	grace := 2 * time.Minute

	overdue := func(now time.Time) []string {
		t.Helper()
		list, err := st.Commands().Overdue(ctx, now, grace, 1000)
		must(t, "Overdue", err)
		var out []string
		for _, cmd := range list {
			if cmd.DeviceID == d.ID { // other tests' commands may share the table
				out = append(out, cmd.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	want := []string{short, running}
	slices.Sort(want)
	if got := overdue(t0.Add(60*time.Second + grace)); !slices.Equal(got, want) {
		t.Errorf("at the deadline: %v, want %v", got, want)
	}
	if got := overdue(t0.Add(60*time.Second + grace - time.Second)); len(got) != 0 {
		t.Errorf("a second before the deadline: %v, want none", got)
	}
	all := []string{short, running, long}
	slices.Sort(all)
	if got := overdue(t0.Add(600*time.Second + grace)); !slices.Equal(got, all) {
		t.Errorf("after every deadline: %v, want %v (not %s, %s)", got, all, done, queued)
	}
}
