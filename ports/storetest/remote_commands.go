package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testCommands: Create fills what it must, Get and GetForDevice read it
// back, bad input is refused and stores nothing, a device delete takes its
// commands along.
func testCommands(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	other := newDevice(t, st, c.site.ID, "")
	netDev := deviceIn(c.site.ID, "")
	netDev.Kind, netDev.OS = domain.DeviceKindNetwork, "network"
	must(t, "create network device", st.Devices().Create(ctx, global, netDev))

	t.Run("CreateAndGet", func(t *testing.T) {
		in := commandFor(d.ID)
		in.IdempotencyKey, in.BatchID, in.ScriptID = uniq("key"), domain.NewID(), domain.NewID()
		want := *in
		must(t, "Create", st.Commands().Create(ctx, c.scope(), in))
		checkNewID(t, "Create", in.ID)
		checkStamps(t, "Create", in.CreatedAt, in.CreatedAt)
		want.ID, want.CreatedAt, want.Status = in.ID, in.CreatedAt, domain.CommandQueued
		want.PartnerID, want.OrgID, want.SiteID = c.partner.ID, c.org.ID, c.site.ID
		eqCommand(t, "Create's result", in, &want)
		eqCommand(t, "Get", getCommand(t, st, in.ID), &want)
		got, err := st.Commands().GetForDevice(ctx, d.ID, in.ID)
		must(t, "GetForDevice", err)
		eqCommand(t, "GetForDevice", got, &want)
	})

	t.Run("CallerFieldsKept", func(t *testing.T) {
		created := time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond)
		in := commandFor(d.ID)
		in.ID, in.Status, in.CreatedAt, in.Payload = domain.NewID(), domain.CommandSent, created, nil
		in.ExpiresAt = time.Time{}
		want := *in
		must(t, "Create", st.Commands().Create(ctx, global, in))
		want.PartnerID, want.OrgID, want.SiteID = c.partner.ID, c.org.ID, c.site.ID
		eqCommand(t, "Get", getCommand(t, st, want.ID), &want)
		// Denormalised ids come from the device, not from the caller.
		foreign := newChain(t, st)
		in2 := commandFor(d.ID)
		in2.PartnerID, in2.OrgID, in2.SiteID = foreign.partner.ID, foreign.org.ID, foreign.site.ID
		must(t, "Create naming other tenants", st.Commands().Create(ctx, global, in2))
		got := getCommand(t, st, in2.ID)
		eqFields(t, "tenant ids of a command", field{"PartnerID", got.PartnerID, c.partner.ID},
			field{"OrgID", got.OrgID, c.org.ID}, field{"SiteID", got.SiteID, c.site.ID})
		err := st.Commands().Create(ctx, global, &domain.Command{ID: want.ID, DeviceID: d.ID, Action: "reboot"})
		wantIs(t, "Create with a taken id", err, domain.ErrConflict)
	})

	t.Run("Refused", func(t *testing.T) {
		before := commandIDs(t, st, global, ports.CommandFilter{DeviceID: d.ID}, 0)
		cases := []struct {
			name string
			edit func(*domain.Command)
			want []error
		}{
			{"UnknownDevice", func(c *domain.Command) { c.DeviceID = domain.NewID() }, []error{domain.ErrNotFound}},
			{"NetworkDevice", func(c *domain.Command) { c.DeviceID = netDev.ID }, []error{domain.ErrNotFound}},
			{"MalformedDevice", func(c *domain.Command) { c.DeviceID = "nope" }, []error{domain.ErrNotFound, domain.ErrInvalid}},
			{"NoDevice", func(c *domain.Command) { c.DeviceID = "" }, []error{domain.ErrNotFound, domain.ErrInvalid}},
			{"NoAction", func(c *domain.Command) { c.Action = "" }, []error{domain.ErrInvalid}},
			{"PayloadNotJSON", func(c *domain.Command) { c.Payload = json.RawMessage(`{"a":`) }, []error{domain.ErrInvalid}},
			{"UnknownStatus", func(c *domain.Command) { c.Status = "lost" }, []error{domain.ErrInvalid}},
			{"NegativeTimeout", func(c *domain.Command) { c.TimeoutSeconds = -1 }, []error{domain.ErrInvalid}},
			{"MalformedBatch", func(c *domain.Command) { c.BatchID = "batch" }, []error{domain.ErrInvalid}},
			{"MalformedID", func(c *domain.Command) { c.ID = "ABC" }, []error{domain.ErrInvalid}},
		}
		for _, tc := range cases {
			in := commandFor(d.ID)
			tc.edit(in)
			wantOneOf(t, tc.name, st.Commands().Create(ctx, global, in), tc.want...)
		}
		wantIDs(t, "commands after refused creates", ascending(commandIDs(t, st, global, ports.CommandFilter{DeviceID: d.ID}, 0)), ascending(before))
	})

	t.Run("GetForDevice", func(t *testing.T) {
		cmd := newCommand(t, st, d.ID)
		_, err := st.Commands().GetForDevice(ctx, other.ID, cmd.ID)
		wantIs(t, "GetForDevice of another device's command", err, domain.ErrNotFound)
		_, err = st.Commands().GetForDevice(ctx, d.ID, domain.NewID())
		wantIs(t, "GetForDevice of an unknown command", err, domain.ErrNotFound)
		for _, id := range malformedIDs(cmd.ID) {
			_, err = st.Commands().GetForDevice(ctx, d.ID, id)
			wantIs(t, "GetForDevice("+id+")", err, domain.ErrNotFound)
			_, err = st.Commands().Get(ctx, global, id)
			wantIs(t, "Get("+id+")", err, domain.ErrNotFound)
		}
	})

	t.Run("DeviceDeleteCascades", func(t *testing.T) {
		doomed := newDevice(t, st, c.site.ID, "")
		gone := newCommand(t, st, doomed.ID)
		kept := newCommand(t, st, d.ID)
		must(t, "Delete device", st.Devices().Delete(ctx, global, doomed.ID))
		_, err := st.Commands().Get(ctx, global, gone.ID)
		wantIs(t, "Get a command of a deleted device", err, domain.ErrNotFound)
		getCommand(t, st, kept.ID)
	})
}

