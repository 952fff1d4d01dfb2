package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Self-healing (docs/alerts.md, "Remediation"): a rule may name a script
// or a built-in action that runs on the alerting device when one of its
// alerts opens. The node that stored the opening queues one task per alert
// (UniqueKey: the alert id); the task claims the alert's remediation in the
// store (at most once per alert, and per period of (rule, device)), checks
// the author's run permission again and starts the run through the
// scripts or commands service. A follow-up task polls the command until it
// ends and notes the outcome on the alert's history.

// Queue task kinds.
const (
	TaskRemediate        = "alert.remediate"
	TaskRemediationCheck = "alert.remediation.check"
)

// Remediation bounds.
const (
	MaxRemediationEveryHours = 8760 // a year
	maxRemediationBytes      = 64 << 10
	// DefaultCheckEvery is the first wait before looking at a remediation's
	// command; it doubles up to maxCheckEvery until the command ends or
	// checkGiveUp has passed (a device offline past its commands' expiry).
	DefaultCheckEvery = 15 * time.Second
	maxCheckEvery     = 10 * time.Minute
	checkGiveUp       = 48 * time.Hour
)

// TypeAlertRemediation is the live event of a remediation step recorded
// on an alert (its data like the other alert events').
const TypeAlertRemediation = "alert.remediation"

// NoteAutoRemediated is the resolving note of an alert whose condition
// cleared after its remediation ran, before anyone acknowledged it.
const NoteAutoRemediated = "auto-remediated"

// Remediation is what runs remediations: the durable queue and the remote
// work services.
type Remediation struct {
	Queue    ports.Queue
	Scripts  *scripts.Service
	Commands *commands.Service
	// CheckEvery: DefaultCheckEvery when zero (tests shorten it).
	CheckEvery time.Duration
}

// EnableRemediation lets rules' remediations run: it registers the tasks on
// r.Queue (before the queue starts). Without it, rules with a remediation
// still open alerts, and nothing runs.
func (s *Service) EnableRemediation(r Remediation) error {
	if r.Queue == nil || r.Scripts == nil || r.Commands == nil {
		return errors.New("alerts: remediation needs Queue, Scripts and Commands")
	}
	if r.CheckEvery <= 0 {
		r.CheckEvery = DefaultCheckEvery
	}
	s.rem = &r
	r.Queue.Handle(TaskRemediate, 2, s.onRemediate)
	r.Queue.Handle(TaskRemediationCheck, 2, s.onRemediationCheck)
	return nil
}

// remediateTask is the payload of both tasks.
type remediateTask struct {
	AlertID string `json:"alertId"`
	Check   int    `json:"check,omitempty"` // the follow-up's number
}

// remediateOpened queues the remediation of an alert this node just opened.
func (s *Service) remediateOpened(ctx context.Context, a *domain.Alert) {
	if s.rem == nil || !s.remediates(a.PartnerID, a.RuleID) {
		return
	}
	raw, _ := json.Marshal(remediateTask{AlertID: a.ID})
	_, err := s.rem.Queue.Enqueue(ctx, TaskRemediate, raw, ports.EnqueueOptions{UniqueKey: a.ID, MaxRetries: 8, Timeout: time.Minute})
	if err == nil || errors.Is(err, ports.ErrDuplicateTask) {
		return
	}
	s.d.Logger.Warn("alert remediation not queued", "alert_id", a.ID, "error", err)
	s.record(ctx, a.ID, domain.AlertRemediation{Status: domain.RemediationFailed, At: s.d.Clock.Now()},
		"remediation not run: it could not be queued ("+err.Error()+")")
}

// remediates reports whether the compiled rule names a remediation (the
// task reads the rule again: this only saves a task per opening).
func (s *Service) remediates(partnerID, ruleID string) bool {
	for _, c := range s.ev.rules.Load().byPartner[partnerID] {
		if c.rule.ID == ruleID {
			return c.rule.Remediation != nil
		}
	}
	return false
}

