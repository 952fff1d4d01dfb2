package scripts

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// ProgressDeps are the progress publisher's collaborators.
type ProgressDeps struct {
	Store  ports.Store
	Events Publisher // nil: none
	Clock  ports.Clock
	Logger ports.Logger
}

// Progress tells browsers a run's counts (run.updated) when its fan-out
// ends and whenever one of its commands finishes. It implements
// commands.RunObserver. It needs neither service, so the composition root
// builds it first and hands it to both (commands.Deps.Runs and
// Deps.Progress): no service is completed after construction.
//
// Every node publishes for the commands it finishes, and the counts come
// from the store, so each finished command is counted once whichever node
// finished it.
type Progress struct {
	d     ProgressDeps
	metas runMetas // runs' tenants and sizes
}

// NewProgress checks deps and fills defaults.
func NewProgress(d ProgressDeps) (*Progress, error) {
	if d.Store == nil {
		return nil, errors.New("scripts: ProgressDeps.Store is required")
	}
	return &Progress{d: d.withDefaults()}, nil
}

// withDefaults fills the optional collaborators; the Service fills its own
// (the same ones) through it too.
func (d ProgressDeps) withDefaults() ProgressDeps {
	if d.Clock == nil {
		d.Clock = ports.ClockFunc(time.Now)
	}
	if d.Logger == nil {
		d.Logger = ports.NopLogger{}
	}
	if d.Events == nil {
		d.Events = nopPublisher{}
	}
	return d
}

// CommandFinished implements commands.RunObserver: browsers get the run's
// new counts.
func (p *Progress) CommandFinished(ctx context.Context, c *domain.Command) {
	meta, ok := p.metas.get(ctx, p.d.Store, c.BatchID)
	if !ok {
		return
	}
	p.publish(ctx, c.BatchID, meta)
}

// RunProgress is the data of a run.updated event.
type RunProgress struct {
	RunID  string           `json:"runId"`
	Counts domain.RunCounts `json:"counts"`
	Total  int              `json:"total"`
}

// runFannedOut publishes a run whose commands were all created.
func (p *Progress) runFannedOut(ctx context.Context, r *domain.ScriptRun) {
	p.publish(ctx, r.ID, runMeta{partnerID: r.PartnerID, orgID: r.OrgID, total: len(r.DeviceIDs)})
}

func (p *Progress) publish(ctx context.Context, runID string, meta runMeta) {
	counts, err := p.d.Store.Commands().CountByBatch(ctx, runID)
	if err != nil {
		p.d.Logger.Warn("run counts not loaded", "run_id", runID, "error", err)
		return
	}
	p.d.Events.PublishData(ctx, events.Event{Type: events.TypeRunUpdated, At: p.d.Clock.Now().UTC(),
		PartnerID: meta.partnerID, OrgID: meta.orgID}, RunProgress{RunID: runID, Counts: counts, Total: meta.total})
}

// runMeta is what a run.updated event needs of its run besides counts.
type runMeta struct {
	partnerID, orgID string
	total            int
}

// maxRunMeta bounds the cache; past it, it starts afresh (a miss costs
// one read).
const maxRunMeta = 1024

// runMetas remembers runs' tenants and sizes, so each finished command of
// a run does not load (and decode) the run's whole device list again: a
// run of 10 000 devices would otherwise decode it 10 000 times.
type runMetas struct {
	mu sync.Mutex
	m  map[string]runMeta
}

func (c *runMetas) get(ctx context.Context, st ports.Store, runID string) (runMeta, bool) {
	c.mu.Lock()
	meta, ok := c.m[runID]
	c.mu.Unlock()
	if ok {
		return meta, true
	}
	r, err := st.Scripts().GetRun(ctx, domain.GlobalScope(), runID)
	if err != nil {
		return runMeta{}, false
	}
	meta = runMeta{partnerID: r.PartnerID, orgID: r.OrgID, total: len(r.DeviceIDs)}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxRunMeta {
		c.m = map[string]runMeta{}
	}
	c.m[runID] = meta
	c.mu.Unlock()
	return meta, true
}
