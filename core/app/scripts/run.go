package scripts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// RunInput says where to run a script: exactly one of DeviceIDs, GroupID,
// SiteID or OrgID.
type RunInput struct {
	DeviceIDs []string
	GroupID   string
	SiteID    string
	OrgID     string
	Params    map[string]any
	// ExpiresIn bounds each command's wait for an offline device (0: the
	// commands' default); a schedule's when_online grace.
	ExpiresIn time.Duration
	// RunID, when set, is the run's id chosen by the caller, which makes
	// Run idempotent: a run of that id that exists already is returned as
	// it is, and nothing is queued again (a schedule's fire resumed after
	// its node died).
	RunID string
}

// RunView is a run with its progress.
type RunView struct {
	Run    *domain.ScriptRun
	Counts domain.RunCounts
	Total  int
}

// Run starts a script on its targets: it checks the parameters, resolves
// the devices within the caller's devices:execute scope (one org per run;
// devices outside the script's OS filter are left out), stores the run and
// queues its fan-out. A foreign device, group, site or org is ErrNotFound.
func (s *Service) Run(ctx context.Context, p *domain.Principal, scriptID string, in RunInput) (*RunView, error) {
	sc, err := s.d.Store.Scripts().Get(ctx, p.ScopeFor(domain.PermScriptsRead), scriptID)
	if err != nil {
		return nil, err
	}
	if in.RunID != "" {
		if !domain.ValidID(in.RunID) {
			return nil, domain.Invalidf("run id %q is not a UUID", domain.Abbrev(in.RunID, 40))
		}
		if v, err := s.existingRun(ctx, in.RunID, sc.ID); !errors.Is(err, domain.ErrNotFound) {
			return v, err
		}
	}
	payload, kept, err := bind(sc, in.Params)
	if err != nil {
		return nil, err
	}
	kind, target, devices, err := s.targets(ctx, p.ScopeFor(domain.PermDevicesExecute), in)
	if err != nil {
		return nil, err
	}
	orgID, partnerID := devices[0].OrgID, devices[0].PartnerID
	ids := make([]string, 0, len(devices))
	for _, d := range devices {
		if d.OrgID != orgID {
			return nil, domain.Invalidf("a run targets the devices of one organization")
		}
		if err := commands.MayRunScript(p, d); err != nil {
			return nil, err
		}
		if (sc.OrgID != "" && d.OrgID != sc.OrgID) || d.PartnerID != sc.PartnerID {
			return nil, domain.Invalidf("this script is not available to the organization of device %s", d.ID)
		}
		if len(sc.OSFilter) > 0 && !slices.Contains(sc.OSFilter, d.OS) {
			continue
		}
		if d.Status == domain.DeviceDecommissioned {
			continue
		}
		ids = append(ids, d.ID)
	}
	if len(ids) == 0 {
		return nil, domain.Invalidf("no target device matches the script's OS filter")
	}
	r := &domain.ScriptRun{
		ID: in.RunID, PartnerID: partnerID, OrgID: orgID, ScriptID: sc.ID, ScriptVersion: sc.Version,
		TargetKind: kind, TargetID: target, DeviceIDs: ids, Params: kept, RequestedBy: p.UserID,
		CreatedAt: s.d.Clock.Now().UTC(),
	}
	rawPayload, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	// The run and its fan-out are one transaction: a run whose fan-out
	// could not be queued is rolled back, never left with no commands. The
	// SQLite queue joins the transaction; a queue elsewhere (asynq) may hand
	// the task to a worker before the commit, which onFanout tolerates.
	err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		// A run is an organization's row, while the caller may hold the rule
		// only over a site: every target passed MayRunScript above, so the
		// run is stored in its org on that authority.
		if err := tx.Scripts().CreateRun(ctx, domain.Scope{OrgIDs: []string{orgID}}, r); err != nil {
			return err
		}
		// The queued task holds secrets only sealed (a dead task is kept).
		sealedPayload, err := commands.SealSecrets(s.d.Sealer, r.ID, rawPayload)
		if err != nil {
			return err
		}
		task, err := json.Marshal(fanout{RunID: r.ID, UserID: p.UserID, Payload: sealedPayload, Timeout: sc.TimeoutSeconds,
			ExpiresIn: in.ExpiresIn})
		if err != nil {
			return fmt.Errorf("encode fan-out: %w", err)
		}
		if _, err := s.d.Queue.Enqueue(ctx, TaskFanout, task, ports.EnqueueOptions{UniqueKey: r.ID, MaxRetries: 20, Timeout: 10 * time.Minute}); err != nil {
			return fmt.Errorf("queue the run: %w", err)
		}
		return nil
	})
	if errors.Is(err, domain.ErrConflict) && in.RunID != "" {
		return s.existingRun(ctx, in.RunID, sc.ID) // another attempt made it meanwhile
	}
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "script_run", r.ID, r.PartnerID, r.OrgID)
	audit.Annotate(ctx, func(e *domain.AuditEntry) {
		raw, _ := json.Marshal(map[string]any{"scriptId": sc.ID, "version": sc.Version, "devices": len(ids), "params": kept})
		e.Details = string(raw)
	})
	return &RunView{Run: r, Counts: domain.RunCounts{}, Total: len(ids)}, nil
}

