package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// auditIn returns an unsaved success entry by actorID on a device.
func auditIn(actorID, partnerID, orgID string) *domain.AuditEntry {
	return &domain.AuditEntry{
		ActorType:    "user",
		ActorID:      actorID,
		Action:       "devices.update",
		ResourceType: "device",
		ResourceID:   domain.NewID(),
		PartnerID:    partnerID,
		OrgID:        orgID,
		Outcome:      domain.OutcomeSuccess,
		IP:           "198.51.100.4",
		UserAgent:    "storetest",
		RequestID:    uniq("req"),
		Details:      `{"field":"hostname"}`,
	}
}

func appendAudit(t testing.TB, st ports.Store, e *domain.AuditEntry) *domain.AuditEntry {
	t.Helper()
	must(t, "Append", st.Audit().Append(t.Context(), e))
	return e
}

func eqAudit(t testing.TB, what string, got, want *domain.AuditEntry) {
	t.Helper()
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"Seq", got.Seq, want.Seq},
		field{"At", got.At, want.At},
		field{"ActorType", got.ActorType, want.ActorType},
		field{"ActorID", got.ActorID, want.ActorID},
		field{"Action", got.Action, want.Action},
		field{"ResourceType", got.ResourceType, want.ResourceType},
		field{"ResourceID", got.ResourceID, want.ResourceID},
		field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID},
		field{"Outcome", got.Outcome, want.Outcome},
		field{"IP", got.IP, want.IP},
		field{"UserAgent", got.UserAgent, want.UserAgent},
		field{"RequestID", got.RequestID, want.RequestID},
		field{"Details", got.Details, want.Details},
		field{"PrevHash", got.PrevHash, want.PrevHash},
		field{"Hash", got.Hash, want.Hash},
	)
	// The stored row must verify exactly, not only within a millisecond.
	if got.At.UnixMicro() != want.At.UnixMicro() {
		t.Errorf("%s: At = %v, want %v to the microsecond", what, got.At, want.At)
	}
	checkUTC(t, what+" At", got.At)
}

// listAudit pages through a filtered audit list and returns the entries.
func listAudit(t testing.TB, st ports.Store, s domain.Scope, f ports.AuditFilter, limit int) []*domain.AuditEntry {
	t.Helper()
	var out []*domain.AuditEntry
	identPages(t, "List audit", limit, func(req domain.PageRequest) ([]string, string, error) {
		p, err := st.Audit().List(t.Context(), s, f, req)
		ids := make([]string, len(p.Items))
		for i, e := range p.Items {
			ids[i] = e.ID
		}
		out = append(out, p.Items...)
		return ids, p.NextCursor, err
	})
	return out
}

