package update

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

// Defaults.
const (
	DefaultTrial     = 5 * time.Minute
	DefaultMaxStarts = 3 // starts on trial before rolling back without waiting
)

// Deps are what the manager works with.
type Deps struct {
	Exe      string // the running executable, symlinks resolved
	StateDir string
	Version  string // the running version
	OS, Arch string // this build's platform
	// Keys are the trusted release keys (read at each offer).
	Keys func() []ed25519.PublicKey
	// Fetch downloads an agent route with the agent's token.
	Fetch func(ctx context.Context, path string) (io.ReadCloser, error)
	// Send writes a frame on the link (an error when it is down).
	Send func(ctx context.Context, v any) error
	// Restart ends the agent and starts Exe again (cmd/breeze-agent:
	// re-exec in place, or the service manager's restart).
	Restart func(reason string)
	// Probe runs a staged build's "version" and returns its output.
	Probe func(ctx context.Context, path string) (string, error)
	FS    FS            // nil: OS
	Trial time.Duration // overrides the offer's trial when positive
	// MaxStarts: a build that keeps restarting on trial is rolled back at
	// this start without waiting for the deadline (0: DefaultMaxStarts).
	MaxStarts int
	Now       func() time.Time
	Logger    hclog.Logger
}

// Manager runs updates; one at a time.
type Manager struct {
	d     Deps
	path  string // the state file
	mu    sync.Mutex
	st    *state
	busy  bool
	timer *time.Timer
}

// New builds a manager; call Boot before the link runs.
func New(d Deps) (*Manager, error) {
	if d.Exe == "" || d.StateDir == "" || d.Version == "" || d.Fetch == nil || d.Send == nil || d.Restart == nil || d.Keys == nil {
		return nil, errors.New("update: Exe, StateDir, Version, Keys, Fetch, Send and Restart are required")
	}
	if d.FS == nil {
		d.FS = OS{}
	}
	if d.MaxStarts <= 0 {
		d.MaxStarts = DefaultMaxStarts
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	return &Manager{d: d, path: filepath.Join(d.StateDir, "update.json")}, nil
}

// Boot reads the update state left by the previous process. Running the
// build on trial, it counts the start and arms the watchdog (or rolls
// back at once past the deadline or after too many starts); running
// anything else while a trial was recorded, the swap did not take.
func (m *Manager) Boot() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := loadState(m.path)
	if err != nil || st == nil {
		return err
	}
	m.st = st
	if st.Phase != phaseTrial {
		return nil // a result to send after the link
	}
	if m.d.Version != st.To {
		m.toReport(protocol.UpdateFailed, fmt.Sprintf("restarted on %s, not on the installed %s", m.d.Version, st.To))
		return nil
	}
	now := m.d.Now()
	st.Starts++
	if st.Deadline.IsZero() {
		st.Deadline = now.Add(time.Duration(st.Trial) * time.Millisecond)
	}
	if err := saveState(m.path, st); err != nil {
		m.d.Logger.Warn("cannot record the trial start", "error", err)
	}
	switch {
	case st.Starts > m.d.MaxStarts:
		go m.rollback(fmt.Sprintf("version %s started %d times without linking", st.To, st.Starts-1))
	case !now.Before(st.Deadline):
		go m.rollback(fmt.Sprintf("version %s did not link before its trial ended", st.To))
	default:
		wait := st.Deadline.Sub(now)
		m.d.Logger.Info("running a new version on trial", "version", st.To, "previous", st.From, "link_within", wait)
		m.timer = time.AfterFunc(wait, func() {
			m.rollback(fmt.Sprintf("version %s did not link within its trial", st.To))
		})
	}
	return nil
}

// Linked is called at each welcome: a build on trial has passed; a
// result waiting is sent.
func (m *Manager) Linked(ctx context.Context) {
	m.mu.Lock()
	st := m.st
	if st != nil && st.Phase == phaseTrial && m.d.Version == st.To {
		if m.timer != nil {
			m.timer.Stop()
		}
		m.d.Logger.Info("the new version linked: update done", "version", st.To, "previous", st.From)
		m.toReport(protocol.UpdateLinked, "")
	}
	pending := m.st != nil && m.st.Phase == phaseReport
	m.mu.Unlock()
	if pending {
		go m.flush(ctx)
	}
}

// toReport records a result to send (m.mu held).
func (m *Manager) toReport(result, msg string) {
	if m.st == nil {
		m.st = &state{}
	}
	m.st.Phase, m.st.Result, m.st.Error = phaseReport, result, protocol.Clip(msg, protocol.MaxUpdateError)
	if err := saveState(m.path, m.st); err != nil {
		m.d.Logger.Warn("cannot record the update result", "error", err)
	}
}

