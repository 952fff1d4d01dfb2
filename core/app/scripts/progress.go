package scripts

import (
	"context"
	"sync"

	"github.com/breeze-rmm/breeze/core/domain"
)

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

func (c *runMetas) get(ctx context.Context, s *Service, runID string) (runMeta, bool) {
	c.mu.Lock()
	meta, ok := c.m[runID]
	c.mu.Unlock()
	if ok {
		return meta, true
	}
	r, err := s.d.Store.Scripts().GetRun(ctx, domain.GlobalScope(), runID)
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
