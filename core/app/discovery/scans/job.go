package scans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// missingAttempts is how many attempts a step makes to find its job
// before it gives up (Start's transaction was rolled back).
const missingAttempts = 4

// onStep moves a job on: start it, dispatch a phase, judge its commands,
// end it; then queue the next step unless the job ended.
func (s *Service) onStep(ctx context.Context, t ports.Task) error {
	var st step
	if err := json.Unmarshal(t.Payload, &st); err != nil {
		return ports.SkipRetry(err)
	}
	j, err := s.d.Store.DiscoveryScans().GetSystem(ctx, st.JobID)
	if errors.Is(err, domain.ErrNotFound) {
		// A queue outside the database may run the step before Start commits.
		if t.Attempt < missingAttempts {
			return fmt.Errorf("scan %s not stored (yet): %w", st.JobID, err)
		}
		return ports.SkipRetry(err)
	}
	if err != nil {
		return err
	}
	if j.Status.Final() {
		return nil
	}
	now := s.d.Clock.Now().UTC()
	if st.Since.IsZero() {
		st.Since = now
	}
	more, pages, err := s.advance(ctx, j, st)
	if err != nil {
		return err
	}
	if !more {
		return nil
	}
	next := step{JobID: j.ID, N: st.N + 1, Pages: pages, Since: st.Since}
	if pages != st.Pages {
		next.Since = now
	}
	return s.queueStep(ctx, next, s.d.StepEvery)
}

// advance does what the job needs now; more is false once it ended.
// prev's Pages and Since say how many pages of the phase had arrived
// and since when; pages is the count now.
func (s *Service) advance(ctx context.Context, j *domain.ScanJob, prev step) (more bool, pages int, err error) {
	more, err = s.advancePhase(ctx, j, prev, &pages)
	return more, pages, err
}

func (s *Service) advancePhase(ctx context.Context, j *domain.ScanJob, prev step, pages *int) (more bool, err error) {
	now := s.d.Clock.Now().UTC()
	if !now.Before(j.Deadline) {
		_, _, err := s.end(ctx, j, domain.ScanTimedOut, "the scan did not finish within its timeout")
		return false, err
	}
	sp, snmp, err := s.openPlan(j)
	if err != nil {
		_, _, err = s.end(ctx, j, domain.ScanFailed, err.Error())
		return false, err
	}
	if j.Status == domain.ScanQueued {
		started, err := s.d.Store.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanQueued},
			domain.ScanJobUpdate{Status: domain.ScanRunning, StartedAt: &now})
		if errors.Is(err, domain.ErrConflict) {
			return !started.Status.Final(), nil
		}
		if err != nil {
			return false, err
		}
		started.Commands = j.Commands
		j = started
	}
	var phase []domain.ScanCommand
	for _, c := range j.Commands {
		if c.Phase == j.Phase {
			phase = append(phase, c)
		}
	}
	if len(phase) == 0 {
		return true, s.dispatch(ctx, j, sp, snmp, j.Phase)
	}
	behind, lost := false, false
	for _, sc := range phase {
		*pages += sc.Pages
	}
	scanned := 0
	for _, sc := range phase {
		c, err := s.d.Store.Commands().Get(ctx, domain.GlobalScope(), sc.CommandID)
		if err != nil {
			return false, fmt.Errorf("read scan command %s: %w", sc.CommandID, err)
		}
		switch {
		case !c.Status.Final():
			return true, nil // still running
		case c.Status != domain.CommandSucceeded:
			why := c.Error
			if why == "" {
				why = string(c.Status)
			}
			_, _, err := s.end(ctx, j, domain.ScanFailed,
				fmt.Sprintf("%s on device %s: %s", sc.Plugin, sc.DeviceID, domain.Abbrev(why, 1000)))
			return false, err
		}
		var counts protocol.DiscoverCounts
		if json.Unmarshal(c.Data, &counts) != nil {
			continue
		}
		if sp.counts(sc.Phase, sc.Plugin) {
			scanned += counts.Scanned
		}
		if sc.Pages >= counts.Pages {
			continue
		}
		// Pages travel apart from the result (through the intake): late
		// ones are waited for until none came for PageGrace.
		last := prev.Since
		if c.FinishedAt != nil && c.FinishedAt.After(last) {
			last = *c.FinishedAt
		}
		if *pages != prev.Pages || now.Sub(last) < s.d.PageGrace {
			behind = true
		} else {
			lost = true
		}
	}
	if behind {
		return true, nil
	}
	if lost {
		s.d.Logger.Warn("discovery pages lost; the scan is partial", "job_id", j.ID, "phase", j.Phase)
	}
	if lost || scanned > j.Scanned {
		// The phase's own count of what it covered (pages name only the
		// hosts found).
		if upd, err := s.d.Store.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanRunning},
			domain.ScanJobUpdate{Partial: lost, Scanned: min(scanned, j.Addresses)}); err == nil {
			upd.Commands = j.Commands
			j = upd
		}
	}
	if j.Phase == domain.PhaseSweep && len(sp.probePlugins()) > 0 {
		hosts, err := s.d.Store.DiscoveryScans().LiveHosts(ctx, j.ID, 1)
		if err != nil {
			return false, err
		}
		if len(hosts) > 0 {
			moved, err := s.d.Store.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanRunning},
				domain.ScanJobUpdate{Phase: domain.PhaseProbe, OnlyInPhase: domain.PhaseSweep})
			if errors.Is(err, domain.ErrConflict) {
				return !moved.Status.Final(), nil // moved by another step, or ended
			}
			if err != nil {
				return false, err
			}
			moved.Commands = j.Commands
			return true, s.dispatch(ctx, moved, sp, snmp, domain.PhaseProbe)
		}
	}
	_, _, err = s.end(ctx, j, domain.ScanSucceeded, "")
	return false, err
}