// flush sends the recorded result, retrying while the session settles;
// once sent it is forgotten.
func (m *Manager) flush(ctx context.Context) {
	for i := 0; i < 10; i++ {
		m.mu.Lock()
		st := m.st
		m.mu.Unlock()
		if st == nil || st.Phase != phaseReport {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := m.d.Send(sctx, m.result(st.RolloutID, st.To, st.Result, st.Error))
		cancel()
		if err == nil {
			m.mu.Lock()
			if m.st == st {
				m.st = nil
				if err := saveState(m.path, nil); err != nil {
					m.d.Logger.Warn("cannot clear the update state", "error", err)
				}
			}
			m.mu.Unlock()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (m *Manager) result(rollout, version, st, msg string) protocol.UpdateResult {
	return protocol.UpdateResult{Header: protocol.Header{Type: protocol.TypeUpdateResult}, RolloutID: rollout,
		Version: version, State: st, Running: m.d.Version, Error: protocol.Clip(msg, protocol.MaxUpdateError)}
}

// send reports a step now, best effort (the final result is kept on disk).
func (m *Manager) send(ctx context.Context, r protocol.UpdateResult) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.d.Send(sctx, r); err != nil {
		m.d.Logger.Debug("update step not reported", "state", r.State, "error", err)
	}
}

// rollback puts the previous build back and restarts on it.
func (m *Manager) rollback(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil || m.st.Phase != phaseTrial {
		return // linked meanwhile
	}
	m.d.Logger.Error("rolling back to the previous version", "reason", reason, "previous", m.st.From)
	if err := Rollback(m.d.FS, m.d.Exe); err != nil {
		m.d.Logger.Error("cannot roll back; staying on the new version", "error", err)
		m.toReport(protocol.UpdateFailed, reason+"; rollback failed: "+err.Error())
		return
	}
	m.toReport(protocol.UpdateRolledBack, reason)
	go m.d.Restart("rollback to " + m.st.From)
}

// Offer handles an update offer in the background; an offer while one
// runs, or while this build is on trial, is ignored (the server offers
// again).
func (m *Manager) Offer(ctx context.Context, o protocol.UpdateOffer) {
	m.mu.Lock()
	if m.busy || (m.st != nil && m.st.Phase == phaseTrial) {
		m.mu.Unlock()
		return
	}
	m.busy = true
	m.mu.Unlock()
	go func() {
		// A result still unsent (the link came up just now) goes first: the
		// new update's state replaces it.
		m.mu.Lock()
		pending := m.st != nil && m.st.Phase == phaseReport
		m.mu.Unlock()
		if pending {
			m.flush(ctx)
		}
		restart := m.install(ctx, o)
		m.mu.Lock()
		m.busy = false
		m.mu.Unlock()
		if restart {
			m.d.Restart("update to " + o.Version)
		}
	}()
}

// install runs one offer; true when the new build is in place and the
// agent must restart on it.
func (m *Manager) install(ctx context.Context, o protocol.UpdateOffer) bool {
	log := m.d.Logger.With("version", o.Version, "rollout", o.RolloutID)
	fail := func(err error) bool {
		log.Error("update refused or failed; this version keeps running", "error", err)
		m.send(ctx, m.result(o.RolloutID, o.Version, protocol.UpdateFailed, err.Error()))
		return false
	}
	if o.Version == m.d.Version {
		m.send(ctx, m.result(o.RolloutID, o.Version, protocol.UpdateLinked, ""))
		return false
	}
	if o.OS != m.d.OS || o.Arch != m.d.Arch {
		return fail(fmt.Errorf("the build is for %s/%s, this agent is %s/%s", o.OS, o.Arch, m.d.OS, m.d.Arch))
	}
	if c, ok := protocol.CompareVersions(o.Version, m.d.Version); (!ok || c < 0) && !o.AllowDowngrade {
		return fail(fmt.Errorf("downgrade refused: %s is not newer than the running %s", o.Version, m.d.Version))
	}
	log.Info("updating the agent", "from", m.d.Version)
	m.send(ctx, m.result(o.RolloutID, o.Version, protocol.UpdateDownloading, ""))
	staged := m.d.Exe + NewSuffix
	if err := m.fetchStage(ctx, o, staged); err != nil {
		return fail(err)
	}
	if m.d.Probe != nil {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := m.d.Probe(pctx, staged)
		cancel()
		if err != nil || !hasField(out, o.Version) {
			_ = m.d.FS.Remove(staged)
			return fail(fmt.Errorf("%w: the new build does not run or is not version %s (%q, %v)", ErrRefused, o.Version, protocol.Clip(out, 200), err))
		}
	}
	trial := m.d.Trial
	if trial <= 0 && o.TrialSeconds > 0 {
		trial = time.Duration(o.TrialSeconds) * time.Second
	}
	if trial <= 0 {
		trial = DefaultTrial
	}
	// The trial is recorded before the swap: a crash between the two leaves
	// a state the next start understands.
	m.mu.Lock()
	m.st = &state{Phase: phaseTrial, RolloutID: o.RolloutID, From: m.d.Version, To: o.Version, Trial: trial.Milliseconds()}
	err := saveState(m.path, m.st)
	m.mu.Unlock()
	if err != nil {
		_ = m.d.FS.Remove(staged)
		m.mu.Lock()
		m.st = nil
		m.mu.Unlock()
		return fail(err)
	}
	if err := Swap(m.d.FS, m.d.Exe, staged); err != nil {
		_ = m.d.FS.Remove(staged)
		m.mu.Lock()
		m.st = nil
		_ = saveState(m.path, nil)
		m.mu.Unlock()
		return fail(err)
	}
	log.Info("new version installed; restarting on it", "trial", trial, "previous_kept", m.d.Exe+PrevSuffix)
	m.send(ctx, m.result(o.RolloutID, o.Version, protocol.UpdateInstalled, ""))
	return true
}

func (m *Manager) fetchStage(ctx context.Context, o protocol.UpdateOffer, staged string) error {
	keys := m.d.Keys()
	// Refuse before downloading what cannot verify.
	if err := protocol.VerifyRelease(keys, o.OS, o.Arch, o.Version, o.SHA256, o.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	body, err := m.d.Fetch(dctx, o.BinaryPath)
	if err != nil {
		return fmt.Errorf("download the build: %w", err)
	}
	defer body.Close()
	return Stage(m.d.FS, staged, body, o, keys)
}

// hasField reports whether out has v as a whitespace-separated field.
func hasField(out, v string) bool {
	for _, f := range strings.Fields(out) {
		if f == v {
			return true
		}
	}
	return false
}
