package storetest

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunNotify runs the notification route, delivery log and storm grouping
// cases.
func RunNotify(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Routes", testNotifyRoutes},
		{"Deliveries", testNotifyDeliveries},
		{"Groups", testNotifyGroups},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func newRoute(t testing.TB, st ports.Store, c chain) *domain.NotificationRoute {
	t.Helper()
	r := &domain.NotificationRoute{OrgID: c.org.ID, Name: uniq("route"), ChannelID: "breeze.webhook",
		Severities: []domain.Severity{domain.SeverityCritical}, Enabled: true, GroupAfter: 5, GroupIntervalSeconds: 300}
	must(t, "create route", st.NotificationRoutes().Create(t.Context(), c.scope(), r))
	return r
}

func testNotifyRoutes(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c, other := newChain(t, st), newChain(t, st)
	r := &domain.NotificationRoute{OrgID: c.org.ID, Name: uniq("ops"), ChannelID: "breeze.webhook",
		Severities: []domain.Severity{domain.SeverityWarning}, RatePerHour: 10, Enabled: true, GroupAfter: 3, GroupIntervalSeconds: 60}
	must(t, "create", st.NotificationRoutes().Create(ctx, c.scope(), r))
	checkNewID(t, "route", r.ID)
	if r.PartnerID != c.partner.ID || r.GroupAfter != 3 || r.GroupIntervalSeconds != 60 {
		t.Fatalf("created route: %+v", r)
	}
	bad := *r
	bad.ID, bad.Name, bad.GroupAfter = "", uniq("bad"), domain.MaxGroupAfter+1
	wantIs(t, "group after out of bounds", st.NotificationRoutes().Create(ctx, c.scope(), &bad), domain.ErrInvalid)

	// update: every mutable field, in scope only
	up := *r
	up.Name, up.Severities, up.RatePerHour, up.GroupAfter, up.GroupIntervalSeconds, up.Enabled =
		uniq("renamed"), []domain.Severity{domain.SeverityInfo, domain.SeverityCritical}, 0, 0, 0, false
	up.ChannelID = "other.channel"
	up.OrgID, up.PartnerID, up.CreatedBy = other.org.ID, other.partner.ID, "someone" // immutable: ignored
	got, err := st.NotificationRoutes().Update(ctx, c.scope(), &up)
	must(t, "update", err)
	if got.Name != up.Name || len(got.Severities) != 2 || got.RatePerHour != 0 || got.GroupAfter != 0 ||
		got.GroupIntervalSeconds != 0 || got.Enabled || got.ChannelID != "other.channel" || got.OrgID != c.org.ID ||
		got.PartnerID != c.partner.ID || got.CreatedBy != r.CreatedBy {
		t.Fatalf("updated route: %+v", got)
	}
	read, err := st.NotificationRoutes().Get(ctx, c.scope(), r.ID)
	must(t, "get", err)
	if read.Name != up.Name || read.Enabled || read.GroupIntervalSeconds != 0 {
		t.Fatalf("read back: %+v", read)
	}
	_, err = st.NotificationRoutes().Update(ctx, other.scope(), &up)
	wantIs(t, "update outside scope", err, domain.ErrNotFound)
	ghost := up
	ghost.ID = domain.NewID()
	_, err = st.NotificationRoutes().Update(ctx, c.scope(), &ghost)
	wantIs(t, "update unknown", err, domain.ErrNotFound)
	second := newRoute(t, st, c)
	taken := *second
	taken.Name = up.Name
	_, err = st.NotificationRoutes().Update(ctx, c.scope(), &taken)
	wantIs(t, "update to a taken name", err, domain.ErrConflict)
	neg := *second
	neg.GroupIntervalSeconds = -1
	_, err = st.NotificationRoutes().Update(ctx, c.scope(), &neg)
	wantIs(t, "negative interval", err, domain.ErrInvalid)
	// a partner default: an org holder cannot change it
	pd := &domain.NotificationRoute{PartnerID: c.partner.ID, Name: uniq("default"), ChannelID: "breeze.webhook",
		Severities: []domain.Severity{domain.SeverityCritical}, Enabled: true}
	must(t, "partner default", st.NotificationRoutes().Create(ctx, c.scope(), pd))
	pd.Name = uniq("x")
	_, err = st.NotificationRoutes().Update(ctx, domain.Scope{OrgIDs: []string{c.org.ID}}, pd)
	wantIs(t, "org holder updates the partner default", err, domain.ErrNotFound)
	for _, rt := range []*domain.NotificationRoute{read, second} {
		got, err := st.NotificationRoutes().Get(ctx, c.scope(), rt.ID)
		must(t, "get after refused writes", err)
		if got.Name != rt.Name {
			t.Fatalf("a refused update changed %s: %q", rt.ID, got.Name)
		}
	}
}

func testNotifyDeliveries(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c, other := newChain(t, st), newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	rule := newRule(t, st, c.partner.ID, c.org.ID)
	a, _, err := st.Alerts().Open(ctx, openAlert(rule.ID, dev.ID))
	must(t, "open", err)
	r1, r2 := newRoute(t, st, c), newRoute(t, st, c)
	until := time.Now().UTC().Add(time.Hour).Truncate(time.Millisecond)
	rows := []*domain.NotificationDelivery{
		{AlertID: a.ID, RouteID: r1.ID, ChannelID: "breeze.webhook", Transition: domain.AlertOpen, Attempt: 1,
			Outcome: domain.DeliveryHeld, Detail: "maintenance", HeldUntil: until},
		{AlertID: a.ID, RouteID: r1.ID, ChannelID: "breeze.webhook", Transition: domain.AlertOpen, Attempt: 1,
			Outcome: domain.DeliveryDelivered, LatencyMS: 12},
		{AlertID: a.ID, RouteID: r1.ID, ChannelID: "breeze.webhook", Transition: domain.AlertOpen, Reminder: 2, Attempt: 1,
			Outcome: domain.DeliveryGrouped, DigestID: "digest-1"},
		{AlertID: a.ID, RouteID: r2.ID, ChannelID: "breeze.webhook", Transition: domain.AlertResolved, Attempt: 1,
			Outcome: domain.DeliverySuppressed},
	}
	for _, d := range rows {
		must(t, "record "+d.Outcome, st.NotificationDeliveries().Record(ctx, d))
	}
	if !sameTime(rows[0].HeldUntil, until) || !rows[1].HeldUntil.IsZero() || rows[2].Reminder != 2 || rows[2].DigestID != "digest-1" {
		t.Fatalf("recorded rows: %+v %+v %+v", rows[0], rows[1], rows[2])
	}
	bad := &domain.NotificationDelivery{AlertID: a.ID, RouteID: r1.ID, Transition: domain.AlertOpen, Attempt: 1, Outcome: "lost"}
	if err := st.NotificationDeliveries().Record(ctx, bad); err == nil {
		t.Fatal("an unknown outcome was recorded")
	}
	for _, tc := range []struct {
		tr       domain.AlertState
		reminder int
		route    string
		want     bool
	}{
		{domain.AlertOpen, 0, r1.ID, true},
		{domain.AlertOpen, 2, r1.ID, false}, // grouped is not delivered
		{domain.AlertOpen, 0, r2.ID, false},
		{domain.AlertResolved, 0, r2.ID, false},
	} {
		got, err := st.NotificationDeliveries().Delivered(ctx, a.ID, tc.tr, tc.reminder, tc.route)
		must(t, "delivered", err)
		if got != tc.want {
			t.Fatalf("delivered(%s, %d, route %s) = %v, want %v", tc.tr, tc.reminder, tc.route, got, tc.want)
		}
	}
	page, err := st.NotificationDeliveries().List(ctx, c.scope(), ports.DeliveryFilter{AlertID: a.ID, RouteID: r1.ID}, domain.PageRequest{})
	must(t, "list by route", err)
	wantIDs(t, "route's rows", ids(page.Items, func(d *domain.NotificationDelivery) string { return d.ID }),
		[]string{rows[0].ID, rows[1].ID, rows[2].ID})
	got := page.Items[0]
	if got.Outcome != domain.DeliveryHeld || !sameTime(got.HeldUntil, until) || got.Detail != "maintenance" {
		t.Fatalf("held row read back: %+v", got)
	}
	checkUTC(t, "held until", got.HeldUntil)
	if page.Items[2].Reminder != 2 || page.Items[2].DigestID != "digest-1" || !page.Items[1].HeldUntil.IsZero() {
		t.Fatalf("rows read back: %+v %+v", page.Items[1], page.Items[2])
	}
	page, err = st.NotificationDeliveries().List(ctx, c.scope(), ports.DeliveryFilter{Outcome: domain.DeliverySuppressed}, domain.PageRequest{})
	must(t, "list suppressed", err)
	wantIDs(t, "suppressed", ids(page.Items, func(d *domain.NotificationDelivery) string { return d.ID }), []string{rows[3].ID})
	page, err = st.NotificationDeliveries().List(ctx, other.scope(), ports.DeliveryFilter{RouteID: r1.ID}, domain.PageRequest{})
	must(t, "list outside scope", err)
	if len(page.Items) != 0 {
		t.Fatalf("another tenant lists %d rows", len(page.Items))
	}
	page, err = st.NotificationDeliveries().List(ctx, c.scope(), ports.DeliveryFilter{RouteID: "not-a-uuid"}, domain.PageRequest{})
	if err == nil && len(page.Items) != 0 {
		t.Fatalf("a malformed route filter lists %d rows", len(page.Items))
	}
}

// testNotifyGroups: racing joiners of one window get distinct positions
// 1..n, the ones past `after` grouped; joining again changes nothing; one
// claim takes the grouped members, a second digest gets none of them.
func testNotifyGroups(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	rule := newRule(t, st, c.partner.ID, c.org.ID)
	route := newRoute(t, st, c)
	const n, after = 12, 3
	alerts := make([]*domain.Alert, n)
	for i := range alerts {
		dev := newDevice(t, st, c.site.ID, "")
		a, _, err := st.Alerts().Open(ctx, openAlert(rule.ID, dev.ID))
		must(t, "open", err)
		alerts[i] = a
	}
	start := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	w := domain.GroupWindow{RouteID: route.ID, OrgID: c.org.ID, RuleID: rule.ID, Kind: string(domain.AlertOpen), Start: start, End: start.Add(5 * time.Minute)}
	members := make([]*domain.GroupMember, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			members[i], errs[i] = st.NotificationGroups().Join(ctx, &domain.GroupMember{GroupWindow: w, AlertID: alerts[i].ID}, after)
		}()
	}
	wg.Wait()
	seqs := []int{}
	grouped := 0
	for i, m := range members {
		must(t, "join", errs[i])
		seqs = append(seqs, m.Seq)
		if m.Grouped != (m.Seq > after) || m.AlertID != alerts[i].ID || !sameTime(m.Start, start) || m.DigestID != "" {
			t.Fatalf("member %d: %+v", i, m)
		}
		if m.Grouped {
			grouped++
		}
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("positions %v, want 1..%d each once", seqs, n)
		}
	}
	// joining again (a retry, a restart) keeps the first place, even from
	// a later window
	later := w
	later.Start, later.End = w.End, w.End.Add(5*time.Minute)
	again, err := st.NotificationGroups().Join(ctx, &domain.GroupMember{GroupWindow: later, AlertID: alerts[0].ID}, after)
	must(t, "join again", err)
	if again.Seq != members[0].Seq || !sameTime(again.Start, start) {
		t.Fatalf("joined again: %+v, first %+v", again, members[0])
	}
	// a reminder of the same alert is another member
	rem, err := st.NotificationGroups().Join(ctx, &domain.GroupMember{GroupWindow: domain.GroupWindow{RouteID: route.ID, OrgID: c.org.ID, RuleID: rule.ID,
		Kind: domain.GroupKindReminder, Start: start, End: w.End}, AlertID: alerts[0].ID, Reminder: 1}, after)
	must(t, "join a reminder", err)
	if rem.Seq != 1 || rem.Grouped {
		t.Fatalf("first reminder of its window: %+v", rem)
	}
	// another org of the partner (a partner default route) has windows
	// of its own
	org2 := newOrg(t, st, c.partner.ID)
	for i, org := range []string{c.org.ID, org2.ID} {
		ack := w
		ack.Kind, ack.OrgID = string(domain.AlertAcknowledged), org
		m, err := st.NotificationGroups().Join(ctx, &domain.GroupMember{GroupWindow: ack, AlertID: alerts[i].ID}, after)
		must(t, "join an acknowledgement", err)
		if m.Seq != 1 || m.OrgID != org {
			t.Fatalf("first acknowledgement of org %d: %+v", i, m)
		}
	}
	_, err = st.NotificationGroups().Join(ctx, &domain.GroupMember{GroupWindow: w, AlertID: domain.NewID()}, after)
	wantIs(t, "join for an unknown alert", err, domain.ErrNotFound)

	due, err := st.NotificationGroups().Due(ctx, time.Now(), 100)
	must(t, "due", err)
	if len(due) != 1 || due[0].RouteID != route.ID || !sameTime(due[0].Start, start) || due[0].Kind != "open" {
		t.Fatalf("due windows: %+v", due)
	}
	notYet, err := st.NotificationGroups().Due(ctx, w.End.Add(-time.Second), 100)
	must(t, "due before the end", err)
	if len(notYet) != 0 {
		t.Fatalf("a window not ended is due: %+v", notYet)
	}
	claimed, err := st.NotificationGroups().Claim(ctx, w, "digest-a")
	must(t, "claim", err)
	if len(claimed) != grouped {
		t.Fatalf("claimed %d, want the %d grouped", len(claimed), grouped)
	}
	for i, m := range claimed {
		if m.Seq != after+1+i || m.DigestID != "digest-a" || !m.Grouped {
			t.Fatalf("claimed %d: %+v", i, m)
		}
	}
	again2, err := st.NotificationGroups().Claim(ctx, w, "digest-a")
	must(t, "claim again", err)
	if len(again2) != grouped {
		t.Fatalf("the same digest claims again: %d", len(again2))
	}
	none, err := st.NotificationGroups().Claim(ctx, w, "digest-b")
	must(t, "another digest", err)
	if len(none) != 0 {
		t.Fatalf("a second digest took %d members", len(none))
	}
	due, err = st.NotificationGroups().Due(ctx, time.Now(), 100)
	must(t, "due after the claim", err)
	if len(due) != 0 {
		t.Fatalf("claimed windows still due: %+v", due)
	}
	// pruning forgets the ended window
	pruned, err := st.NotificationGroups().Prune(ctx, w.End.Add(time.Second))
	must(t, "prune", err)
	if pruned != n+3 {
		t.Fatalf("pruned %d members, want %d", pruned, n+3)
	}
}
