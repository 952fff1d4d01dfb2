package scans_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// plans is a recording PlanSource: profile id → plan (its Ref names the
// site); Plan answers 404 unless the caller holds discovery:manage over
// the plan's site, like the profile half does.
type plans struct {
	mu sync.Mutex
	m  map[string]*domain.ScanPlan
}

func (ps *plans) add(profileID string, p *domain.ScanPlan) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = map[string]*domain.ScanPlan{}
	}
	p.Ref.ProfileID = profileID
	ps.m[profileID] = p
}

func (ps *plans) Plan(_ context.Context, p *domain.Principal, profileID string) (*domain.ScanPlan, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	plan, ok := ps.m[profileID]
	if !ok || !p.ScopeFor(domain.PermDiscoveryManage).CoversSite(plan.Ref.PartnerID, plan.Ref.OrgID, plan.Ref.SiteID) {
		return nil, domain.NotFoundf("discovery profile not found")
	}
	cp := *plan
	return &cp, nil
}

// sink is a recording AssetSink.
type sink struct {
	mu       sync.Mutex
	pages    []merged
	finishes []finished
	fail     error
}

type merged struct {
	ref domain.ScanRef
	obs []domain.AssetObservation
}

type finished struct {
	ref      domain.ScanRef
	targets  []string
	complete bool
}

func (s *sink) Merge(_ context.Context, ref domain.ScanRef, obs []domain.AssetObservation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.pages = append(s.pages, merged{ref, obs})
	return nil
}

func (s *sink) Finish(_ context.Context, ref domain.ScanRef, targets []string, complete bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finishes = append(s.finishes, finished{ref, targets, complete})
	return nil
}

func (s *sink) merges(jobID string) []merged {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []merged
	for _, m := range s.pages {
		if m.ref.JobID == jobID {
			out = append(out, m)
		}
	}
	return out
}

// finishOfWait waits for the job's Finish call (made just after the job's
// final status is stored).
func (s *sink) finishOfWait(t *testing.T, jobID string) []finished {
	t.Helper()
	waitFor(t, 10*time.Second, "Finish", func() bool { return len(s.finishOf(jobID)) > 0 })
	return s.finishOf(jobID)
}

func (s *sink) finishOf(jobID string) []finished {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []finished
	for _, f := range s.finishes {
		if f.ref.JobID == jobID {
			out = append(out, f)
		}
	}
	return out
}

// env is a test server with the scans service wired as the server does
// (pages through the remote router's intake, steps on the queue).
type env struct {
	*apitest.TestServer
	plans *plans
	sink  *sink
	svc   *scans.Service
	log   *lockedLog
}

// logged reports whether the scans service logged text.
func (e *env) logged(text string) bool {
	e.log.mu.Lock()
	defer e.log.mu.Unlock()
	return strings.Contains(e.log.w.String(), text)
}

func newEnv(t *testing.T, pg bool) *env {
	t.Helper()
	e := &env{plans: &plans{}, sink: &sink{}, log: &lockedLog{w: &strings.Builder{}}}
	e.TestServer = apitest.NewServerWith(t, apitest.Options{Postgres: pg,
		DiscoveryScans: func(st ports.Store, p *apitest.RemoteParts) *scans.Service {
			log := hclog.New(&hclog.LoggerOptions{Output: e.log, Level: hclog.Debug})
			svc, err := scans.New(scans.Deps{Store: st, Queue: p.Queue, Commands: p.Commands, Plans: e.plans, Assets: e.sink,
				Sealer: p.Sealer, Logger: log, StepEvery: 50 * time.Millisecond, PageGrace: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			e.svc = svc
			return svc
		}})
	t.Cleanup(func() {
		if t.Failed() {
			e.log.mu.Lock()
			defer e.log.mu.Unlock()
			t.Logf("scans log:\n%s\nserver log:\n%s", e.log.w.String(), e.Logs.String())
		}
	})
	return e
}

// lockedLog collects log lines (the intake logs from its workers).
type lockedLog struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// admin is tenant A's partner admin as a principal.
func admin(tn apitest.Tenant) *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: tn.Admin.ID, PartnerID: tn.Partner.ID, Email: tn.Admin.Email,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: tn.Partner.ID}, Permissions: domain.AllPermissions()}}}
}

// profile registers a plan for site i of tn and returns its profile id.
func (e *env) profile(tn apitest.Tenant, i int, plan domain.ScanPlan) string {
	id := domain.NewID()
	plan.Ref = domain.ScanRef{PartnerID: tn.Partner.ID, OrgID: tn.Orgs[i].ID, SiteID: tn.Sites[i].ID}
	e.plans.add(id, &plan)
	return id
}

// agent is a protocol-level fake agent on a real link.
type agent struct {
	t        *testing.T
	id       string
	conn     *websocket.Conn
	mu       sync.Mutex
	commands chan protocol.Command
	cancels  chan string
	stored   chan string
	errors   chan string
	seen     map[string]bool // command ids handed out by next (delivery is at least once)
}