func auditIDs(es []*domain.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// wantNewestFirst asserts es are in strictly descending Seq order.
func wantNewestFirst(t testing.TB, what string, es []*domain.AuditEntry) {
	t.Helper()
	for i := 1; i < len(es); i++ {
		if es[i].Seq >= es[i-1].Seq {
			t.Errorf("%s: not newest first at %d: seq %d then %d", what, i, es[i-1].Seq, es[i].Seq)
		}
	}
}

// wantAuditExactly asserts a list holds exactly want (given oldest first), newest first.
func wantAuditExactly(t testing.TB, what string, got []*domain.AuditEntry, want ...*domain.AuditEntry) {
	t.Helper()
	var ids []string
	for i := len(want) - 1; i >= 0; i-- {
		ids = append(ids, want[i].ID)
	}
	if g := auditIDs(got); strings.Join(g, ",") != strings.Join(ids, ",") {
		t.Errorf("%s:\n got  %v\n want %v (newest first)", what, g, ids)
	}
}

func wantIntact(t testing.TB, st ports.Store, what string, wantChecked int64) {
	t.Helper()
	broken, checked, err := st.Audit().Verify(t.Context())
	must(t, what+": Verify", err)
	if broken != nil {
		t.Errorf("%s: Verify reports a break: %+v", what, *broken)
	}
	if wantChecked >= 0 && checked != wantChecked {
		t.Errorf("%s: Verify checked %d rows, want %d", what, checked, wantChecked)
	}
}

func testIdentAudit(t *testing.T, f IdentityFactory, st ports.Store) {
	t.Run("EmptyLogVerifies", func(t *testing.T) { auditEmpty(t, f(t)) })
	t.Run("AppendChainsRows", func(t *testing.T) { auditAppend(t, f(t)) })
	t.Run("ConcurrentAppendsFormOneChain", func(t *testing.T) { auditRace(t, f(t)) })
	t.Run("AppendTruncatesFreeText", func(t *testing.T) { auditTruncate(t, st) })
	t.Run("AppendSurvivesHostileText", func(t *testing.T) { auditHostileText(t, st) })
	t.Run("ListNewestFirstWithCursor", func(t *testing.T) { auditPaging(t, st) })
	t.Run("ListFilters", func(t *testing.T) { auditFilters(t, st) })
	t.Run("Visibility", func(t *testing.T) { auditVisibility(t, st) })
	t.Run("VerifyAfterEverything", func(t *testing.T) { wantIntact(t, st, "shared log", -1) })
}

func auditEmpty(t *testing.T, st ports.Store) {
	broken, checked, err := st.Audit().Verify(t.Context())
	must(t, "Verify", err)
	if broken != nil || checked != 0 {
		t.Errorf("Verify on an empty log = %+v, %d; want nil, 0", broken, checked)
	}
	p, err := st.Audit().List(t.Context(), global, ports.AuditFilter{}, domain.PageRequest{})
	must(t, "List", err)
	if len(p.Items) != 0 || p.NextCursor != "" {
		t.Errorf("List on an empty log = %d items, cursor %q", len(p.Items), p.NextCursor)
	}
}

func auditAppend(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	before := time.Now()
	var rows []*domain.AuditEntry
	for i := range 3 {
		e := auditIn(domain.NewID(), tr.P1.ID, tr.A.ID)
		e.Action = fmt.Sprintf("test.step%d", i)
		must(t, "Append", st.Audit().Append(ctx, e))
		rows = append(rows, e)
	}
	prev := ""
	for i, e := range rows {
		what := fmt.Sprintf("row %d", i)
		eqFields(t, what, field{"Seq", e.Seq, int64(i + 1)}, field{"PrevHash", e.PrevHash, prev})
		checkNewID(t, what, e.ID)
		checkUTC(t, what+" At", e.At)
		if e.At.Before(before.Add(-time.Second)) || e.At.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: At = %v, not near now", what, e.At)
		}
		if e.At.Nanosecond()%1000 != 0 {
			t.Errorf("%s: At = %v is not truncated to the microsecond", what, e.At)
		}
		if want := e.ComputeHash(e.PrevHash); e.Hash != want {
			t.Errorf("%s: Hash = %q, want ComputeHash(PrevHash) = %q", what, e.Hash, want)
		}
		prev = e.Hash
	}

	// A caller's ID and At are kept.
	own := auditIn("", "", "")
	own.ID, own.ActorType, own.Action = domain.NewID(), "system", "system.job"
	own.At = time.Date(2020, 2, 29, 12, 0, 0, 123456789, time.UTC)
	must(t, "Append with ID and At", st.Audit().Append(ctx, own))
	eqFields(t, "caller-chosen row", field{"Seq", own.Seq, int64(4)}, field{"PrevHash", own.PrevHash, prev})
	if own.At.UnixMicro() != time.Date(2020, 2, 29, 12, 0, 0, 123456000, time.UTC).UnixMicro() {
		t.Errorf("caller-chosen At = %v", own.At)
	}
	if want := own.ComputeHash(own.PrevHash); own.Hash != want {
		t.Errorf("caller-chosen row: Hash = %q, want %q", own.Hash, want)
	}
	rows = append(rows, own)

	got := listAudit(t, st, global, ports.AuditFilter{}, 10)
	if len(got) != len(rows) {
		t.Fatalf("List = %d rows, want %d", len(got), len(rows))
	}
	for i, e := range got {
		eqAudit(t, fmt.Sprintf("listed row %d", i), e, rows[len(rows)-1-i])
	}
	wantIntact(t, st, "after 4 appends", 4)

	// A duplicate caller-chosen ID is refused and does not break the chain.
	dup := auditIn("", "", "")
	dup.ID = own.ID
	wantOneOf(t, "Append with a taken ID", st.Audit().Append(ctx, dup), domain.ErrConflict, domain.ErrInvalid)
	wantIntact(t, st, "after a refused append", 4)
	next := appendAudit(t, st, auditIn("", "", ""))
	eqFields(t, "row after the refused append", field{"Seq", next.Seq, int64(5)}, field{"PrevHash", next.PrevHash, own.Hash})
}

