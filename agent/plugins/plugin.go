package plugins

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/pluginhost"
	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk"
)

// stopTimeout bounds stopping one plugin.
const stopTimeout = 10 * time.Second

// plugin is one offered plugin: running under a supervisor, or failed.
// Fields are set before it is published in Manager.plugins and not
// changed after, except through their own locks.
type plugin struct {
	offer   protocol.PluginOffer
	host    *host
	sup     *pluginhost.Supervisor // nil: not running
	err     string                 // why it is not running (or a note)
	refused bool                   // verification refused it: same offer is not retried
	keyID   string
	dev     bool // from the plugin dev directory

	runtimes []*runtime // registered languages (script runtimes)
	cache    *collectCache
}

// start installs and launches o; the result says how that went.
func (m *Manager) start(ctx context.Context, o protocol.PluginOffer) *plugin {
	log := m.d.Logger.Named("plugin").With("plugin_id", o.ID)
	var kv *kvFile
	if idRE.MatchString(o.ID) && !strings.Contains(o.ID, "..") { // a malformed id is refused below
		kv = &kvFile{path: filepath.Join(kvDir(m.d.StateDir), o.ID+".json")}
	}
	p := &plugin{offer: o, host: newHost(log, o.Settings, kv)}
	_, p.dev = m.devDirOf(o)
	fail := func(err error, refused bool) *plugin {
		p.err, p.refused = err.Error(), refused
		if refused {
			m.log.Error("plugin refused", "plugin_id", o.ID, "version", o.Version, "error", err)
		} else {
			m.log.Warn("plugin not started; will try again with the next offer", "plugin_id", o.ID, "version", o.Version, "error", err)
		}
		return p
	}
	if err := checkOffer(o, m.d.MaxArchive); err != nil {
		return fail(err, true)
	}
	inst, err := m.install(ctx, o)
	if err != nil {
		return fail(err, isRefusal(err))
	}
	p.keyID = inst.keyID
	spec := pluginhost.Spec{ID: o.ID, Version: o.Version, Kind: sdk.Kind(o.Kind), Exec: inst.exec, SHA256: inst.sha256,
		Host: p.host, Logger: log, Env: m.d.Env}
	if m.d.Supervision != nil {
		m.d.Supervision(&spec)
	}
	sup, err := pluginhost.New(spec)
	if err != nil {
		return fail(err, true)
	}
	if err := sup.Start(ctx); err != nil {
		_ = sup.Stop(context.Background())
		return fail(fmt.Errorf("start: %w", err), false)
	}
	p.sup = sup
	signer := inst.keyID
	if signer == "" {
		signer = "unsigned (development)"
	}
	m.log.Info("plugin running", "plugin_id", o.ID, "version", o.Version, "kind", o.Kind, "signed_by", signer)
	switch sdk.Kind(o.Kind) {
	case sdk.KindScriptRuntime:
		p.err = m.registerRuntimes(ctx, p)
	case sdk.KindCollector:
		p.cache = &collectCache{}
	}
	return p
}

// registerRuntimes adds the runtime's languages to the scripts registry;
// a language already there (built in, or another plugin's) is kept and
// the clash noted.
func (m *Manager) registerRuntimes(ctx context.Context, p *plugin) string {
	rt, err := p.sup.ScriptRuntime()
	if err != nil {
		return err.Error()
	}
	langs, err := rt.Languages(ctx)
	if err != nil {
		return "languages: " + err.Error()
	}
	if m.d.Scripts == nil {
		return "this agent runs no scripts"
	}
	var clashes []string
	for _, lang := range langs {
		r := &runtime{lang: lang, sup: p.sup, rt: rt}
		if !m.d.Scripts.AddNew(r) {
			clashes = append(clashes, lang)
			continue
		}
		p.runtimes = append(p.runtimes, r)
	}
	if len(clashes) > 0 {
		m.log.Warn("script languages already provided; not taken from the plugin", "plugin_id", p.offer.ID, "languages", clashes)
		return "languages already provided on this agent: " + strings.Join(clashes, ", ")
	}
	return ""
}

// stop unregisters p's languages and stops its process.
func (p *plugin) stop(m *Manager) {
	for _, r := range p.runtimes {
		if m.d.Scripts != nil {
			m.d.Scripts.Remove(r)
		}
	}
	if p.sup == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := p.sup.Stop(ctx); err != nil {
		m.log.Warn("plugin did not stop cleanly", "plugin_id", p.offer.ID, "error", err)
	}
}

// state is p's hello entry: a supervised plugin that is down (crashed and
// backing off, or failed for good) reports failed with its last error.
func (p *plugin) state() protocol.PluginState {
	st := protocol.PluginState{ID: p.offer.ID, Version: p.offer.Version, State: StateFailed, Error: p.err,
		Unsigned: p.sup != nil && p.keyID == ""}
	switch {
	case p.dev:
		st.Source, st.Unsigned = SourceDev, true
	case st.Unsigned && p.offer.Source == SourceDev:
		st.Source = SourceDev // the server's dev mode built it; this agent runs it unsigned
	}
	if p.sup == nil {
		return st
	}
	s := p.sup.Status()
	switch s.State {
	case pluginhost.StateRunning, pluginhost.StateStarting:
		st.State = StateRunning
	case pluginhost.StateStopped:
		st.State, st.Error = StateDisabled, "stopped"
	default:
		st.Error = s.LastError
	}
	return st
}

// runtime is one language of a script runtime plugin in the scripts
// registry: it runs scripts through the plugin's Run stream.
type runtime struct {
	lang string
	sup  *pluginhost.Supervisor
	rt   sdk.ScriptRuntime // bound to the supervisor: follows restarts
}

var _ scripts.Direct = (*runtime)(nil)

func (r *runtime) Name() string    { return r.lang }
func (r *runtime) FileExt() string { return "" }

// Available: only while the plugin process is up.
func (r *runtime) Available() bool {
	return r.sup.Status().State == pluginhost.StateRunning
}

func (r *runtime) Command(context.Context, string, []string) (*exec.Cmd, error) {
	return nil, fmt.Errorf("runtime %s runs scripts itself", r.lang)
}

func (r *runtime) RunDirect(ctx context.Context, d scripts.DirectRun, stdout, stderr io.Writer) (int, bool, error) {
	st, err := r.rt.Run(ctx, sdk.RunRequest{Language: d.Language, Body: d.Body, Args: d.Args, Env: d.Env, Timeout: d.Timeout}, stdout, stderr)
	if err != nil {
		return 0, false, err
	}
	return st.Code, st.TimedOut, nil
}
