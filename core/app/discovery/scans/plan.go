package scans

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Plugins run by each phase.
const (
	PluginSweep = "breeze.netsweep"
	PluginTCP   = "breeze.tcpscan"
	PluginSNMP  = "breeze.snmp"
)

// storedPlan is the job's copy of its plan (domain.ScanJob.Plan): what the
// later steps need, the SNMP credentials sealed for the job.
type storedPlan struct {
	Targets          []string                 `json:"targets"`
	Methods          []domain.DiscoveryMethod `json:"methods"`
	Ports            []int                    `json:"ports,omitempty"`
	RatePerSecond    int                      `json:"ratePerSecond,omitempty"`
	Concurrency      int                      `json:"concurrency,omitempty"`
	ScannerDeviceIDs []string                 `json:"scannerDeviceIds"`
	Split            bool                     `json:"split,omitempty"`
	// SNMP is the sealed JSON of the SNMP options ("" none).
	SNMP string `json:"snmp,omitempty"`
}

func snmpAAD(jobID string) []byte { return []byte("breeze.discovery.snmp|" + jobID) }

// sealPlan encodes plan for job id, its SNMP options sealed.
func (s *Service) sealPlan(id string, p *domain.ScanPlan) (json.RawMessage, error) {
	sp := storedPlan{Targets: p.Targets, Methods: p.Methods, Ports: p.Ports, RatePerSecond: p.RatePerSecond,
		Concurrency: p.Concurrency, ScannerDeviceIDs: p.ScannerDeviceIDs, Split: p.Split}
	if len(p.SNMP) > 0 && slices.Contains(p.Methods, domain.MethodSNMP) {
		raw, err := json.Marshal(p.SNMP)
		if err != nil {
			return nil, fmt.Errorf("encode snmp options: %w", err)
		}
		sp.SNMP = "plain:" + string(raw)
		if s.d.Sealer != nil {
			sealed, err := s.d.Sealer.Seal(raw, snmpAAD(id))
			if err != nil {
				return nil, fmt.Errorf("seal snmp options: %w", err)
			}
			sp.SNMP = "sealed:" + sealed
		}
	}
	return json.Marshal(sp)
}

// openPlan decodes a job's plan; snmp holds the opened SNMP options.
func (s *Service) openPlan(j *domain.ScanJob) (sp storedPlan, snmp map[string]string, err error) {
	if err := json.Unmarshal(j.Plan, &sp); err != nil {
		return sp, nil, fmt.Errorf("decode scan plan: %w", err)
	}
	var raw []byte
	switch {
	case sp.SNMP == "":
		return sp, nil, nil
	case strings.HasPrefix(sp.SNMP, "plain:"):
		raw = []byte(strings.TrimPrefix(sp.SNMP, "plain:"))
	case strings.HasPrefix(sp.SNMP, "sealed:"):
		if s.d.Sealer == nil {
			return sp, nil, fmt.Errorf("sealed SNMP credentials and no key to open them")
		}
		if raw, err = s.d.Sealer.Open(strings.TrimPrefix(sp.SNMP, "sealed:"), snmpAAD(j.ID)); err != nil {
			return sp, nil, fmt.Errorf("open SNMP credentials (wrong BREEZE_PLUGIN_SECRET_KEY?): %w", err)
		}
	}
	if err := json.Unmarshal(raw, &snmp); err != nil {
		return sp, nil, fmt.Errorf("decode snmp options: %w", err)
	}
	return sp, snmp, nil
}

// sweepMethods are the plan's methods of the sweep phase, in order.
func (sp storedPlan) sweepMethods() []string {
	var out []string
	for _, m := range []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodARP, domain.MethodRDNS} {
		if slices.Contains(sp.Methods, m) {
			out = append(out, string(m))
		}
	}
	return out
}

// probePlugins are the plugins of the probe phase.
func (sp storedPlan) probePlugins() []string {
	var out []string
	if slices.Contains(sp.Methods, domain.MethodTCP) {
		out = append(out, PluginTCP)
	}
	if slices.Contains(sp.Methods, domain.MethodSNMP) {
		out = append(out, PluginSNMP)
	}
	return out
}

// firstPhase is the phase a scan starts with.
func (sp storedPlan) firstPhase() domain.ScanPhase {
	if len(sp.sweepMethods()) > 0 {
		return domain.PhaseSweep
	}
	return domain.PhaseProbe
}

// counts reports whether a page of plugin in phase measures the job's
// progress: the first phase's main plugin does.
func (sp storedPlan) counts(phase domain.ScanPhase, plugin string) bool {
	if phase != sp.firstPhase() {
		return false
	}
	if phase == domain.PhaseSweep {
		return plugin == PluginSweep
	}
	return plugin == sp.probePlugins()[0]
}

// methodOf is the observation method of a plugin's asset.
func methodOf(plugin string, attrs map[string]string) domain.DiscoveryMethod {
	switch plugin {
	case PluginTCP:
		return domain.MethodTCP
	case PluginSNMP:
		return domain.MethodSNMP
	}
	seen := strings.Split(attrs["seenBy"], ",")
	for _, m := range []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodARP, domain.MethodRDNS} {
		if slices.Contains(seen, string(m)) {
			return m
		}
	}
	return domain.MethodICMP
}
