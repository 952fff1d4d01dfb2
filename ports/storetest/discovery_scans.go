package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunDiscoveryScans runs the scan job cases.
func RunDiscoveryScans(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Jobs", testScanJobs},
		{"Isolation", testScanIsolation},
		{"Pages", testScanPages},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

func scanJobIn(siteID string) *domain.ScanJob {
	return &domain.ScanJob{SiteID: siteID, ProfileID: domain.NewID(), Status: domain.ScanQueued, Phase: domain.PhaseSweep,
		Addresses: 256, RequestedBy: "u1", Deadline: time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond),
		Plan: []byte(`{"targets": ["10.0.0.0/24"]}`)}
}

func testScanJobs(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	j := scanJobIn(c.site.ID)
	deadline := j.Deadline
	must(t, "create", st.DiscoveryScans().Create(ctx, c.scope(), j))
	checkNewID(t, "scan", j.ID)
	if j.PartnerID != c.partner.ID || j.OrgID != c.org.ID || j.Status != domain.ScanQueued || j.Addresses != 256 {
		t.Fatalf("created %+v", j)
	}
	checkUTC(t, "created", j.CreatedAt)
	got, err := st.DiscoveryScans().Get(ctx, domain.Scope{SiteIDs: []string{c.site.ID}}, j.ID)
	must(t, "get by a site holder", err)
	if !sameTime(got.Deadline, deadline) || got.ProfileID != j.ProfileID || got.RequestedBy != "u1" ||
		got.StartedAt != nil || len(got.Commands) != 0 || string(got.Plan) == "" {
		t.Fatalf("read back %+v", got)
	}
	// transitions: queued → running; a second start conflicts.
	now := time.Now().UTC()
	run, err := st.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanQueued},
		domain.ScanJobUpdate{Status: domain.ScanRunning, StartedAt: &now})
	must(t, "start", err)
	if run.Status != domain.ScanRunning || run.StartedAt == nil || !sameTime(*run.StartedAt, now) {
		t.Fatalf("started %+v", run)
	}
	cur, err := st.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanQueued},
		domain.ScanJobUpdate{Status: domain.ScanRunning})
	wantIs(t, "second start", err, domain.ErrConflict)
	if cur == nil || cur.Status != domain.ScanRunning {
		t.Fatalf("conflict returns the stored job, got %+v", cur)
	}
	// a phase move only from the named phase
	_, err = st.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanRunning},
		domain.ScanJobUpdate{Status: domain.ScanRunning, Phase: domain.PhaseSweep, OnlyInPhase: domain.PhaseProbe})
	wantIs(t, "phase guard", err, domain.ErrConflict)
	pr, err := st.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanRunning},
		domain.ScanJobUpdate{Status: domain.ScanRunning, Phase: domain.PhaseProbe, OnlyInPhase: domain.PhaseSweep})
	must(t, "to probe", err)
	if pr.Phase != domain.PhaseProbe {
		t.Fatalf("phase %q", pr.Phase)
	}
	// partial only turns on
	fin, err := st.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanRunning},
		domain.ScanJobUpdate{Status: domain.ScanFailed, Partial: true, Error: "plugin crashed", FinishedAt: &now})
	must(t, "fail", err)
	if !fin.Partial || fin.Error != "plugin crashed" || fin.FinishedAt == nil {
		t.Fatalf("failed %+v", fin)
	}
	again, err := st.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanFailed},
		domain.ScanJobUpdate{Status: domain.ScanFailed})
	must(t, "repeat", err)
	if !again.Partial {
		t.Fatal("partial turned off by an update without it")
	}
	_, err = st.DiscoveryScans().Transition(ctx, domain.NewID(), []domain.ScanStatus{domain.ScanQueued}, domain.ScanJobUpdate{})
	wantIs(t, "unknown job", err, domain.ErrNotFound)

	// list filters
	j2 := scanJobIn(c.site.ID)
	must(t, "create second", st.DiscoveryScans().Create(ctx, c.scope(), j2))
	page, err := st.DiscoveryScans().List(ctx, c.scope(), ports.ScanFilter{OrgID: c.org.ID}, domain.PageRequest{})
	must(t, "list", err)
	// Newest first: the scans page shows the latest scan on top.
	if got := ids(page.Items, func(j *domain.ScanJob) string { return j.ID }); !slices.Equal(got, []string{j2.ID, j.ID}) {
		t.Fatalf("list by org: got %v, want newest first %v", got, []string{j2.ID, j.ID})
	}
	first, err := st.DiscoveryScans().List(ctx, c.scope(), ports.ScanFilter{OrgID: c.org.ID}, domain.PageRequest{Limit: 1})
	must(t, "list page 1", err)
	if len(first.Items) != 1 || first.Items[0].ID != j2.ID || first.NextCursor == "" {
		t.Fatalf("first page of 1: %+v", first)
	}
	second, err := st.DiscoveryScans().List(ctx, c.scope(), ports.ScanFilter{OrgID: c.org.ID}, domain.PageRequest{Limit: 1, Cursor: first.NextCursor})
	must(t, "list page 2", err)
	if len(second.Items) != 1 || second.Items[0].ID != j.ID {
		t.Fatalf("second page of 1: %+v", second.Items)
	}
	page, err = st.DiscoveryScans().List(ctx, c.scope(), ports.ScanFilter{ProfileID: j2.ProfileID}, domain.PageRequest{})
	must(t, "list by profile", err)
	wantIDs(t, "list by profile", ids(page.Items, func(j *domain.ScanJob) string { return j.ID }), []string{j2.ID})
	page, err = st.DiscoveryScans().List(ctx, c.scope(), ports.ScanFilter{Status: domain.ScanFailed}, domain.PageRequest{})
	must(t, "list by status", err)
	wantIDs(t, "list by status", ids(page.Items, func(j *domain.ScanJob) string { return j.ID }), []string{j.ID})
	page, err = st.DiscoveryScans().List(ctx, c.scope(), ports.ScanFilter{OrgID: "not-an-id"}, domain.PageRequest{})
	if err != nil && !errors.Is(err, domain.ErrNotFound) || err == nil && len(page.Items) != 0 {
		t.Fatalf("malformed filter: %v %d", err, len(page.Items))
	}
	// bad input stores nothing
	bad := scanJobIn(c.site.ID)
	bad.Status = "exploded"
	wantIs(t, "bad status", st.DiscoveryScans().Create(ctx, c.scope(), bad), domain.ErrInvalid)
	bad = scanJobIn(c.site.ID)
	bad.Error = "a\x00b"
	wantIs(t, "NUL", st.DiscoveryScans().Create(ctx, c.scope(), bad), domain.ErrInvalid)
	bad = scanJobIn(domain.NewID())
	wantIs(t, "unknown site", st.DiscoveryScans().Create(ctx, c.scope(), bad), domain.ErrNotFound)
}