// existingRun is the run of a caller-chosen id made by an earlier attempt
// (ErrNotFound: none yet). The same id on another script is a conflict.
func (s *Service) existingRun(ctx context.Context, runID, scriptID string) (*RunView, error) {
	r, err := s.d.Store.Scripts().GetRun(ctx, domain.GlobalScope(), runID)
	if err != nil {
		return nil, err
	}
	if r.ScriptID != scriptID {
		return nil, fmt.Errorf("run %s is of another script: %w", runID, domain.ErrConflict)
	}
	return &RunView{Run: r, Counts: domain.RunCounts{}, Total: len(r.DeviceIDs)}, nil
}

// targets resolves a run's devices within scope.
func (s *Service) targets(ctx context.Context, scope domain.Scope, in RunInput) (domain.RunTargetKind, string, []*domain.Device, error) {
	n := 0
	for _, set := range []bool{len(in.DeviceIDs) > 0, in.GroupID != "", in.SiteID != "", in.OrgID != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", "", nil, domain.Invalidf("name exactly one target: deviceIds, deviceGroupId, siteId or orgId")
	}
	if len(in.DeviceIDs) > 0 {
		if len(in.DeviceIDs) > MaxRunDevices {
			return "", "", nil, domain.Invalidf("at most %d devices per run", MaxRunDevices)
		}
		var out []*domain.Device
		seen := map[string]bool{}
		for _, id := range in.DeviceIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			d, err := s.d.Store.Devices().Get(ctx, scope, id)
			if err != nil {
				return "", "", nil, err
			}
			if d.IsNetwork() {
				return "", "", nil, domain.NetworkDeviceError(d)
			}
			out = append(out, d)
		}
		return domain.TargetDevices, "", out, nil
	}
	f := ports.DeviceFilter{Kind: domain.DeviceKindAgent} // fan-outs skip network devices
	kind, id := domain.TargetOrg, in.OrgID
	switch {
	case in.GroupID != "":
		if _, err := s.d.Store.DeviceGroups().Get(ctx, scope, in.GroupID); err != nil {
			return "", "", nil, err
		}
		f.GroupID, kind, id = in.GroupID, domain.TargetGroup, in.GroupID
	case in.SiteID != "":
		if _, err := s.d.Store.Sites().Get(ctx, scope, in.SiteID); err != nil {
			return "", "", nil, err
		}
		f.SiteID, kind, id = in.SiteID, domain.TargetSite, in.SiteID
	default:
		if _, err := s.d.Store.Orgs().Get(ctx, scope, in.OrgID); err != nil {
			return "", "", nil, err
		}
		f.OrgID = in.OrgID
	}
	var out []*domain.Device
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		pg, err := s.d.Store.Devices().List(ctx, scope, f, page)
		if err != nil {
			return "", "", nil, err
		}
		out = append(out, pg.Items...)
		if len(out) > MaxRunDevices {
			return "", "", nil, domain.Invalidf("at most %d devices per run", MaxRunDevices)
		}
		if pg.NextCursor == "" {
			break
		}
		page.Cursor = pg.NextCursor
	}
	if len(out) == 0 {
		return "", "", nil, domain.Invalidf("the target holds no devices you may run scripts on")
	}
	return kind, id, out, nil
}

// fanoutMissingAttempts is how many attempts a fan-out makes to find its
// run before it gives up (the run was rolled back).
const fanoutMissingAttempts = 4

// fanout is the queued work of a run.
type fanout struct {
	RunID   string          `json:"runId"`
	UserID  string          `json:"userId"`
	Payload json.RawMessage `json:"payload"` // a RunScriptPayload, secrets sealed for the run
	Timeout int             `json:"timeoutSeconds"`
	// ExpiresIn: each command's wait for an offline device (0: default).
	ExpiresIn time.Duration `json:"expiresIn,omitempty"`
}