// linkAgent enrolls a device in site i of tn, links it and waits until it
// shows online.
func (e *env) linkAgent(t *testing.T, tn apitest.Tenant, i int, host string) *agent {
	t.Helper()
	id, token := e.NewDevice(t, tn, i, host)
	conn, _, err := e.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, conn, host)
	_ = conn.SetReadDeadline(time.Time{}) // Hello set one for the welcome
	a := &agent{t: t, id: id, conn: conn, commands: make(chan protocol.Command, 64), cancels: make(chan string, 64),
		stored: make(chan string, 64), errors: make(chan string, 64)}
	go a.read()
	waitFor(t, 10*time.Second, "device online", func() bool {
		d, err := e.Store.Devices().Get(context.Background(), domain.GlobalScope(), id)
		return err == nil && d.Status == domain.DeviceOnline
	})
	return a
}

func (a *agent) read() {
	for {
		_, raw, err := a.conn.ReadMessage()
		if err != nil {
			return
		}
		var h protocol.Header
		_ = json.Unmarshal(raw, &h)
		switch h.Type {
		case protocol.TypeCommand:
			var c protocol.Command
			if json.Unmarshal(raw, &c) == nil {
				a.commands <- c
			}
		case protocol.TypeCommandCancel:
			a.cancels <- h.ID
		case protocol.TypeCommandStored:
			a.stored <- h.ID
		case protocol.TypeError:
			a.errors <- string(raw)
		}
	}
}

func (a *agent) send(v any) {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.conn.WriteJSON(v); err != nil {
		a.t.Fatalf("agent %s send: %v", a.id, err)
	}
}

// next waits for the next discover command and decodes its payload.
func (a *agent) next(timeout time.Duration) (protocol.Command, protocol.DiscoverPayload) {
	a.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case c := <-a.commands:
			// A command delivered again (its ack or result crossed a resend)
			// is skipped, as the real agent does with the ids it recorded.
			if a.seen[c.ID] {
				continue
			}
			if a.seen == nil {
				a.seen = map[string]bool{}
			}
			a.seen[c.ID] = true
			return a.decode(c)
		case <-deadline:
			a.t.Fatalf("agent %s: no command within %s (%d error frames queued, %d stored acks)", a.id, timeout, len(a.errors), len(a.stored))
		}
	}
}

func (a *agent) decode(c protocol.Command) (protocol.Command, protocol.DiscoverPayload) {
	a.t.Helper()
	var p protocol.DiscoverPayload
	if err := json.Unmarshal(c.Payload, &p); err != nil || c.Action != protocol.ActionDiscover {
		a.t.Fatalf("agent %s got %s %s (%v)", a.id, c.Action, c.Payload, err)
	}
	return c, p
}

func (a *agent) ack(id string) {
	a.send(protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: "running"})
}

func (a *agent) page(cmdID string, seq, scanned int, assets []protocol.DiscoverAsset) {
	a.send(protocol.DiscoverPage{Header: protocol.Header{Type: protocol.TypeDiscoverPage}, CommandID: cmdID, Seq: seq,
		Assets: assets, Scanned: scanned})
}

func (a *agent) result(id, status, errText string, counts protocol.DiscoverCounts) {
	raw, _ := json.Marshal(counts)
	now := time.Now().UTC()
	a.send(protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: id}, Status: status,
		Error: errText, Data: raw, StartedAt: now, FinishedAt: now})
}

// stream sends assets in pages of 256 (as the agent does) and returns the
// counts for the result.
func (a *agent) stream(cmdID string, assets []protocol.DiscoverAsset, total int) protocol.DiscoverCounts {
	var c protocol.DiscoverCounts
	for from := 0; from < len(assets); from += protocol.MaxDiscoverPageAssets {
		to := min(from+protocol.MaxDiscoverPageAssets, len(assets))
		c.Pages++
		scanned := total * to / len(assets)
		a.page(cmdID, c.Pages, scanned, assets[from:to])
		c.Assets += to - from
	}
	c.Scanned = total
	return c
}

// waitJob waits until the job satisfies ok.
func (e *env) waitJob(t *testing.T, id string, what string, ok func(j *domain.ScanJob) bool) *domain.ScanJob {
	t.Helper()
	var j *domain.ScanJob
	waitFor(t, 90*time.Second, what, func() bool {
		var err error
		j, err = e.Store.DiscoveryScans().GetSystem(context.Background(), id)
		return err == nil && ok(j)
	})
	return j
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hostsIn lists the addresses of an IPv4 prefix.
func hostsIn(t *testing.T, cidr string, alive bool) []protocol.DiscoverAsset {
	t.Helper()
	var lo, n uint32
	var a, b, c, d, bitsN uint32
	if _, err := fmt.Sscanf(cidr, "%d.%d.%d.%d/%d", &a, &b, &c, &d, &bitsN); err != nil {
		t.Fatal(err)
	}
	lo, n = a<<24|b<<16|c<<8|d, 1<<(32-bitsN)
	out := make([]protocol.DiscoverAsset, 0, n)
	for i := range n {
		v := lo + i
		out = append(out, protocol.DiscoverAsset{IP: fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&255, v>>8&255, v&255), Alive: alive,
			Attributes: map[string]string{"seenBy": "icmp"}})
	}
	return out
}

var errMerge = errors.New("assets store away")

func errorsIs(err, target error) bool { return errors.Is(err, target) }