func auditRace(t *testing.T, st ports.Store) {
	const n = 32
	ctx := t.Context()
	entries := make([]*domain.AuditEntry, n)
	for i := range entries {
		entries[i] = auditIn(domain.NewID(), "", "")
		entries[i].Action = fmt.Sprintf("race.%d", i)
	}
	errs := identRace(n, func(i int) error { return st.Audit().Append(ctx, entries[i]) })
	seen := map[int64]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("Append %d: %v", i, err)
			continue
		}
		if j, dup := seen[entries[i].Seq]; dup {
			t.Errorf("appends %d and %d both got seq %d", j, i, entries[i].Seq)
		}
		seen[entries[i].Seq] = i
	}
	for s := int64(1); s <= n; s++ {
		if _, ok := seen[s]; !ok {
			t.Errorf("no append got seq %d", s)
		}
	}
	wantIntact(t, st, "after concurrent appends", n)
	got := listAudit(t, st, global, ports.AuditFilter{}, 7)
	if len(got) != n {
		t.Errorf("List = %d rows, want %d", len(got), n)
	}
	wantNewestFirst(t, "List", got)
	for _, e := range got {
		if i, ok := seen[e.Seq]; ok {
			eqAudit(t, fmt.Sprintf("listed seq %d", e.Seq), e, entries[i])
		}
	}
}

func auditTruncate(t *testing.T, st ports.Store) {
	tr := newIdentTree(t, st)
	e := auditIn(domain.NewID(), tr.P1.ID, "")
	e.UserAgent = strings.Repeat("u", 2000)
	e.IP = strings.Repeat("1", 100)
	e.RequestID = strings.Repeat("r", 100)
	e.Details = `{"x":"` + strings.Repeat("d", 9000) + `"}`
	appendAudit(t, st, e)
	eqFields(t, "appended row",
		field{"len(UserAgent)", len(e.UserAgent), 512}, field{"len(IP)", len(e.IP), 64},
		field{"len(RequestID)", len(e.RequestID), 64}, field{"len(Details)", len(e.Details), 8192})
	if want := e.ComputeHash(e.PrevHash); e.Hash != want {
		t.Errorf("Hash = %q, want the hash of the truncated row %q", e.Hash, want)
	}
	got := listAudit(t, st, partnerScopeOf(tr.P1.ID), ports.AuditFilter{}, 10)
	if len(got) != 1 {
		t.Fatalf("List = %d rows, want 1", len(got))
	}
	eqAudit(t, "stored row", got[0], e)
}

// auditHostileText: header values are bytes, not always UTF-8, and cutting a
// long one may split a character; neither may stop the row from being
// written, and what is stored must verify.
func auditHostileText(t *testing.T, st ports.Store) {
	for _, c := range []struct{ name, ua string }{
		{"MultibyteCutMidCharacter", strings.Repeat("€", 300)},
		{"InvalidUTF8", "curl/8 \xff\xfe\xc3("},
		{"Latin1Bytes", "Mozilla \xe9t\xe9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := newIdentTree(t, st)
			e := auditIn(domain.NewID(), tr.P1.ID, tr.A.ID)
			e.UserAgent = c.ua
			e.RequestID = "r" + strings.Repeat("ü", 40) // 81 bytes: the cut at 64 splits a character
			if err := st.Audit().Append(t.Context(), e); err != nil {
				t.Fatalf("Append with user agent %q: %v", c.ua, err)
			}
			if want := e.ComputeHash(e.PrevHash); e.Hash != want {
				t.Errorf("Hash = %q, want %q", e.Hash, want)
			}
			got := listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{}, 10)
			if len(got) != 1 {
				t.Fatalf("List = %d rows, want 1", len(got))
			}
			eqAudit(t, "stored row", got[0], e)
			wantIntact(t, st, "after a hostile row", -1)
		})
	}
}