// RegisterTasks installs the fan-out handler on q.
func (s *Service) RegisterTasks(q ports.Queue) { q.Handle(TaskFanout, 2, s.onFanout) }

// onFanout creates and dispatches one command per device of the run. A
// retry skips the devices already done (their idempotency key exists).
func (s *Service) onFanout(ctx context.Context, t ports.Task) error {
	var f fanout
	if err := json.Unmarshal(t.Payload, &f); err != nil {
		return ports.SkipRetry(err)
	}
	all := domain.GlobalScope()
	r, err := s.d.Store.Scripts().GetRun(ctx, all, f.RunID)
	if errors.Is(err, domain.ErrNotFound) {
		// The task may have reached a worker before Run's transaction
		// committed (a queue outside the database): look again a few
		// times before deciding the run was rolled back.
		if t.Attempt < fanoutMissingAttempts {
			return fmt.Errorf("run %s not stored (yet): %w", f.RunID, err)
		}
		return ports.SkipRetry(err)
	}
	if err != nil {
		return err
	}
	payload, err := commands.OpenSecrets(s.d.Sealer, r.ID, f.Payload)
	if err != nil {
		return ports.SkipRetry(err)
	}
	sys := &domain.Principal{Kind: domain.PrincipalSystem, UserID: f.UserID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{OrgID: r.OrgID, PartnerID: r.PartnerID}, Permissions: []domain.Permission{domain.PermDevicesExecute}}}}
	for _, deviceID := range r.DeviceIDs {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := s.d.Commands.CreateBatch(ctx, sys, deviceID, commands.BatchInput{
			Action: protocol.ActionRunScript, Payload: payload, IdempotencyKey: "run:" + r.ID,
			BatchID: r.ID, ScriptID: r.ScriptID, Timeout: time.Duration(f.Timeout) * time.Second, ExpiresIn: f.ExpiresIn,
		})
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("command for device %s: %w", deviceID, err)
		}
	}
	s.d.Progress.runFannedOut(ctx, r)
	return nil
}

// GetRun returns a run with its progress (devices:read over its org, or
// the run is the caller's own).
func (s *Service) GetRun(ctx context.Context, p *domain.Principal, id string) (*RunView, error) {
	r, err := s.visibleRun(ctx, p, id)
	if err != nil {
		return nil, err
	}
	counts, err := s.d.Store.Commands().CountByBatch(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &RunView{Run: r, Counts: counts, Total: len(r.DeviceIDs)}, nil
}

// visibleRun reads a run within the caller's devices:read scope (its org),
// or a run the caller started: a site-scoped technician may run a script on
// their site's devices (MayRunScript) and must then see the run's progress.
// Its per-device results stay filtered by devices:read.
func (s *Service) visibleRun(ctx context.Context, p *domain.Principal, id string) (*domain.ScriptRun, error) {
	r, err := s.d.Store.Scripts().GetRun(ctx, p.ScopeFor(domain.PermDevicesRead), id)
	if !errors.Is(err, domain.ErrNotFound) || p.UserID == "" || !p.Can(domain.PermDevicesRead) {
		return r, err
	}
	own, gerr := s.d.Store.Scripts().GetRun(ctx, domain.GlobalScope(), id)
	if gerr != nil || own.RequestedBy != p.UserID {
		return nil, err
	}
	return own, nil
}

// ListRuns lists a script's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, p *domain.Principal, scriptID string, page domain.PageRequest) (domain.Page[*domain.ScriptRun], error) {
	if _, err := s.d.Store.Scripts().Get(ctx, p.ScopeFor(domain.PermScriptsRead), scriptID); err != nil {
		return domain.Page[*domain.ScriptRun]{}, err
	}
	return s.d.Store.Scripts().ListRuns(ctx, p.ScopeFor(domain.PermDevicesRead), scriptID, page)
}

// Results lists a run's per-device commands.
func (s *Service) Results(ctx context.Context, p *domain.Principal, runID string, page domain.PageRequest) (domain.Page[*domain.Command], error) {
	if _, err := s.visibleRun(ctx, p, runID); err != nil {
		return domain.Page[*domain.Command]{}, err
	}
	pg, err := s.d.Store.Commands().List(ctx, p.ScopeFor(domain.PermDevicesRead), ports.CommandFilter{BatchID: runID}, page)
	for i, c := range pg.Items {
		pg.Items[i] = commands.Redacted(c)
	}
	return pg, err
}
