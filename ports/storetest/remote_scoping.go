package storetest

import (
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testCommandScoping runs the scoping matrix over commands: one command per
// device of the two-partner tree; a scope sees, lists and creates commands
// of exactly the devices it covers, and answers ErrNotFound for the rest.
func testCommandScoping(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := buildTree(t, st)
	byDevice := map[string]*domain.Command{}
	for _, n := range tr.of(kindDevice) {
		byDevice[n.label] = newCommand(t, st, n.id, func(c *domain.Command) { c.IdempotencyKey = "k-" + n.label })
	}
	for _, sc := range scopeCases() {
		t.Run(sc.name, func(t *testing.T) {
			s := sc.scope(tr)
			var want []string
			for _, n := range tr.of(kindDevice) {
				cmd := byDevice[n.label]
				visible := sc.access(n.label) == full
				if visible {
					// the earlier cases' creates count too
					want = append(want, commandIDs(t, st, global, ports.CommandFilter{DeviceID: n.id}, 0)...)
				}
				got, err := st.Commands().Get(ctx, s, cmd.ID)
				switch {
				case visible && err != nil:
					t.Errorf("Get the command of %s: %v", n.label, err)
				case visible:
					eqCommand(t, "Get the command of "+n.label, got, cmd)
				default:
					wantIs(t, "Get the command of foreign "+n.label, err, domain.ErrNotFound)
				}
				_, err = st.Commands().ByIdempotencyKey(ctx, s, n.id, "k-"+n.label)
				if visible {
					must(t, "ByIdempotencyKey of "+n.label, err)
				} else {
					wantIs(t, "ByIdempotencyKey of foreign "+n.label, err, domain.ErrNotFound)
				}
				// Filtering by a foreign device is filtering by an unknown one.
				page, err := st.Commands().List(ctx, s, ports.CommandFilter{DeviceID: n.id}, domain.PageRequest{})
				must(t, "List by device "+n.label, err)
				if !visible && len(page.Items) != 0 {
					t.Errorf("List filtered by foreign device %s: %d items", n.label, len(page.Items))
				}
			}
			wantIDs(t, "List", ascending(commandIDs(t, st, s, ports.CommandFilter{}, 2)), want)

			// Create: only for a covered device; a refused one stores nothing.
			for _, n := range tr.of(kindDevice) {
				in := commandFor(n.id)
				err := st.Commands().Create(ctx, s, in)
				if sc.access(n.label) == full {
					must(t, "Create for "+n.label, err)
					continue
				}
				wantIs(t, "Create for foreign "+n.label, err, domain.ErrNotFound)
			}
		})
	}
	// The refused creates left every foreign device with its one command.
	for _, n := range tr.of(kindDevice) {
		ids := commandIDs(t, st, global, ports.CommandFilter{DeviceID: n.id}, 0)
		covering := 0
		for _, sc := range scopeCases() {
			if sc.access(n.label) == full {
				covering++
			}
		}
		if len(ids) != 1+covering {
			t.Errorf("device %s has %d commands, want %d (its own and one per covering scope)", n.label, len(ids), 1+covering)
		}
	}
}