func auditPaging(t *testing.T, st ports.Store) {
	tr := newIdentTree(t, st)
	var rows []*domain.AuditEntry
	for range 7 {
		rows = append(rows, appendAudit(t, st, auditIn(domain.NewID(), tr.P1.ID, tr.A.ID)))
	}
	for _, limit := range []int{1, 3, 7, 8} {
		got := listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{}, limit)
		wantAuditExactly(t, fmt.Sprintf("List limit %d", limit), got, rows...)
	}
	// A page that ends the list has no cursor.
	p, err := st.Audit().List(t.Context(), orgScopeOf(tr.A.ID), ports.AuditFilter{}, domain.PageRequest{Limit: 7})
	must(t, "List", err)
	if len(p.Items) != 7 || p.NextCursor != "" {
		t.Errorf("List limit 7 of 7 rows = %d items, cursor %q; want 7 and no cursor", len(p.Items), p.NextCursor)
	}
	// Rows appended while paging do not shift the pages already read.
	p, err = st.Audit().List(t.Context(), orgScopeOf(tr.A.ID), ports.AuditFilter{}, domain.PageRequest{Limit: 3})
	must(t, "List", err)
	appendAudit(t, st, auditIn(domain.NewID(), tr.P1.ID, tr.A.ID))
	p2, err := st.Audit().List(t.Context(), orgScopeOf(tr.A.ID), ports.AuditFilter{}, domain.PageRequest{Limit: 3, Cursor: p.NextCursor})
	must(t, "List page 2", err)
	wantAuditExactly(t, "page 2 after a new append", p2.Items, rows[1], rows[2], rows[3])

	_, err = st.Audit().List(t.Context(), global, ports.AuditFilter{}, domain.PageRequest{Cursor: "!!"})
	wantIs(t, "List with a malformed cursor", err, domain.ErrInvalid)
}

func auditFilters(t *testing.T, st ports.Store) {
	tr := newIdentTree(t, st)
	base := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	actor1, actor2 := domain.NewID(), domain.NewID()
	resource := domain.NewID()
	mk := func(i int, actor, action, rtype, rid, org string) *domain.AuditEntry {
		e := auditIn(actor, tr.P1.ID, org)
		e.At = base.Add(time.Duration(i) * time.Minute)
		e.Action, e.ResourceType, e.ResourceID = action, rtype, rid
		return appendAudit(t, st, e)
	}
	r0 := mk(0, actor1, "devices.update", "device", resource, tr.A.ID)
	r1 := mk(1, actor2, "devices.update", "device", domain.NewID(), tr.A.ID)
	r2 := mk(2, actor1, "scripts.run", "script", resource, tr.B.ID)
	r3 := mk(3, actor2, "auth.login", "user", actor2, "")
	r4 := mk(4, actor1, "devices.update", "device", resource, tr.B.ID)
	r5 := mk(5, actor2, "devices.delete", "device", resource, tr.A.ID)

	p1 := partnerScopeOf(tr.P1.ID)
	for _, c := range []struct {
		name string
		f    ports.AuditFilter
		want []*domain.AuditEntry
	}{
		{"None", ports.AuditFilter{}, []*domain.AuditEntry{r0, r1, r2, r3, r4, r5}},
		{"Actor", ports.AuditFilter{ActorID: actor1}, []*domain.AuditEntry{r0, r2, r4}},
		{"Action", ports.AuditFilter{Action: "devices.update"}, []*domain.AuditEntry{r0, r1, r4}},
		{"ResourceTypeAndID", ports.AuditFilter{ResourceType: "device", ResourceID: resource}, []*domain.AuditEntry{r0, r4, r5}},
		{"ResourceType", ports.AuditFilter{ResourceType: "device"}, []*domain.AuditEntry{r0, r1, r4, r5}},
		{"Org", ports.AuditFilter{OrgID: tr.B.ID}, []*domain.AuditEntry{r2, r4}},
		{"From", ports.AuditFilter{From: r3.At}, []*domain.AuditEntry{r3, r4, r5}},
		{"To", ports.AuditFilter{To: r2.At}, []*domain.AuditEntry{r0, r1}},
		{"FromToIsHalfOpen", ports.AuditFilter{From: r1.At, To: r4.At}, []*domain.AuditEntry{r1, r2, r3}},
		{"Combined", ports.AuditFilter{ActorID: actor1, Action: "devices.update", OrgID: tr.B.ID}, []*domain.AuditEntry{r4}},
		{"ActionIsExact", ports.AuditFilter{Action: "devices.%"}, nil},
		{"UnknownActor", ports.AuditFilter{ActorID: domain.NewID()}, nil},
		{"OrgOfAnotherPartner", ports.AuditFilter{OrgID: tr.C.ID}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := listAudit(t, st, p1, c.f, 2)
			wantAuditExactly(t, "List", got, c.want...)
		})
	}
	t.Run("OrgFilterUnderOrgScope", func(t *testing.T) {
		wantAuditExactly(t, "own org", listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{OrgID: tr.A.ID}, 2), r0, r1, r5)
		wantAuditExactly(t, "sibling org", listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{OrgID: tr.B.ID}, 2))
	})
}

