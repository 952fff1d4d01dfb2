package plugins

import (
	"context"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk"
)

// What one collector adds to a frame is bounded by the SDK's limits
// (sdk.Collection.Kept: sdk.MaxMetrics, sdk.MetricNameRE, ...), the same
// ones sdk.Collection.Validate holds an author's own tests to.
const (
	// collectTimeout bounds one Collect running in the background; the
	// supervisor's call timeout (30 s) kills a plugin that hangs anyway.
	collectTimeout = time.Minute
	// fresh: a collection this young is reused (heartbeat and inventory
	// often ask within the same moment).
	fresh = time.Second
)

// collectCache runs at most one Collect at a time per plugin. A caller
// waits up to its budget; when the plugin is slower it gets the previous
// result and the collection finishes in the background for the next one.
type collectCache struct {
	mu       sync.Mutex
	last     sdk.Collection
	at       time.Time
	have     bool
	inflight chan struct{} // closed when the running Collect ends
}

func (c *collectCache) get(ctx context.Context, budget time.Duration, collect func(context.Context) (sdk.Collection, error), onErr func(error)) (sdk.Collection, bool) {
	c.mu.Lock()
	if c.have && time.Since(c.at) < fresh {
		defer c.mu.Unlock()
		return c.last, true
	}
	done := c.inflight
	if done == nil {
		done = make(chan struct{})
		c.inflight = done
		go func() {
			cctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
			defer cancel()
			col, err := collect(cctx)
			c.mu.Lock()
			if err != nil {
				c.have = false // never report stale values as current
				onErr(err)
			} else {
				c.last, c.at, c.have = col, time.Now(), true
			}
			c.inflight = nil
			c.mu.Unlock()
			close(done)
		}()
	}
	c.mu.Unlock()
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.have
}

// collectAll asks every running collector at once, each within the budget.
func (m *Manager) collectAll(ctx context.Context) map[string]sdk.Collection {
	ps := m.supervised(string(sdk.KindCollector))
	out := make(map[string]sdk.Collection, len(ps))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range ps {
		col, err := p.sup.Collector()
		if err != nil || p.cache == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			onErr := func(err error) { m.log.Debug("collector failed", "plugin_id", p.offer.ID, "error", err) }
			if c, ok := p.cache.get(ctx, m.d.CollectBudget, col.Collect, onErr); ok {
				mu.Lock()
				out[p.offer.ID] = c
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// Metrics are the running collectors' metrics for a heartbeat (bounded by
// CollectBudget); it suits collect.Options.PluginMetrics.
func (m *Manager) Metrics(ctx context.Context) []protocol.PluginMetric {
	var out []protocol.PluginMetric
	for id, c := range m.collectAll(ctx) {
		out = append(out, keptMetrics(id, c)...)
	}
	return out
}

// Facts are the running collectors' inventory facts (bounded by
// CollectBudget); it suits inventory.Options.PluginFacts.
func (m *Manager) Facts(ctx context.Context) []protocol.PluginFact {
	var out []protocol.PluginFact
	for id, c := range m.collectAll(ctx) {
		out = append(out, keptFacts(id, c)...)
	}
	return out
}

// keptMetrics is what the agent sends of plugin id's collection.
func keptMetrics(id string, c sdk.Collection) []protocol.PluginMetric {
	kept := c.Kept()
	out := make([]protocol.PluginMetric, 0, len(kept.Metrics))
	for _, mt := range kept.Metrics {
		out = append(out, protocol.PluginMetric{Plugin: id, Name: mt.Name, Value: mt.Value, Unit: mt.Unit, Labels: mt.Labels})
	}
	return out
}

// keptFacts is what the agent sends of plugin id's facts.
func keptFacts(id string, c sdk.Collection) []protocol.PluginFact {
	kept := c.Kept()
	out := make([]protocol.PluginFact, 0, len(kept.Facts))
	for _, f := range kept.Facts {
		out = append(out, protocol.PluginFact{Plugin: id, Key: f.Key, Value: f.Value})
	}
	return out
}