func (s *Service) onRemediate(ctx context.Context, t ports.Task) error {
	var in remediateTask
	if err := json.Unmarshal(t.Payload, &in); err != nil {
		return ports.SkipRetry(err)
	}
	all := domain.GlobalScope()
	a, err := s.d.Store.Alerts().Get(ctx, all, in.AlertID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // its rule or device was deleted
	}
	if err != nil {
		return err
	}
	r, err := s.d.Store.AlertRules().Get(ctx, all, a.RuleID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Remediation == nil || a.Remediation.Status != "" {
		return nil // removed from the rule since, or handled by an earlier attempt
	}
	now := s.d.Clock.Now()
	if a.State == domain.AlertResolved {
		s.record(ctx, a.ID, domain.AlertRemediation{Status: domain.RemediationSkipped, At: now},
			"remediation skipped: the alert resolved before it ran")
		return nil
	}
	var since time.Time
	if r.RemediationEveryHours > 0 {
		since = now.Add(-time.Duration(r.RemediationEveryHours) * time.Hour)
	}
	claimed, err := s.d.Store.Alerts().ClaimRemediation(ctx, a.ID, now, since)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !claimed {
		// Either an earlier attempt claimed it, or the period holds.
		if cur, err := s.d.Store.Alerts().Get(ctx, all, a.ID); err == nil && cur.Remediation.Status == "" {
			s.record(ctx, a.ID, domain.AlertRemediation{Status: domain.RemediationSkipped, At: now},
				fmt.Sprintf("remediation skipped: %s already ran on this device within %d h", describe(ctx, s.d.Store, r.Remediation), r.RemediationEveryHours))
		}
		return nil
	}
	// Claimed: from here on the task never fails (a retry would find the
	// claim and do nothing), so the remediation runs at most once.
	rem, note := s.runRemediation(ctx, a, r, now)
	s.audit(ctx, a, r, rem, note) // first: the record makes the outcome visible
	s.record(ctx, a.ID, rem, note)
	if rem.Status == domain.RemediationStarted {
		s.queueCheck(ctx, a.ID, 1)
	}
	return nil
}

// runRemediation starts r's remediation on a's device as its author.
func (s *Service) runRemediation(ctx context.Context, a *domain.Alert, r *domain.AlertRule, now time.Time) (domain.AlertRemediation, string) {
	rem := domain.AlertRemediation{At: now}
	spec := r.Remediation
	what := describe(ctx, s.d.Store, spec)
	p, err := s.author(ctx, r.RemediationBy)
	if err != nil {
		rem.Status = domain.RemediationRefused
		return rem, fmt.Sprintf("remediation refused: %s not run: %v", what, err)
	}
	d, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), a.DeviceID)
	if err != nil {
		rem.Status = domain.RemediationFailed
		return rem, fmt.Sprintf("remediation failed: %s not run: %v", what, err)
	}
	perms, err := runPermissions(spec)
	if err != nil {
		rem.Status = domain.RemediationFailed
		return rem, fmt.Sprintf("remediation failed: %s not run: %v", what, err)
	}
	if !p.HoldsAt(domain.Unit{PartnerID: d.PartnerID, OrgID: d.OrgID, SiteID: d.SiteID}, perms...) {
		rem.Status = domain.RemediationRefused
		return rem, fmt.Sprintf("remediation refused: %s not run: its author %s no longer holds %s over this device",
			what, p.Email, permList(perms))
	}
	switch spec.Kind {
	case domain.RemediationScript:
		v, err := s.rem.Scripts.Run(ctx, p, spec.ScriptID, scripts.RunInput{DeviceIDs: []string{d.ID}, Params: spec.Params})
		if errors.Is(err, domain.ErrNotFound) {
			rem.Status = domain.RemediationFailed
			return rem, fmt.Sprintf("remediation failed: %s not run: the script or the device is gone (%v)", what, err)
		}
		if err != nil {
			rem.Status = domain.RemediationFailed
			return rem, fmt.Sprintf("remediation failed: %s not run: %v", what, err)
		}
		rem.Status, rem.ScriptRunID = domain.RemediationStarted, v.Run.ID
		return rem, fmt.Sprintf("remediation started: %s (script run %s)", what, v.Run.ID)
	default:
		c, _, err := s.rem.Commands.Create(ctx, p, d.ID, commands.CreateInput{Action: spec.Action, Payload: spec.Payload,
			IdempotencyKey: "remediation:" + a.ID})
		if err != nil {
			rem.Status = domain.RemediationFailed
			return rem, fmt.Sprintf("remediation failed: %s not run: %v", what, err)
		}
		rem.Status, rem.CommandID = domain.RemediationStarted, c.ID
		return rem, fmt.Sprintf("remediation started: %s (command %s)", what, c.ID)
	}
}

// queueCheck queues the n-th look at a started remediation's command.
func (s *Service) queueCheck(ctx context.Context, alertID string, n int) {
	wait := s.rem.CheckEvery << min(n-1, 16)
	if wait > maxCheckEvery || wait <= 0 {
		wait = maxCheckEvery
	}
	raw, _ := json.Marshal(remediateTask{AlertID: alertID, Check: n})
	_, err := s.rem.Queue.Enqueue(ctx, TaskRemediationCheck, raw, ports.EnqueueOptions{ProcessIn: wait,
		UniqueKey: fmt.Sprintf("%s/%d", alertID, n), MaxRetries: 5, Timeout: time.Minute})
	if err != nil && !errors.Is(err, ports.ErrDuplicateTask) {
		s.d.Logger.Warn("alert remediation outcome will not be recorded", "alert_id", alertID, "error", err)
	}
}

