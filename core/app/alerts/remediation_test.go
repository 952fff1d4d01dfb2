package alerts_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// fixScript stores an org-0 script of tenant A with one string parameter.
func fixScript(t *testing.T, ts *apitest.TestServer, orgID string) *domain.Script {
	t.Helper()
	sc := &domain.Script{PartnerID: ts.Seed.A.Partner.ID, OrgID: orgID, Name: "fix " + domain.NewID(), Language: "sh",
		Body: "systemctl restart \"$BREEZE_PARAM_UNIT\"", Params: []domain.ScriptParam{{Name: "UNIT", Type: domain.ParamString}}}
	if err := ts.Store.Scripts().Create(context.Background(), domain.GlobalScope(), sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

// cpuRule is a POST /alert-rules body over org 0 of tenant A: CPU > 90 for
// 1 s, clears below 80, with remediation rem.
func cpuRule(ts *apitest.TestServer, rem map[string]any, everyHours int) map[string]any {
	org := ts.Seed.A.Orgs[0].ID
	return map[string]any{"orgId": org, "name": "cpu " + domain.NewID(), "severity": "warning", "kind": "metric_threshold",
		"params":    map[string]any{"metric": "cpu", "comparator": ">", "threshold": 90, "clearThreshold": 80, "durationSeconds": 1},
		"scopeKind": "org", "scopeIds": []string{org}, "remediation": rem, "remediationEveryHours": everyHours}
}

func scriptRem(sc *domain.Script) map[string]any {
	return map[string]any{"kind": "script", "scriptId": sc.ID, "params": map[string]any{"UNIT": "nginx.service"}}
}

// postRule creates a rule through the API and returns its id.
func postRule(t *testing.T, ts *apitest.TestServer, token string, body map[string]any) string {
	t.Helper()
	code, out := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", token, body)
	if code != http.StatusCreated {
		t.Fatalf("create rule: %d %v", code, out)
	}
	return out["id"].(string)
}

// breach drives a CPU breach long enough to open on each service.
func breach(t *testing.T, dev string, svcs ...*alerts.Service) {
	t.Helper()
	ctx := context.Background()
	at := time.Now()
	for _, svc := range svcs {
		svc.Observe(ctx, dev, at, cpu(95))
		svc.Observe(ctx, dev, at.Add(2*time.Second), cpu(96))
	}
	for _, svc := range svcs {
		svc.Flush(ctx)
	}
}

// calm clears the breach on svc.
func calm(t *testing.T, svc *alerts.Service, dev string) {
	t.Helper()
	svc.Observe(context.Background(), dev, time.Now().Add(3*time.Second), cpu(50))
	svc.Flush(context.Background())
}

// standing is the unresolved alert of ruleID on dev.
func standing(t *testing.T, ts *apitest.TestServer, dev, ruleID string) *domain.Alert {
	t.Helper()
	list, open := ofRule(alertsOf(t, ts, dev), ruleID)
	if open != 1 {
		t.Fatalf("want one unresolved alert of the rule, got %+v", list)
	}
	for _, a := range list {
		if a.State != domain.AlertResolved {
			return a
		}
	}
	return nil
}

// waitRemediation polls an alert until its remediation has status want.
func waitRemediation(t *testing.T, ts *apitest.TestServer, id, want string) *domain.Alert {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var a *domain.Alert
	var err error
	for time.Now().Before(deadline) {
		if a, err = ts.Store.Alerts().Get(context.Background(), domain.GlobalScope(), id); err != nil {
			t.Fatal(err)
		}
		if a.Remediation.Status == want {
			return a
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("alert %s: remediation never %s; last %+v", id, want, a.Remediation)
	return nil
}

// remediationNotes are the notes of an alert's remediation history entries.
func remediationNotes(t *testing.T, ts *apitest.TestServer, id string) []string {
	t.Helper()
	h, err := ts.Store.Alerts().History(context.Background(), domain.GlobalScope(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range h {
		if e.Action == domain.AlertActionRemediation {
			out = append(out, e.Note)
		}
	}
	return out
}

// remediationAudits counts the remediation audit rows with outcome o.
func remediationAudits(t *testing.T, ts *apitest.TestServer, o domain.AuditOutcome) int {
	t.Helper()
	n := 0
	for _, e := range ts.AuditRows(t) {
		if e.Action == "alerts.remediate" && e.Outcome == o {
			n++
		}
	}
	return n
}

func runsOf(t *testing.T, ts *apitest.TestServer, scriptID string) int {
	t.Helper()
	p, err := ts.Store.Scripts().ListRuns(context.Background(), domain.GlobalScope(), scriptID, domain.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

// enqueueOnly is a second node's view of the shared queue: its tasks run
// on whichever node's workers take them (here the test server's).
type enqueueOnly struct{ ports.Queue }

func (enqueueOnly) Handle(string, int, ports.Handler) {}

// linkAgent links dev and says hello, so commands are sent at once.
func linkAgent(t *testing.T, ts *apitest.TestServer, dev, token string) *websocket.Conn {
	t.Helper()
	conn, _, err := ts.DialAgent(t, dev, token)
	if err != nil {
		t.Fatalf("dial agent: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	apitest.Hello(t, conn, "host")
	return conn
}

// answer reads the next command frame and answers it with status.
func answer(t *testing.T, conn *websocket.Conn, status string, exit int) protocol.Command {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		raw := apitest.ReadFrame(t, conn)
		if typ, _ := protocol.PeekType(raw); typ != protocol.TypeCommand {
			continue
		}
		var c protocol.Command
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if err := conn.WriteJSON(protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: c.ID},
			Status: status, ExitCode: &exit, StartedAt: now, FinishedAt: now}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Fatal("no command frame")
	return protocol.Command{}
}

func TestRemediationRunsOnceAndAutoResolves(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
		dev, token := ts.NewDevice(t, ts.Seed.A, 0, "web1")
		conn := linkAgent(t, ts, dev, token)
		sc := fixScript(t, ts, ts.Seed.A.Orgs[0].ID)
		ruleID := postRule(t, ts, admin, cpuRule(ts, scriptRem(sc), 0))

		// a second node: its own alerts service on the same store and queue
		svc := reload(t, ts)
		other, err := alerts.New(alerts.Deps{Store: ts.Store, Clock: ts.Clock})
		if err != nil {
			t.Fatal(err)
		}
		if err := other.EnableRemediation(alerts.Remediation{Queue: enqueueOnly{ts.Remote.Queue}, Scripts: ts.Remote.Scripts,
			Commands: ts.Remote.Commands}); err != nil {
			t.Fatal(err)
		}
		if err := other.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		warm(t, svc, dev)
		warm(t, other, dev)
		breach(t, dev, svc, other)
		a := standing(t, ts, dev, ruleID)
		a = waitRemediation(t, ts, a.ID, domain.RemediationStarted)
		if a.Remediation.ScriptRunID == "" {
			t.Fatalf("started without a script run: %+v", a.Remediation)
		}
		cmd := answer(t, conn, protocol.ResultSucceeded, 0)
		a = waitRemediation(t, ts, a.ID, domain.RemediationSucceeded)
		if a.Remediation.CommandID != cmd.ID {
			t.Fatalf("outcome of command %s recorded, want %s", a.Remediation.CommandID, cmd.ID)
		}
		// the task again (a redelivery): nothing more runs
		raw, _ := json.Marshal(map[string]string{"alertId": a.ID})
		id, err := ts.Remote.Queue.Enqueue(ctx, alerts.TaskRemediate, raw, ports.EnqueueOptions{UniqueKey: a.ID + "/again"})
		if err != nil {
			t.Fatal(err)
		}
		waitTask(t, ts.Remote.Queue, id)
		if n := runsOf(t, ts, sc.ID); n != 1 {
			t.Fatalf("two services, one opening: %d script runs, want 1", n)
		}
		if n := remediationAudits(t, ts, domain.OutcomeSuccess); n != 1 {
			t.Fatalf("one run: %d audit rows, want 1", n)
		}
		notes := remediationNotes(t, ts, a.ID)
		if len(notes) != 2 || !strings.Contains(notes[0], "remediation started: script") ||
			!strings.Contains(notes[0], a.Remediation.ScriptRunID) || !strings.Contains(notes[1], "succeeded") ||
			!strings.Contains(notes[1], cmd.ID) {
			t.Fatalf("history: want started then succeeded with the command id, got %q", notes)
		}

		// the condition clears: resolved as auto-remediated
		calm(t, svc, dev)
		got, err := ts.Store.Alerts().Get(ctx, domain.GlobalScope(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != domain.AlertResolved || got.ResolvedBy != domain.AlertActorSystem || got.Note != alerts.NoteAutoRemediated {
			t.Fatalf("want resolved by the system as auto-remediated, got %+v", got)
		}

		// the API shows the latest remediation and the history rows
		code, body := ts.Do(t, http.MethodGet, "/api/v1/alerts/"+a.ID, admin, nil)
		if code != http.StatusOK {
			t.Fatalf("get alert: %d %v", code, body)
		}
		rem, _ := body["remediation"].(map[string]any)
		if rem["status"] != "succeeded" || rem["commandId"] != cmd.ID || rem["scriptRunId"] != a.Remediation.ScriptRunID || rem["at"] == nil {
			t.Fatalf("alert JSON remediation: %v", body["remediation"])
		}
		hist, _ := body["history"].([]any)
		last, _ := hist[len(hist)-1].(map[string]any)
		if last["note"] != alerts.NoteAutoRemediated || last["to"] != "resolved" {
			t.Fatalf("history ends with %v", last)
		}
		code, rule := ts.Do(t, http.MethodGet, "/api/v1/alert-rules/"+ruleID, admin, nil)
		if r, _ := rule["remediation"].(map[string]any); code != http.StatusOK || r["scriptId"] != sc.ID || r["kind"] != "script" {
			t.Fatalf("rule JSON remediation: %d %v", code, rule)
		}

		// acknowledged before it clears: an ordinary resolution
		breach(t, dev, svc)
		b := standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, b.ID, domain.RemediationStarted)
		answer(t, conn, protocol.ResultFailed, 3)
		waitRemediation(t, ts, b.ID, domain.RemediationFailed)
		if _, err := svc.Acknowledge(ctx, principalOf(t, ts), b.ID); err != nil {
			t.Fatal(err)
		}
		calm(t, svc, dev)
		if got, _ := ts.Store.Alerts().Get(ctx, domain.GlobalScope(), b.ID); got.State != domain.AlertResolved || got.Note == alerts.NoteAutoRemediated {
			t.Fatalf("acknowledged alert: want an ordinary resolution, got %+v", got)
		}
		if n := runsOf(t, ts, sc.ID); n != 2 {
			t.Fatalf("second opening (every opening): %d runs, want 2", n)
		}
	})
}

func TestRemediationPeriod(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
		dev, _ := ts.NewDevice(t, ts.Seed.A, 0, "web2")
		sc := fixScript(t, ts, "") // partner-wide
		ruleID := postRule(t, ts, admin, cpuRule(ts, scriptRem(sc), 2))
		svc := reload(t, ts)
		warm(t, svc, dev)

		breach(t, dev, svc)
		first := standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, first.ID, domain.RemediationStarted)
		calm(t, svc, dev)
		// within 2 h: the second opening is skipped and says why
		ts.Clock.Advance(time.Hour)
		breach(t, dev, svc)
		second := standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, second.ID, domain.RemediationSkipped)
		if n := runsOf(t, ts, sc.ID); n != 1 {
			t.Fatalf("within the period: %d runs, want 1", n)
		}
		if notes := remediationNotes(t, ts, second.ID); len(notes) != 1 || !strings.Contains(notes[0], "within 2 h") {
			t.Fatalf("skipped: history %q", notes)
		}
		calm(t, svc, dev)
		// past the period: runs again
		ts.Clock.Advance(61 * time.Minute)
		breach(t, dev, svc)
		third := standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, third.ID, domain.RemediationStarted)
		if n := runsOf(t, ts, sc.ID); n != 2 {
			t.Fatalf("past the period: %d runs, want 2", n)
		}
	})
}

// principalOf is the seeded partner admin of A as a principal.
func principalOf(t *testing.T, ts *apitest.TestServer) *domain.Principal {
	t.Helper()
	grants, err := ts.Store.RoleAssignments().GrantsOf(context.Background(), ts.Seed.A.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: ts.Seed.A.Admin.ID, Grants: grants}
}

func waitTask(t *testing.T, q ports.Queue, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info, err := q.Info(context.Background(), id)
		if err != nil || info.State == ports.TaskDone {
			return // done (and maybe forgotten)
		}
		if info.State == ports.TaskDead {
			t.Fatalf("task %s dead: %s", id, info.LastError)
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("task %s never done", id)
}

func TestRemediationPermissions(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx, all := context.Background(), domain.GlobalScope()
		a := ts.Seed.A
		sc := fixScript(t, ts, a.Orgs[0].ID)
		// a monitoring admin of org 0: alerts:write, but no devices:execute
		role := &domain.Role{PartnerID: a.Partner.ID, Name: "Monitoring " + domain.NewID(), Permissions: []domain.Permission{
			domain.PermOrgsRead, domain.PermSitesRead, domain.PermGroupsRead, domain.PermDevicesRead, domain.PermScriptsRead,
			domain.PermAlertsRead, domain.PermAlertsWrite}}
		if err := ts.Store.Roles().Create(ctx, all, role); err != nil {
			t.Fatal(err)
		}
		watcher := ts.NewUser(t, role.ID, a.OrgUnit(0), "")
		tok := ts.Login(t, watcher.Email, apitest.DefaultPassword)
		code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", tok, cpuRule(ts, scriptRem(sc), 0))
		if code != http.StatusForbidden || !strings.Contains(apitest.ErrorMessage(body), "devices:execute") {
			t.Fatalf("author without run permission: want 403 naming it, got %d %v", code, body)
		}
		action := map[string]any{"kind": "action", "action": "reboot", "payload": map[string]any{}}
		if code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", tok, cpuRule(ts, action, 0)); code != http.StatusForbidden {
			t.Fatalf("action without its permission: want 403, got %d %v", code, body)
		}
		// bad input from someone who may run things
		tech := ts.NewUser(t, domain.RoleOrgAdmin, a.OrgUnit(0), "")
		ttok := ts.Login(t, tech.Email, apitest.DefaultPassword)
		foreign := &domain.Script{PartnerID: ts.Seed.B.Partner.ID, Name: "theirs", Language: "sh", Body: "true"}
		if err := ts.Store.Scripts().Create(ctx, all, foreign); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			rem  map[string]any
			want int
		}{
			"another tenant's script": {map[string]any{"kind": "script", "scriptId": foreign.ID}, http.StatusNotFound},
			"unknown kind":            {map[string]any{"kind": "shell"}, http.StatusBadRequest},
			"unknown action":          {map[string]any{"kind": "action", "action": "format_disk"}, http.StatusBadRequest},
			"ad hoc code":             {map[string]any{"kind": "action", "action": "run_script", "payload": map[string]any{"language": "sh", "body": "id"}}, http.StatusBadRequest},
			"unknown parameter":       {map[string]any{"kind": "script", "scriptId": sc.ID, "params": map[string]any{"NOPE": "x"}}, http.StatusBadRequest},
		} {
			if code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", ttok, cpuRule(ts, c.rem, 0)); code != c.want {
				t.Errorf("%s: want %d, got %d %v", name, c.want, code, body)
			}
		}
		if code, body := ts.Do(t, http.MethodPost, "/api/v1/alert-rules", ttok, cpuRule(ts, scriptRem(sc), 9000)); code != http.StatusBadRequest {
			t.Errorf("remediationEveryHours 9000: want 400, got %d %v", code, body)
		}

		// saved by the org admin; the grant is revoked later: refused at run
		// time and recorded, nothing runs
		ruleID := postRule(t, ts, ttok, cpuRule(ts, scriptRem(sc), 0))
		// someone without the run permission cannot edit it (and so take
		// over its authority, or widen where it runs) while it remediates
		patch := cpuRule(ts, scriptRem(sc), 0)
		delete(patch, "orgId")
		patch["version"] = 1
		if code, body := ts.Do(t, http.MethodPatch, "/api/v1/alert-rules/"+ruleID, tok, patch); code != http.StatusForbidden {
			t.Fatalf("PATCH by an author without run permission: want 403, got %d %v", code, body)
		}
		if r, err := ts.Store.AlertRules().Get(ctx, all, ruleID); err != nil || r.RemediationBy != tech.ID || r.Version != 1 {
			t.Fatalf("after a refused PATCH: %+v %v", r, err)
		}
		dev, _ := ts.NewDevice(t, a, 0, "db1")
		svc := reload(t, ts)
		warm(t, svc, dev)
		grants, err := ts.Store.RoleAssignments().List(ctx, all, ports.RoleAssignmentFilter{UserID: tech.ID}, domain.PageRequest{Limit: 10})
		if err != nil || len(grants.Items) != 1 {
			t.Fatalf("grants of the author: %v %v", grants.Items, err)
		}
		if err := ts.Store.RoleAssignments().Delete(ctx, all, grants.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		breach(t, dev, svc)
		al := standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, al.ID, domain.RemediationRefused)
		if notes := remediationNotes(t, ts, al.ID); len(notes) != 1 || !strings.Contains(notes[0], "no longer holds devices:execute") {
			t.Fatalf("refusal: history %q", notes)
		}
		// the author deleted: refused too
		calm(t, svc, dev)
		if err := ts.Store.Users().Delete(ctx, all, tech.ID); err != nil {
			t.Fatal(err)
		}
		breach(t, dev, svc)
		al = standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, al.ID, domain.RemediationRefused)
		if notes := remediationNotes(t, ts, al.ID); len(notes) != 1 || !strings.Contains(notes[0], "author was deleted") {
			t.Fatalf("deleted author: history %q", notes)
		}
		if n := runsOf(t, ts, sc.ID); n != 0 {
			t.Fatalf("refused remediations ran %d times", n)
		}
		if n := remediationAudits(t, ts, domain.OutcomeDenied); n != 2 {
			t.Fatalf("refusals: %d denied audit rows, want 2", n)
		}
	})
}

