package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

// Options configures a Collector.
type Options struct {
	Logger  hclog.Logger
	Sources []SoftwareSource // DefaultSources() when nil
	Now     func() time.Time
	// PluginFacts, when set, adds collector plugins' facts to each
	// inventory (agent/plugins.Manager.Facts); it must bound its time.
	PluginFacts func(ctx context.Context) []protocol.PluginFact
}

// Collector gathers full inventories. Safe for concurrent use.
type Collector struct {
	log     hclog.Logger
	sources []SoftwareSource
	now     func() time.Time
	facts   func(ctx context.Context) []protocol.PluginFact

	mu     sync.Mutex
	cpu    *protocol.CPUInfo // cached: the CPU does not change while we run
	warned map[string]bool
}

// NewCollector returns a Collector.
func NewCollector(opts Options) *Collector {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Sources == nil {
		opts.Sources = DefaultSources()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Collector{log: opts.Logger.Named("inventory"), sources: opts.Sources, now: opts.Now, facts: opts.PluginFacts,
		warned: map[string]bool{}}
}

// Collect returns a full, normalised (sorted) inventory. Hardware sections
// that cannot be read are left empty (Diff treats empty as "unknown", not as
// "removed"). A failing software source fails the whole collection: a partial
// package list would read as mass uninstalls on the server.
func (c *Collector) Collect(ctx context.Context) (protocol.Inventory, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	inv := protocol.Inventory{
		Header: protocol.Header{Type: protocol.TypeInventory},
		Full:   true,
		At:     c.now().UTC(),
	}
	var err error
	if inv.OS, err = osInfo(ctx); err != nil {
		c.warn("os", err)
	}
	if c.cpu == nil {
		if c.cpu, err = cpuInfo(ctx); err != nil {
			c.warn("cpu", err)
		}
	}
	inv.CPU = c.cpu
	if inv.MemoryTotal, err = memoryTotal(ctx); err != nil {
		c.warn("memory", err)
	}
	if inv.Disks, err = blockDisks(); err != nil {
		c.warn("disks", err)
	}
	if inv.Filesystems, err = filesystems(ctx); err != nil {
		c.warn("filesystems", err)
	}
	if inv.Interfaces, err = interfaces(); err != nil {
		c.warn("interfaces", err)
	}
	sw, err := c.software(ctx)
	if err != nil {
		return protocol.Inventory{}, err
	}
	inv.Software = sw
	if c.facts != nil {
		inv.Facts = normalizeFacts(c.facts(ctx))
	}
	return inv, nil
}

func (c *Collector) software(ctx context.Context) ([]protocol.SoftwarePackage, error) {
	var all []protocol.SoftwarePackage
	for _, s := range c.sources {
		pkgs, err := s.List(ctx)
		if errors.Is(err, ErrUnsupported) {
			c.warn("software:"+s.Name(), err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("software source %s: %w", s.Name(), err)
		}
		all = append(all, pkgs...)
	}
	return normalizeSoftware(all), nil
}

// normalizeSoftware sorts and removes duplicates (multi-arch dpkg packages
// of the same version appear once).
func normalizeSoftware(pkgs []protocol.SoftwarePackage) []protocol.SoftwarePackage {
	sort.Slice(pkgs, func(i, j int) bool { return softwareKey(pkgs[i]) < softwareKey(pkgs[j]) })
	out := pkgs[:0]
	for i, p := range pkgs {
		if i > 0 && softwareKey(p) == softwareKey(pkgs[i-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func softwareKey(p protocol.SoftwarePackage) string {
	return p.Source + "\x00" + p.Name + "\x00" + p.Version
}

// warn logs a section failure at warn once, then at debug.
func (c *Collector) warn(section string, err error) {
	if !c.warned[section] {
		c.warned[section] = true
		c.log.Warn("inventory section unavailable", "section", section, "error", err)
		return
	}
	c.log.Debug("inventory section unavailable", "section", section, "error", err)
}

// normalizeFacts sorts facts by plugin and key so Diff compares them
// without caring about the order plugins answered in.
func normalizeFacts(f []protocol.PluginFact) []protocol.PluginFact {
	sort.Slice(f, func(i, j int) bool {
		if f[i].Plugin != f[j].Plugin {
			return f[i].Plugin < f[j].Plugin
		}
		return f[i].Key < f[j].Key
	})
	return f
}