// dispatch sends a phase's discover commands: one per online scanning
// agent and plugin, each with the idempotency key of (job, phase, plugin)
// on its device, so a retried step finds the command it made before.
func (s *Service) dispatch(ctx context.Context, j *domain.ScanJob, sp storedPlan, snmp map[string]string, phase domain.ScanPhase) error {
	agents, err := s.online(ctx, j, sp.ScannerDeviceIDs)
	if err != nil {
		return err
	}
	if len(agents) == 0 {
		_, _, err := s.end(ctx, j, domain.ScanFailed, "no scanning agent of the profile is online")
		return err
	}
	if !sp.Split {
		agents = agents[:1]
	}
	var shares [][]string
	var plugins []string
	switch {
	case phase == domain.PhaseSweep:
		shares, plugins = splitTargets(sp.Targets, len(agents)), []string{PluginSweep}
	case sp.firstPhase() == domain.PhaseSweep:
		hosts, err := s.d.Store.DiscoveryScans().LiveHosts(ctx, j.ID, ports.MaxScanLiveHosts)
		if err != nil {
			return err
		}
		shares, plugins = hostTargets(hosts, len(agents)), sp.probePlugins()
	default:
		shares, plugins = splitTargets(sp.Targets, len(agents)), sp.probePlugins()
	}
	timeout := min(max(j.Deadline.Sub(s.d.Clock.Now()).Truncate(time.Second), time.Second), commands.MaxTimeout)
	sys := system(j)
	for i, deviceID := range agents {
		if len(shares[i]) == 0 {
			continue
		}
		for _, plugin := range plugins {
			payload, err := payloadFor(sp, snmp, phase, plugin, shares[i])
			if err != nil {
				return err
			}
			c, err := s.d.Commands.CreateBatch(ctx, sys, deviceID, commands.BatchInput{
				Action: protocol.ActionDiscover, Payload: payload, BatchID: j.ID,
				IdempotencyKey: "scan:" + j.ID + ":" + string(phase) + ":" + plugin,
				Timeout:        timeout, ExpiresIn: timeout,
			})
			if err != nil {
				return fmt.Errorf("discover command for device %s: %w", deviceID, err)
			}
			if err := s.d.Store.DiscoveryScans().AddCommand(ctx, domain.ScanCommand{JobID: j.ID, CommandID: c.ID,
				DeviceID: deviceID, Phase: phase, Plugin: plugin}); err != nil {
				return err
			}
		}
	}
	// A cancel that won meanwhile has not seen these commands: stop them.
	if cur, err := s.d.Store.DiscoveryScans().GetSystem(ctx, j.ID); err == nil && cur.Status.Final() {
		s.cancelCommands(ctx, cur)
	}
	return nil
}

