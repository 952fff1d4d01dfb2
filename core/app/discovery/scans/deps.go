// Package scans runs discovery scan jobs (docs/discovery.md): a scan of a
// profile is a job on the queue port that dispatches discover commands to
// the site's scanner agents in two phases (sweep, then probe), takes the
// pages of results they stream back through an intake that never blocks
// an agent's link, merges them into the org's assets (AssetSink) and ends
// succeeded, failed, cancelled or timed out, partial when results are
// missing.
package scans

import (
	"context"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// PlanSource resolves a profile into what a scan needs (CORE's
// *discovery.Service implements it).
type PlanSource interface {
	// Plan checks p holds discovery:manage over the profile (404 if out of scope) and resolves it.
	Plan(ctx context.Context, p *domain.Principal, profileID string) (*domain.ScanPlan, error)
}

// AssetSink keeps the org's discovered assets (CORE's *discovery.Service
// implements it).
type AssetSink interface {
	// Merge folds one page of observations into the org's assets (upsert by (site, ip)), emitting
	// new-host / ports-changed events; idempotent for the same page delivered twice.
	Merge(ctx context.Context, ref domain.ScanRef, obs []domain.AssetObservation) error
	// Finish closes a scan: complete=true marks the assets of ref's site inside targets that this
	// scan did not see as gone (event asset gone); complete=false (failed, cancelled, timed out,
	// partial) marks nothing gone.
	Finish(ctx context.Context, ref domain.ScanRef, targets []string, complete bool) error
}

// Commands is the command pipeline (commands.Service implements it).
type Commands interface {
	CreateBatch(ctx context.Context, p *domain.Principal, deviceID string, in commands.BatchInput) (*domain.Command, error)
	Cancel(ctx context.Context, p *domain.Principal, id string) (*domain.Command, error)
}

// Deps are the service's collaborators and settings.
type Deps struct {
	Store    ports.Store
	Queue    ports.Queue
	Commands Commands
	Plans    PlanSource
	Assets   AssetSink
	// Sealer seals the SNMP credentials in the stored job (the commands'
	// sealer); nil: they are stored as given.
	Sealer commands.Sealer
	Clock  ports.Clock
	Logger ports.Logger
	// StepEvery is how often a running job looks at its commands
	// (default 2 s).
	StepEvery time.Duration
	// PageGrace is how long a finished command's pages may trail its
	// result (they travel apart) before the missing ones count as lost
	// (default 10 s).
	PageGrace time.Duration
	// IntakeQueue bounds the pages waiting to be merged (default 1024);
	// IntakeWorkers merge them (default 2).
	IntakeQueue   int
	IntakeWorkers int
}

// Defaults and bounds.
const (
	DefaultStepEvery   = 2 * time.Second
	DefaultPageGrace   = 10 * time.Second
	DefaultScanTimeout = time.Hour
	MaxScanTimeout     = 24 * time.Hour
	// TaskStep is the queue kind of a job's steps.
	TaskStep = "discovery.scan.step"
)

// Service implements the scan use cases.
type Service struct {
	d      Deps
	intake *intake
}

// New checks deps and fills defaults. Call RegisterTasks before the queue
// starts and Run (the page intake) for the service's lifetime.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Queue == nil || d.Commands == nil || d.Plans == nil || d.Assets == nil {
		return nil, errors.New("scans: Store, Queue, Commands, Plans and Assets are required")
	}
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.StepEvery <= 0 {
		d.StepEvery = DefaultStepEvery
	}
	if d.PageGrace <= 0 {
		d.PageGrace = DefaultPageGrace
	}
	if d.IntakeQueue <= 0 {
		d.IntakeQueue = 1024
	}
	if d.IntakeWorkers <= 0 {
		d.IntakeWorkers = 2
	}
	s := &Service{d: d}
	s.intake = newIntake(s, d.IntakeQueue, d.IntakeWorkers)
	return s, nil
}

// RegisterTasks installs the step handler on q.
func (s *Service) RegisterTasks(q ports.Queue) { q.Handle(TaskStep, 4, s.onStep) }

// Run merges the pages the intake takes until ctx ends.
func (s *Service) Run(ctx context.Context) { s.intake.run(ctx) }

// system is the principal a job acts as: the requesting user's id, with
// the right to run and cancel commands on the job's org only.
func system(j *domain.ScanJob) *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalSystem, UserID: j.RequestedBy, Email: "discovery scan " + j.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{OrgID: j.OrgID, PartnerID: j.PartnerID},
			Permissions: []domain.Permission{domain.PermDevicesExecute}}}}
}