// onRemediationCheck notes the outcome of a started remediation once its
// command ended; until then it looks again later.
func (s *Service) onRemediationCheck(ctx context.Context, t ports.Task) error {
	var in remediateTask
	if err := json.Unmarshal(t.Payload, &in); err != nil {
		return ports.SkipRetry(err)
	}
	all := domain.GlobalScope()
	a, err := s.d.Store.Alerts().Get(ctx, all, in.AlertID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rem := a.Remediation
	if rem.Status != domain.RemediationStarted {
		return nil // already noted
	}
	var c *domain.Command
	switch {
	case rem.CommandID != "":
		if c, err = s.d.Store.Commands().Get(ctx, all, rem.CommandID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
	case rem.ScriptRunID != "":
		pg, err := s.d.Store.Commands().List(ctx, all, ports.CommandFilter{BatchID: rem.ScriptRunID}, domain.PageRequest{Limit: 1})
		if err != nil {
			return err
		}
		if len(pg.Items) > 0 {
			c = pg.Items[0]
		}
	}
	if c == nil || !c.Status.Final() {
		if s.d.Clock.Now().Sub(rem.At) > checkGiveUp {
			rem.Status = domain.RemediationFailed
			s.record(ctx, a.ID, rem, fmt.Sprintf("remediation failed: no result within %s", checkGiveUp))
			return nil
		}
		s.queueCheck(ctx, a.ID, in.Check+1)
		return nil
	}
	rem.CommandID = c.ID
	rem.Status = domain.RemediationFailed
	if c.Status == domain.CommandSucceeded {
		rem.Status = domain.RemediationSucceeded
	}
	note := fmt.Sprintf("remediation %s: command %s ended %s", rem.Status, c.ID, c.Status)
	if c.ExitCode != nil {
		note += fmt.Sprintf(" (exit code %d)", *c.ExitCode)
	}
	if c.Error != "" {
		note += ": " + domain.Abbrev(c.Error, 500)
	}
	s.record(ctx, a.ID, rem, note)
	return nil
}

// record notes a remediation on the alert (best effort: logged on failure).
func (s *Service) record(ctx context.Context, alertID string, rem domain.AlertRemediation, note string) {
	out, err := s.d.Store.Alerts().RecordRemediation(ctx, alertID, rem, domain.Abbrev(note, 4000))
	if err == nil {
		s.event(ctx, TypeAlertRemediation, out)
		return
	}
	if !errors.Is(err, domain.ErrNotFound) {
		s.d.Logger.Warn("alert remediation not recorded", "alert_id", alertID, "status", rem.Status, "note", note, "error", err)
	}
}

// audit appends the audit row of a remediation attempt (remote work done
// on the author's authority, with no request around it).
func (s *Service) audit(ctx context.Context, a *domain.Alert, r *domain.AlertRule, rem domain.AlertRemediation, note string) {
	e := domain.AuditEntry{ActorType: string(domain.PrincipalSystem), ActorID: "alert-rule:" + r.ID, Action: "alerts.remediate",
		ResourceType: ResourceAlert, ResourceID: a.ID, PartnerID: a.PartnerID, OrgID: a.OrgID, Outcome: domain.OutcomeSuccess}
	switch {
	case rem.ScriptRunID != "":
		e.ResourceType, e.ResourceID = "script_run", rem.ScriptRunID
	case rem.CommandID != "":
		e.ResourceType, e.ResourceID = "command", rem.CommandID
	}
	switch rem.Status {
	case domain.RemediationRefused:
		e.Outcome = domain.OutcomeDenied
	case domain.RemediationFailed:
		e.Outcome = domain.OutcomeFailure
	}
	raw, _ := json.Marshal(map[string]string{"alertId": a.ID, "ruleId": r.ID, "author": r.RemediationBy, "note": domain.Abbrev(note, 500)})
	e.Details = string(raw)
	e.Truncate()
	if err := s.d.Store.Audit().Append(ctx, &e); err != nil {
		s.d.Logger.Warn("alert remediation not audited", "alert_id", a.ID, "error", err)
	}
}

// author rebuilds the principal of the remediation's author with the
// grants they hold now.
func (s *Service) author(ctx context.Context, userID string) (*domain.Principal, error) {
	if userID == "" {
		return nil, errors.New("the rule names no author")
	}
	u, err := s.d.Store.Users().GetByID(ctx, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, errors.New("its author was deleted")
	}
	if err != nil {
		return nil, err
	}
	if u.Status != domain.UserActive {
		return nil, fmt.Errorf("its author %s is disabled", u.Email)
	}
	grants, err := s.d.Store.RoleAssignments().GrantsOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: u.ID, PartnerID: u.PartnerID, Email: u.Email, Grants: grants}, nil
}

// describe names what a remediation runs, for the history.
func describe(ctx context.Context, st ports.Store, spec *domain.AlertRemediationSpec) string {
	if spec.Kind == domain.RemediationScript {
		if sc, err := st.Scripts().Get(ctx, domain.GlobalScope(), spec.ScriptID); err == nil {
			return fmt.Sprintf("script %q (%s)", sc.Name, sc.ID)
		}
		return "script " + spec.ScriptID
	}
	return "action " + spec.Action
}

func permList(perms []domain.Permission) string {
	out := ""
	for i, p := range perms {
		if i > 0 {
			out += " and "
		}
		out += string(p)
	}
	return out
}

// isRemediated reports whether a standing alert's condition clearing now
// counts as fixed by its remediation: one ran, and nobody acknowledged it.
func isRemediated(a *domain.Alert) bool {
	st := a.Remediation.Status
	return a.State == domain.AlertOpen && (st == domain.RemediationStarted || st == domain.RemediationSucceeded)
}