// payloadFor is the discover payload of one command.
func payloadFor(sp storedPlan, snmp map[string]string, phase domain.ScanPhase, plugin string, targets []string) (json.RawMessage, error) {
	opts := map[string]any{}
	if sp.Concurrency > 0 {
		opts["concurrency"] = sp.Concurrency
	}
	if sp.RatePerSecond > 0 {
		opts["ratePerSecond"] = sp.RatePerSecond
	}
	p := protocol.DiscoverPayload{Plugin: plugin, Targets: targets, Stream: true}
	switch plugin {
	case PluginSweep:
		opts["methods"] = strings.Join(sp.sweepMethods(), ",")
	case PluginTCP:
		p.Ports = sp.Ports
	case PluginSNMP:
		p.Secrets = snmp
	}
	var err error
	if p.Options, err = json.Marshal(opts); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// online lists the scanning agents that are online now, in the profile's
// order; a device that left the job's site does not scan.
func (s *Service) online(ctx context.Context, j *domain.ScanJob, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		d, err := s.d.Store.Devices().Get(ctx, domain.Scope{SiteIDs: []string{j.SiteID}}, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if d.Status == domain.DeviceOnline {
			out = append(out, id)
		}
	}
	return out, nil
}

// end moves a job that has not ended to status: pending commands are
// cancelled and the assets told (complete only for a whole success). ok
// is false when the job had ended already (out is how).
func (s *Service) end(ctx context.Context, j *domain.ScanJob, status domain.ScanStatus, reason string) (out *domain.ScanJob, ok bool, err error) {
	now := s.d.Clock.Now().UTC()
	u := domain.ScanJobUpdate{Status: status, Error: reason, FinishedAt: &now,
		// Ended early once commands went out: what arrived is kept, partial.
		Partial: status != domain.ScanSucceeded && j.Status == domain.ScanRunning && len(j.Commands) > 0}
	out, err = s.d.Store.DiscoveryScans().Transition(ctx, j.ID, []domain.ScanStatus{domain.ScanQueued, domain.ScanRunning}, u)
	if errors.Is(err, domain.ErrConflict) {
		return out, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out.Commands = j.Commands
	if status != domain.ScanSucceeded {
		s.cancelCommands(ctx, out)
	}
	sp, _, perr := s.openPlan(out)
	complete := status == domain.ScanSucceeded && !out.Partial
	fref := refOf(out, now)
	if len(sp.ScannerDeviceIDs) > 0 {
		fref.ScannerDeviceID = sp.ScannerDeviceIDs[0]
	}
	if ferr := s.d.Assets.Finish(ctx, fref, sp.Targets, complete && perr == nil); ferr != nil {
		s.d.Logger.Error("discovery assets not closed for an ended scan", "job_id", out.ID, "error", ferr)
	}
	s.d.Logger.Info("discovery scan ended", "job_id", out.ID, "status", out.Status, "partial", out.Partial,
		"assets", out.AssetsFound, "error", out.Error)
	return out, true, nil
}

// cancelCommands cancels the job's commands still pending (best effort:
// one already ended is left as it is).
func (s *Service) cancelCommands(ctx context.Context, j *domain.ScanJob) {
	cur, err := s.d.Store.DiscoveryScans().GetSystem(ctx, j.ID)
	if err != nil {
		s.d.Logger.Warn("scan commands not loaded for cancelling", "job_id", j.ID, "error", err)
		return
	}
	sys := system(j)
	for _, c := range cur.Commands {
		if c.Status.Final() {
			continue
		}
		if _, err := s.d.Commands.Cancel(ctx, sys, c.CommandID); err != nil && !errors.Is(err, domain.ErrConflict) &&
			!errors.Is(err, domain.ErrNotFound) {
			s.d.Logger.Warn("scan command not cancelled", "job_id", j.ID, "command_id", c.CommandID, "error", err)
		}
	}
}

func refOf(j *domain.ScanJob, at time.Time) domain.ScanRef {
	return domain.ScanRef{JobID: j.ID, PartnerID: j.PartnerID, OrgID: j.OrgID, SiteID: j.SiteID, ProfileID: j.ProfileID, At: at}
}