// testScanIsolation: another tenant neither reads, lists nor creates.
func testScanIsolation(t *testing.T, st ports.Store) {
	ctx := t.Context()
	a, b := newChain(t, st), newChain(t, st)
	j := scanJobIn(a.site.ID)
	must(t, "create", st.DiscoveryScans().Create(ctx, a.scope(), j))
	_, err := st.DiscoveryScans().Get(ctx, b.scope(), j.ID)
	wantIs(t, "foreign get", err, domain.ErrNotFound)
	_, err = st.DiscoveryScans().Get(ctx, domain.Scope{OrgIDs: []string{b.org.ID}}, j.ID)
	wantIs(t, "foreign org get", err, domain.ErrNotFound)
	page, err := st.DiscoveryScans().List(ctx, b.scope(), ports.ScanFilter{}, domain.PageRequest{})
	must(t, "foreign list", err)
	if len(page.Items) != 0 {
		t.Fatalf("foreign list shows %d jobs", len(page.Items))
	}
	page, err = st.DiscoveryScans().List(ctx, b.scope(), ports.ScanFilter{OrgID: a.org.ID}, domain.PageRequest{})
	if err == nil && len(page.Items) != 0 {
		t.Fatalf("foreign list by org shows %d jobs", len(page.Items))
	}
	// b cannot put a job in a's site
	wantIs(t, "foreign create", st.DiscoveryScans().Create(ctx, b.scope(), scanJobIn(a.site.ID)), domain.ErrNotFound)
	// a site holder of another site of a's org sees nothing either
	other := newSite(t, st, a.org.ID)
	_, err = st.DiscoveryScans().Get(ctx, domain.Scope{SiteIDs: []string{other.ID}}, j.ID)
	wantIs(t, "sibling site get", err, domain.ErrNotFound)
}