func TestRemediationDeletedScriptAndAction(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *apitest.TestServer) {
		ctx := context.Background()
		admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
		dev, token := ts.NewDevice(t, ts.Seed.A, 0, "app1")
		sc := fixScript(t, ts, ts.Seed.A.Orgs[0].ID)
		ruleID := postRule(t, ts, admin, cpuRule(ts, scriptRem(sc), 0))
		if err := ts.Store.Scripts().Delete(ctx, domain.GlobalScope(), sc.ID); err != nil {
			t.Fatal(err)
		}
		svc := reload(t, ts)
		warm(t, svc, dev)
		breach(t, dev, svc)
		a := standing(t, ts, dev, ruleID)
		waitRemediation(t, ts, a.ID, domain.RemediationFailed)
		if notes := remediationNotes(t, ts, a.ID); len(notes) != 1 || !strings.Contains(notes[0], "the script or the device is gone") {
			t.Fatalf("deleted script: history %q", notes)
		}
		calm(t, svc, dev)
		if got, _ := ts.Store.Alerts().Get(ctx, domain.GlobalScope(), a.ID); got.Note == alerts.NoteAutoRemediated {
			t.Fatal("a remediation that never ran counted as auto-remediated")
		}

		// a built-in action: one command with the alert's idempotency key
		conn := linkAgent(t, ts, dev, token)
		act := postRule(t, ts, admin, cpuRule(ts, map[string]any{"kind": "action", "action": "uptime"}, 0))
		svc = reload(t, ts)
		breach(t, dev, svc)
		b := standing(t, ts, dev, act)
		b = waitRemediation(t, ts, b.ID, domain.RemediationStarted)
		cmd := answer(t, conn, protocol.ResultSucceeded, 0)
		if cmd.ID != b.Remediation.CommandID || cmd.Action != "uptime" {
			t.Fatalf("sent %s %s, recorded %s", cmd.Action, cmd.ID, b.Remediation.CommandID)
		}
		waitRemediation(t, ts, b.ID, domain.RemediationSucceeded)
	})
}
