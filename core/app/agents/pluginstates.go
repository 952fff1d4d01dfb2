package agents

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Bounds on an agent's plugin report.
const (
	maxReportedPlugins = 64
	maxPluginText      = 200
	maxPluginError     = 1000
)

// PluginStates records what the agent reports of its plugins (hello
// carries it at link time; a plugin_states frame when it changes).
func (s *Service) PluginStates(ctx context.Context, deviceID string, states []protocol.PluginState) error {
	if len(states) > maxReportedPlugins {
		return domain.Invalidf("more than %d plugins reported", maxReportedPlugins)
	}
	out := make([]domain.PluginRunState, 0, len(states))
	for _, st := range states {
		switch st.State {
		case "running", "failed", "disabled", "starting":
		default:
			return domain.Invalidf("plugin state %q is not running, starting, failed or disabled", clipText(st.State, 32))
		}
		source := ""
		if st.Source == "dev" { // the one source an agent names; anything else is dropped
			source = st.Source
		}
		out = append(out, domain.PluginRunState{PluginID: clipText(st.ID, maxPluginText),
			Version: clipText(st.Version, maxPluginText), State: st.State, Error: clipText(st.Error, maxPluginError),
			Unsigned: st.Unsigned || source != "", Source: source})
	}
	now := s.d.Clock.Now()
	if err := s.d.Store.Inventory().PutPluginStates(ctx, deviceID, out, now); err != nil {
		return fmt.Errorf("store plugin states: %w", err)
	}
	if s.d.Reports != nil {
		s.d.Reports.PluginStatesStored(ctx, deviceID, now.UTC(), out)
	}
	return nil
}

// clipText bounds agent-reported text, on a character boundary.
func clipText(s string, n int) string {
	out, _ := domain.ClipUTF8(s, n)
	return out
}