// testScanPages: commands are found only through their own device; pages
// count once, in order, gaps mark the job partial, live hosts are
// distinct.
func testScanPages(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, other := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	j := scanJobIn(c.site.ID)
	must(t, "create", st.DiscoveryScans().Create(ctx, c.scope(), j))
	cmd := commandFor(d.ID)
	cmd.Action = "discover"
	must(t, "command", st.Commands().Create(ctx, c.scope(), cmd))
	sc := domain.ScanCommand{JobID: j.ID, CommandID: cmd.ID, DeviceID: d.ID, Phase: domain.PhaseSweep, Plugin: "breeze.netsweep"}
	must(t, "add command", st.DiscoveryScans().AddCommand(ctx, sc))
	must(t, "add command again", st.DiscoveryScans().AddCommand(ctx, sc))
	got, err := st.DiscoveryScans().CommandFor(ctx, d.ID, cmd.ID)
	must(t, "command for its device", err)
	if got.JobID != j.ID || got.Status != domain.CommandQueued || got.Plugin != "breeze.netsweep" {
		t.Fatalf("command %+v", got)
	}
	_, err = st.DiscoveryScans().CommandFor(ctx, other.ID, cmd.ID)
	wantIs(t, "command for another device", err, domain.ErrNotFound)
	_, err = st.DiscoveryScans().CommandFor(ctx, d.ID, domain.NewID())
	wantIs(t, "unknown command", err, domain.ErrNotFound)

	page := func(seq, scanned int, ips ...string) domain.ScanPageOutcome {
		t.Helper()
		out, err := st.DiscoveryScans().RecordPage(ctx, domain.ScanPage{CommandID: cmd.ID, Seq: seq, Assets: len(ips),
			Scanned: scanned, LiveIPs: ips, CountScanned: true})
		must(t, fmt.Sprintf("page %d", seq), err)
		return out
	}
	if o := page(1, 64, "10.0.0.1", "10.0.0.2"); o.Duplicate || o.Gap {
		t.Fatalf("first page %+v", o)
	}
	if o := page(1, 64, "10.0.0.1", "10.0.0.2"); !o.Duplicate {
		t.Fatalf("repeat page %+v", o)
	}
	if o := page(2, 128, "10.0.0.2", "10.0.0.3", "not an ip"); o.Duplicate || o.Gap {
		t.Fatalf("second page %+v", o)
	}
	job, err := st.DiscoveryScans().GetSystem(ctx, j.ID)
	must(t, "get", err)
	if job.Scanned != 128 || job.AssetsFound != 3 || job.Partial || len(job.Commands) != 1 ||
		job.Commands[0].Pages != 2 || job.Commands[0].LastSeq != 2 || job.Commands[0].Assets != 5 {
		t.Fatalf("after two pages: %+v", job)
	}
	if o := page(4, 512, "10.0.0.9"); !o.Gap {
		t.Fatalf("a skipped page is a gap: %+v", o)
	}
	job, err = st.DiscoveryScans().GetSystem(ctx, j.ID)
	must(t, "get", err)
	if !job.Partial || job.Scanned != 256 {
		t.Fatalf("after a gap: partial %v scanned %d (capped at addresses)", job.Partial, job.Scanned)
	}
	hosts, err := st.DiscoveryScans().LiveHosts(ctx, j.ID, 0)
	must(t, "live hosts", err)
	wantIDs(t, "live hosts", hosts, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"})
	_, err = st.DiscoveryScans().RecordPage(ctx, domain.ScanPage{CommandID: domain.NewID(), Seq: 1})
	wantIs(t, "page of an unknown command", err, domain.ErrNotFound)
	_, err = st.DiscoveryScans().RecordPage(ctx, domain.ScanPage{CommandID: cmd.ID, Seq: 0})
	wantIs(t, "seq 0", err, domain.ErrInvalid)
}
