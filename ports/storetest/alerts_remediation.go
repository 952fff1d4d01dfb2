package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testAlertRemediation: a rule keeps its remediation through create and
// update; an alert's remediation is claimed once, the claim honours the
// period of (rule, device), and each record adds a history entry.
func testAlertRemediation(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	r := &domain.AlertRule{PartnerID: c.partner.ID, OrgID: c.org.ID, Name: uniq("heal"), Enabled: true,
		Severity: domain.SeverityWarning, Kind: "metric_threshold", Params: json.RawMessage(`{"metric":"cpu"}`),
		ScopeKind: domain.AlertScopeOrg, ScopeIDs: []string{c.org.ID},
		RemediationFields: domain.RemediationFields{Remediation: &domain.AlertRemediationSpec{Kind: domain.RemediationScript,
			ScriptID: domain.NewID(), Params: map[string]any{"UNIT": "nginx"}}, RemediationEveryHours: 4, RemediationBy: "u1"}}
	must(t, "create rule with remediation", st.AlertRules().Create(ctx, global, r))
	got, err := st.AlertRules().Get(ctx, global, r.ID)
	must(t, "get rule", err)
	if got.Remediation == nil || got.Remediation.ScriptID != r.Remediation.ScriptID || got.Remediation.Params["UNIT"] != "nginx" ||
		got.RemediationEveryHours != 4 || got.RemediationBy != "u1" {
		t.Fatalf("remediation not kept: %+v", got.RemediationFields)
	}
	got.Remediation = &domain.AlertRemediationSpec{Kind: domain.RemediationAction, Action: "reboot", Payload: json.RawMessage(`{"delaySeconds":5}`)}
	got.RemediationEveryHours, got.RemediationBy = 0, "u2"
	up, err := st.AlertRules().Update(ctx, global, got)
	must(t, "update rule", err)
	if up.Remediation == nil || up.Remediation.Action != "reboot" || string(up.Remediation.Payload) == "" || up.RemediationBy != "u2" {
		t.Fatalf("updated remediation: %+v", up.RemediationFields)
	}
	up.Remediation, up.RemediationBy = nil, ""
	none, err := st.AlertRules().Update(ctx, global, up)
	must(t, "clear remediation", err)
	if none.Remediation != nil {
		t.Fatalf("remediation not cleared: %+v", none.Remediation)
	}

	t0 := time.Now().UTC().Truncate(time.Second)
	a, _, err := st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
	must(t, "open", err)
	if a.Remediation.Status != "" {
		t.Fatalf("a new alert has a remediation: %+v", a.Remediation)
	}
	ok, err := st.Alerts().ClaimRemediation(ctx, a.ID, t0, t0.Add(-time.Hour))
	must(t, "claim", err)
	again, err := st.Alerts().ClaimRemediation(ctx, a.ID, t0, time.Time{})
	must(t, "claim again", err)
	if !ok || again {
		t.Fatalf("claims: first %v (want true), second %v (want false)", ok, again)
	}
	rec, err := st.Alerts().RecordRemediation(ctx, a.ID, domain.AlertRemediation{Status: domain.RemediationStarted,
		ScriptRunID: "run-1", At: t0}, "remediation started: script x (script run run-1)")
	must(t, "record", err)
	if rec.Remediation.Status != domain.RemediationStarted || rec.Remediation.ScriptRunID != "run-1" || !rec.Remediation.At.Equal(t0) ||
		rec.Version != a.Version+1 || rec.State != domain.AlertOpen {
		t.Fatalf("recorded: %+v (version %d)", rec.Remediation, rec.Version)
	}
	h, err := st.Alerts().History(ctx, global, a.ID)
	must(t, "history", err)
	last := h[len(h)-1]
	if last.Action != domain.AlertActionRemediation || last.From != domain.AlertOpen || last.To != domain.AlertOpen ||
		last.Actor != domain.AlertActorSystem || last.Note == "" {
		t.Fatalf("history entry: %+v", last)
	}
	_, err = st.Alerts().Transition(ctx, global, a.ID, domain.Unresolved, domain.AlertUpdate{To: domain.AlertResolved, Actor: domain.AlertActorSystem})
	must(t, "resolve", err)
	// a resolved alert still takes its outcome
	if _, err := st.Alerts().RecordRemediation(ctx, a.ID, domain.AlertRemediation{Status: domain.RemediationSucceeded,
		ScriptRunID: "run-1", CommandID: "cmd-1", At: t0}, "succeeded"); err != nil {
		t.Fatalf("record on a resolved alert: %v", err)
	}

	// the next alert of (rule, device): within the period no claim, past it one
	b, _, err := st.Alerts().Open(ctx, openAlert(r.ID, dev.ID))
	must(t, "reopen", err)
	within, err := st.Alerts().ClaimRemediation(ctx, b.ID, t0.Add(time.Hour), t0.Add(-3*time.Hour))
	must(t, "claim within", err)
	past, err := st.Alerts().ClaimRemediation(ctx, b.ID, t0.Add(5*time.Hour), t0.Add(time.Hour))
	must(t, "claim past", err)
	if within || !past {
		t.Fatalf("period: claimed within %v (want false), past %v (want true)", within, past)
	}
	_, err = st.Alerts().ClaimRemediation(ctx, domain.NewID(), t0, time.Time{})
	wantIs(t, "claim an unknown alert", err, domain.ErrNotFound)
	_, err = st.Alerts().RecordRemediation(ctx, domain.NewID(), domain.AlertRemediation{Status: domain.RemediationFailed}, "x")
	wantIs(t, "record on an unknown alert", err, domain.ErrNotFound)
}
