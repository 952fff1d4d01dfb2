package scans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// step is a step task's payload: the job and the step's number (each
// step queues the next, unique by number, so a job has one chain of steps
// however often a step is retried).
type step struct {
	JobID string `json:"jobId"`
	N     int    `json:"n"`
	// Pages is how many pages of the phase's commands had arrived at the
	// previous step: pages still arriving are not lost ones.
	Pages int `json:"pages,omitempty"`
	// Since is when that count last grew.
	Since time.Time `json:"since,omitzero"`
}

func stepKey(jobID string, n int) string { return fmt.Sprintf("%s:%d", jobID, n) }

// Start scans a profile now: the profile half resolves it (and checks p
// holds discovery:manage over it, 404 otherwise), the job is stored queued
// and its first step queued in the same transaction.
func (s *Service) Start(ctx context.Context, p *domain.Principal, profileID string) (*domain.ScanJob, error) {
	return s.StartWithID(ctx, p, profileID, "")
}

// StartWithID is Start with the job's id chosen by the caller, which makes
// it idempotent: a job of that id that exists already (an earlier attempt
// of a schedule's fire) is returned as it is. "" chooses a new id.
func (s *Service) StartWithID(ctx context.Context, p *domain.Principal, profileID, jobID string) (*domain.ScanJob, error) {
	if jobID != "" {
		if !domain.ValidID(jobID) {
			return nil, domain.Invalidf("scan id %q is not a UUID", domain.Abbrev(jobID, 40))
		}
		if j, err := s.d.Store.DiscoveryScans().Get(ctx, p.ScopeFor(domain.PermDiscoveryManage), jobID); !errors.Is(err, domain.ErrNotFound) {
			return j, err
		}
	} else {
		jobID = domain.NewID()
	}
	plan, err := s.d.Plans.Plan(ctx, p, profileID)
	if err != nil {
		return nil, err
	}
	if len(plan.Targets) == 0 {
		return nil, domain.Invalidf("the profile has no targets left after its exclusions")
	}
	if len(plan.ScannerDeviceIDs) == 0 {
		return nil, domain.Invalidf("the profile names no scanning agent")
	}
	sp := storedPlan{Methods: plan.Methods}
	if len(sp.sweepMethods()) == 0 && len(sp.probePlugins()) == 0 {
		return nil, domain.Invalidf("the profile has no discovery method")
	}
	timeout := plan.Timeout
	if timeout <= 0 {
		timeout = DefaultScanTimeout
	}
	timeout = min(timeout, MaxScanTimeout)
	now := s.d.Clock.Now().UTC()
	j := &domain.ScanJob{ID: jobID, SiteID: plan.Ref.SiteID, ProfileID: profileID, Status: domain.ScanQueued,
		Phase: sp.firstPhase(), Addresses: plan.Addresses, RequestedBy: p.UserID, CreatedAt: now, Deadline: now.Add(timeout)}
	if j.ProfileID == "" {
		j.ProfileID = plan.Ref.ProfileID
	}
	if j.Plan, err = s.sealPlan(j.ID, plan); err != nil {
		return nil, err
	}
	err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		if err := tx.DiscoveryScans().Create(ctx, p.ScopeFor(domain.PermDiscoveryManage), j); err != nil {
			return err
		}
		return s.queueStep(ctx, step{JobID: j.ID}, 0)
	})
	if errors.Is(err, domain.ErrConflict) {
		// Another attempt created it meanwhile.
		if old, gerr := s.d.Store.DiscoveryScans().Get(ctx, p.ScopeFor(domain.PermDiscoveryManage), jobID); gerr == nil {
			return old, nil
		}
	}
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "discovery_scan", j.ID, j.PartnerID, j.OrgID)
	audit.Annotate(ctx, func(e *domain.AuditEntry) {
		raw, _ := json.Marshal(map[string]any{"profileId": profileID, "addresses": j.Addresses})
		e.Details = string(raw)
	})
	return j, nil
}

// queueStep queues step st after delay; a duplicate (a retried step
// queuing its successor again) is fine.
func (s *Service) queueStep(ctx context.Context, st step, delay time.Duration) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = s.d.Queue.Enqueue(ctx, TaskStep, raw, ports.EnqueueOptions{ProcessIn: delay, UniqueKey: stepKey(st.JobID, st.N),
		MaxRetries: 10, Timeout: 2 * time.Minute})
	if err != nil && !errors.Is(err, ports.ErrDuplicateTask) {
		return fmt.Errorf("queue the scan's step: %w", err)
	}
	return nil
}
