package plugins

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk"
)

// Bounds on what one collector adds to a frame.
const (
	maxMetrics   = 100
	maxFacts     = 100
	maxNameLen   = 128
	maxFactValue = 4096
	maxLabels    = 16
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
		n := 0
		for _, mt := range c.Metrics {
			if n == maxMetrics || mt.Name == "" || len(mt.Name) > maxNameLen || math.IsNaN(mt.Value) || math.IsInf(mt.Value, 0) {
				continue // NaN and Inf cannot be encoded as JSON
			}
			n++
			out = append(out, protocol.PluginMetric{Plugin: id, Name: mt.Name, Value: mt.Value, Unit: protocol.Clip(mt.Unit, 32), Labels: labels(mt.Labels)})
		}
	}
	return out
}

// Facts are the running collectors' inventory facts (bounded by
// CollectBudget); it suits inventory.Options.PluginFacts.
func (m *Manager) Facts(ctx context.Context) []protocol.PluginFact {
	var out []protocol.PluginFact
	for id, c := range m.collectAll(ctx) {
		n := 0
		for _, f := range c.Facts {
			if n == maxFacts || f.Key == "" || len(f.Key) > maxNameLen {
				continue
			}
			n++
			out = append(out, protocol.PluginFact{Plugin: id, Key: f.Key, Value: protocol.Clip(f.Value, maxFactValue)})
		}
	}
	return out
}

func labels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, min(len(in), maxLabels))
	for k, v := range in {
		if len(out) == maxLabels {
			break
		}
		out[protocol.Clip(k, maxNameLen)] = protocol.Clip(v, maxNameLen)
	}
	return out
}