// ascending returns a sorted copy.
func ascending(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// testCommandList: newest first, cursors, filters.
func testCommandList(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, other := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	batch := domain.NewID()
	var all, mine, batched []string
	for i := range 7 {
		cmd := newCommand(t, st, d.ID, func(c *domain.Command) {
			if i%3 == 0 {
				c.BatchID = batch
			}
		})
		all, mine = append(all, cmd.ID), append(mine, cmd.ID)
		if i%3 == 0 {
			batched = append(batched, cmd.ID)
		}
		all = append(all, newCommand(t, st, other.ID).ID)
	}
	newest := func(ids []string) []string {
		out := ascending(ids)
		slices.Reverse(out)
		return out
	}

	t.Run("NewestFirst", func(t *testing.T) {
		for _, limit := range []int{1, 3, 7, 100} {
			got := commandIDs(t, st, c.scope(), ports.CommandFilter{DeviceID: d.ID}, limit)
			if !slices.Equal(got, newest(mine)) {
				t.Errorf("limit %d: got %v, want %v (newest first)", limit, got, newest(mine))
			}
		}
		got := commandIDs(t, st, global, ports.CommandFilter{}, 4)
		if !slices.Equal(got, newest(all)) {
			t.Errorf("unfiltered: got %v, want %v", got, newest(all))
		}
		if !slices.Equal(mine, ascending(mine)) {
			t.Errorf("ids are not in creation order: %v", mine)
		}
	})

	t.Run("PageBoundaries", func(t *testing.T) {
		page, err := st.Commands().List(ctx, global, ports.CommandFilter{DeviceID: d.ID}, domain.PageRequest{Limit: 7})
		must(t, "List", err)
		eqFields(t, "a page holding the whole list", field{"items", len(page.Items), 7}, field{"NextCursor", page.NextCursor, ""})
		page, err = st.Commands().List(ctx, global, ports.CommandFilter{DeviceID: d.ID}, domain.PageRequest{Limit: 3})
		must(t, "List", err)
		if len(page.Items) != 3 || page.NextCursor == "" {
			t.Fatalf("first page: %d items, cursor %q", len(page.Items), page.NextCursor)
		}
		if page.NextCursor != domain.EncodeCursor(page.Items[2].ID) {
			t.Errorf("NextCursor = %q, want domain.EncodeCursor of the last item", page.NextCursor)
		}
		_, err = st.Commands().List(ctx, global, ports.CommandFilter{}, domain.PageRequest{Cursor: "not-a-cursor"})
		wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
	})

	t.Run("Filters", func(t *testing.T) {
		got := commandIDs(t, st, global, ports.CommandFilter{BatchID: batch}, 2)
		if !slices.Equal(got, newest(batched)) {
			t.Errorf("BatchID filter: got %v, want %v", got, newest(batched))
		}
		_, err := st.Commands().Transition(ctx, mine[1], []domain.CommandStatus{domain.CommandQueued},
			domain.CommandUpdate{Status: domain.CommandSent})
		must(t, "Transition", err)
		got = commandIDs(t, st, global, ports.CommandFilter{Status: domain.CommandSent}, 0)
		wantIDs(t, "Status filter", got, []string{mine[1]})
		got = commandIDs(t, st, global, ports.CommandFilter{DeviceID: d.ID, Status: domain.CommandQueued}, 0)
		wantIDs(t, "DeviceID and Status filters", ascending(got), slices.DeleteFunc(slices.Clone(mine), func(id string) bool { return id == mine[1] }))
		got = commandIDs(t, st, global, ports.CommandFilter{DeviceID: other.ID, BatchID: batch}, 0)
		wantIDs(t, "DeviceID and BatchID filters", got, nil)
		_, err = st.Commands().List(ctx, global, ports.CommandFilter{Status: "lost"}, domain.PageRequest{})
		wantIs(t, "List with an unknown status", err, domain.ErrInvalid)
		for _, id := range malformedIDs(d.ID) {
			if id == "" {
				continue
			}
			for _, f := range []ports.CommandFilter{{DeviceID: id}, {BatchID: id}} {
				page, err := st.Commands().List(ctx, global, f, domain.PageRequest{})
				if err != nil {
					wantIs(t, "List with a malformed filter id", err, domain.ErrNotFound)
				} else if len(page.Items) != 0 {
					t.Errorf("List with malformed filter %+v: %d items", f, len(page.Items))
				}
			}
		}
	})
}

// testCommandIdempotency: one command per (device, key).
func testCommandIdempotency(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, other := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	key := uniq("idem")
	first := newCommand(t, st, d.ID, func(c *domain.Command) { c.IdempotencyKey = key })

	again := commandFor(d.ID)
	again.IdempotencyKey, again.Action = key, "reboot"
	wantIs(t, "a second command with the key", st.Commands().Create(ctx, c.scope(), again), domain.ErrConflict)
	wantIDs(t, "the device's commands", commandIDs(t, st, global, ports.CommandFilter{DeviceID: d.ID}, 0), []string{first.ID})

	got, err := st.Commands().ByIdempotencyKey(ctx, c.scope(), d.ID, key)
	must(t, "ByIdempotencyKey", err)
	eqCommand(t, "ByIdempotencyKey", got, first)
	_, err = st.Commands().ByIdempotencyKey(ctx, c.scope(), other.ID, key)
	wantIs(t, "ByIdempotencyKey on another device", err, domain.ErrNotFound)
	_, err = st.Commands().ByIdempotencyKey(ctx, c.scope(), d.ID, uniq("unknown"))
	wantIs(t, "ByIdempotencyKey with an unknown key", err, domain.ErrNotFound)
	_, err = st.Commands().ByIdempotencyKey(ctx, c.scope(), d.ID, "")
	wantIs(t, "ByIdempotencyKey with no key", err, domain.ErrNotFound)
	foreign := newChain(t, st)
	_, err = st.Commands().ByIdempotencyKey(ctx, foreign.scope(), d.ID, key)
	wantIs(t, "ByIdempotencyKey from a foreign scope", err, domain.ErrNotFound)

	// The key is per device, and no key is no constraint.
	newCommand(t, st, other.ID, func(c *domain.Command) { c.IdempotencyKey = key })
	newCommand(t, st, d.ID)
	newCommand(t, st, d.ID)
}