func auditVisibility(t *testing.T, st ports.Store) {
	tr := newIdentTree(t, st)
	rows := map[string]*domain.AuditEntry{
		"A":    appendAudit(t, st, auditIn(domain.NewID(), tr.P1.ID, tr.A.ID)),
		"B":    appendAudit(t, st, auditIn(domain.NewID(), tr.P1.ID, tr.B.ID)),
		"P1":   appendAudit(t, st, auditIn(domain.NewID(), tr.P1.ID, "")),
		"C":    appendAudit(t, st, auditIn(domain.NewID(), tr.P2.ID, tr.C.ID)),
		"P2":   appendAudit(t, st, auditIn(domain.NewID(), tr.P2.ID, "")),
		"none": appendAudit(t, st, auditIn(domain.NewID(), "", "")),
	}
	labels, byLabel := idLabels{}, map[string]string{}
	for l, e := range rows {
		labels[e.ID], byLabel[l] = l, e.ID
	}
	for _, c := range []struct {
		name  string
		scope domain.Scope
		sees  []string
	}{
		{"Global", global, []string{"A", "B", "P1", "C", "P2", "none"}},
		{"PartnerP1", partnerScopeOf(tr.P1.ID), []string{"A", "B", "P1"}},
		{"PartnerP2", partnerScopeOf(tr.P2.ID), []string{"C", "P2"}},
		{"OrgA", orgScopeOf(tr.A.ID), []string{"A"}},
		{"OrgsAAndC", orgScopeOf(tr.A.ID, tr.C.ID), []string{"A", "C"}},
		{"SiteS1", siteScopeOf(tr.S1.ID), nil},
		{"Empty", domain.Scope{}, nil},
		{"IDsAtTheWrongLevel", wrongLevelScope(tr), nil},
		{"EmptyAndMalformedIDs", emptyIDsScope, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := listAudit(t, st, c.scope, ports.AuditFilter{}, 50)
			wantNewestFirst(t, "List", got)
			seen := map[string]bool{}
			for _, e := range got {
				seen[e.ID] = true
				l, fixture := labels[e.ID]
				switch {
				case fixture && !hasLabel(c.sees, l):
					t.Errorf("List shows row %s, which the scope must not see", l)
				case !fixture && !c.scope.Global:
					if !auditVisible(c.scope, e) {
						t.Errorf("List shows another test's row %s (partner %q, org %q)", e.ID, e.PartnerID, e.OrgID)
					}
				}
			}
			for _, l := range c.sees {
				if !seen[byLabel[l]] {
					t.Errorf("List does not show row %s", l)
				}
			}
		})
	}
	t.Run("FilterCannotWiden", func(t *testing.T) {
		got := listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{OrgID: tr.C.ID}, 10)
		if len(got) != 0 {
			t.Errorf("org A caller filtering by org C sees %d rows", len(got))
		}
		got = listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{ActorID: rows["P1"].ActorID}, 10)
		if len(got) != 0 {
			t.Errorf("org A caller filtering by the partner-level row's actor sees %d rows", len(got))
		}
	})
}

// auditVisible is the port's visibility rule for an audit row.
func auditVisible(s domain.Scope, e *domain.AuditEntry) bool {
	switch {
	case e.OrgID != "":
		return s.CoversOrg(e.PartnerID, e.OrgID)
	case e.PartnerID != "":
		return s.CoversPartner(e.PartnerID)
	}
	return s.Global
}
