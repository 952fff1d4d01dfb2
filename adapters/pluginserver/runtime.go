package pluginserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
)

// RuntimeOptions configure the supervisors (zero: pluginhost's defaults).
type RuntimeOptions struct {
	// Store backs each plugin's key-value store.
	Store  ports.PluginStore
	Logger hclog.Logger
	// Egress is what plugins' outbound HTTP may reach: public addresses and
	// the operator's allowed ranges.
	Egress egress.Policy
	// Sandbox: run plugins without a network of their own ("": auto).
	Sandbox Sandbox
	// Supervision tuning, mostly for tests.
	StartTimeout, PingEvery, PingTimeout, CallTimeout time.Duration
	MinBackoff, MaxBackoff                            time.Duration
}

// Runtime implements plugins.Runtime with one pluginhost.Supervisor per
// server-side plugin.
type Runtime struct {
	o        RuntimeOptions
	log      hclog.Logger
	egress   *egress.Client
	isolate  bool // start plugins in an empty network namespace
	mu       sync.Mutex
	sups     map[string]*pluginhost.Supervisor
	hosts    map[string]*hostAPI // each supervisor's host API
	versions map[string]string   // the version each supervisor was started with
}

var _ plugins.Runtime = (*Runtime)(nil)

// NewRuntime returns an empty runtime.
func NewRuntime(o RuntimeOptions) (*Runtime, error) {
	if o.Store == nil {
		return nil, errors.New("pluginserver: RuntimeOptions.Store is required")
	}
	log := o.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	mode, err := ParseSandbox(string(o.Sandbox))
	if err != nil {
		return nil, err
	}
	isolate, err := mode.isolate(log)
	if err != nil {
		return nil, err
	}
	return &Runtime{o: o, log: log.Named("plugin"), sups: map[string]*pluginhost.Supervisor{}, hosts: map[string]*hostAPI{}, versions: map[string]string{},
		egress: egress.NewClient(o.Egress, sdk.MaxHTTPBody), isolate: isolate}, nil
}

// Start replaces any supervisor of spec.ID with a new one and launches it.
// A failed first start stays visible (state failed) until the next Start
// or Stop.
func (r *Runtime) Start(ctx context.Context, spec plugins.RunSpec) error {
	if err := r.Stop(ctx, spec.ID); err != nil {
		return err
	}
	log := r.log.With("plugin_id", spec.ID)
	host := &hostAPI{pluginID: spec.ID, store: r.o.Store, log: log, egress: r.egress}
	sup, err := pluginhost.New(pluginhost.Spec{
		ID: spec.ID, Version: spec.Version, Kind: sdk.Kind(spec.Kind), Exec: spec.Exec, SHA256: spec.SHA256,
		Host: host, Logger: r.log, NoNetwork: r.isolate,
		StartTimeout: r.o.StartTimeout, PingEvery: r.o.PingEvery, PingTimeout: r.o.PingTimeout, CallTimeout: r.o.CallTimeout,
		MinBackoff: r.o.MinBackoff, MaxBackoff: r.o.MaxBackoff,
	})
	if err != nil {
		return fmt.Errorf("pluginserver: %w", err)
	}
	r.mu.Lock()
	r.sups[spec.ID] = sup
	r.hosts[spec.ID] = host
	r.versions[spec.ID] = spec.Version
	r.mu.Unlock()
	return sup.Start(ctx)
}

// Stop ends the plugin's supervisor (the process is stopped, then killed).
func (r *Runtime) Stop(ctx context.Context, id string) error {
	r.mu.Lock()
	sup := r.sups[id]
	delete(r.sups, id)
	delete(r.hosts, id)
	delete(r.versions, id)
	r.mu.Unlock()
	if sup == nil {
		return nil
	}
	return sup.Stop(ctx)
}

// Running maps each supervised plugin to the version it was started with.
func (r *Runtime) Running() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.versions))
	for id, v := range r.versions {
		out[id] = v
	}
	return out
}

// Status is the supervisor's snapshot.
func (r *Runtime) Status(id string) (plugins.RunStatus, bool) {
	r.mu.Lock()
	sup := r.sups[id]
	r.mu.Unlock()
	if sup == nil {
		return plugins.RunStatus{}, false
	}
	st := sup.Status()
	return plugins.RunStatus{State: string(st.State), Restarts: st.Restarts, LastError: st.LastError, StartedAt: st.StartedAt}, true
}

// Notifier is the running alert channel.
func (r *Runtime) Notifier(id string) (ports.Notifier, error) {
	r.mu.Lock()
	sup, host := r.sups[id], r.hosts[id]
	r.mu.Unlock()
	if sup == nil {
		return nil, pluginhost.ErrNotRunning
	}
	ch, err := sup.AlertChannel()
	if err != nil {
		return nil, err
	}
	return hostSettingsNotifier{NotifierFrom(ch), host}, nil
}

// StopAll stops every plugin, in parallel.
func (r *Runtime) StopAll(ctx context.Context) error {
	r.mu.Lock()
	sups := r.sups
	r.sups = map[string]*pluginhost.Supervisor{}
	r.versions = map[string]string{}
	r.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, 0, len(sups))
	var emu sync.Mutex
	for _, sup := range sups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sup.Stop(ctx); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
