package schedules

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// A script's secret parameter values are kept sealed in the schedule (the
// commands' sealer, bound to the schedule and the parameter), shown as
// redacted, and opened only when a fire starts the run (which seals them
// again for its fan-out and commands, as every run does).

const (
	sealedPrefix = "sealed:"
	redacted     = "********"
)

func paramAAD(scheduleID, name string) []byte {
	return []byte("breeze.schedule.param|" + scheduleID + "|" + name)
}

// sealParams seals the secret values of values (the script's secret
// parameters) into sc.Params.
func (s *Service) sealParams(sc *domain.Schedule, script *domain.Script, values map[string]any) error {
	if s.d.Sealer == nil || len(values) == 0 {
		return nil
	}
	changed := false
	for _, prm := range script.Params {
		v, ok := values[prm.Name].(string)
		if prm.Type != domain.ParamSecret || !ok || v == "" || strings.HasPrefix(v, sealedPrefix) {
			continue
		}
		sealed, err := s.d.Sealer.Seal([]byte(v), paramAAD(sc.ID, prm.Name))
		if err != nil {
			return fmt.Errorf("seal parameter %s: %w", prm.Name, err)
		}
		values[prm.Name], changed = sealedPrefix+sealed, true
	}
	if !changed {
		return nil
	}
	raw, err := json.Marshal(values)
	if err != nil {
		return err
	}
	sc.Params = raw
	return nil
}

// keepSecrets puts the stored sealed value back for every parameter the
// caller sent back redacted (a PATCH of what a GET showed).
func keepSecrets(next, cur json.RawMessage) json.RawMessage {
	var n, c map[string]any
	if json.Unmarshal(next, &n) != nil || json.Unmarshal(cur, &c) != nil {
		return next
	}
	changed := false
	for k, v := range n {
		if v == redacted {
			if old, ok := c[k].(string); ok && strings.HasPrefix(old, sealedPrefix) {
				n[k], changed = old, true
			}
		}
	}
	if !changed {
		return next
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return next
	}
	return raw
}

// openParams returns the parameter values with the sealed ones opened.
func (s *Service) openParams(sc *domain.Schedule) (map[string]any, error) {
	var values map[string]any
	if len(sc.Params) > 0 {
		if err := json.Unmarshal(sc.Params, &values); err != nil {
			return nil, fmt.Errorf("the stored parameters are not a JSON object")
		}
	}
	for k, v := range values {
		str, ok := v.(string)
		if !ok || !strings.HasPrefix(str, sealedPrefix) {
			continue
		}
		if s.d.Sealer == nil {
			return nil, fmt.Errorf("parameter %s is sealed and this server has no key to open it", k)
		}
		plain, err := s.d.Sealer.Open(strings.TrimPrefix(str, sealedPrefix), paramAAD(sc.ID, k))
		if err != nil {
			return nil, fmt.Errorf("parameter %s cannot be opened (the server key changed?); set it again", k)
		}
		values[k] = string(plain)
	}
	return values, nil
}

// Redacted is sc with its sealed parameter values shown as ********.
func Redacted(sc *domain.Schedule) *domain.Schedule {
	if sc == nil || !strings.Contains(string(sc.Params), sealedPrefix) {
		return sc
	}
	var values map[string]any
	if json.Unmarshal(sc.Params, &values) != nil {
		return sc
	}
	for k, v := range values {
		if str, ok := v.(string); ok && strings.HasPrefix(str, sealedPrefix) {
			values[k] = redacted
		}
	}
	out := *sc
	out.Params, _ = json.Marshal(values)
	return &out
}
