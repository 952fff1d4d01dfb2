package conditions

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// PluginFailed is "an agent plugin is failed on the device", judged on the
// plugin states the agent reports (at hello and whenever they change):
// it opens when the plugin PluginID (empty: any plugin) is in state
// failed and resolves when a later report shows none failed (running
// again, or no longer run).
type PluginFailed struct {
	PluginID string `json:"pluginId,omitempty"`
}

func init() {
	Register(Kind{Name: "plugin_failed", Compile: func(raw json.RawMessage) (Condition, json.RawMessage, error) {
		var p PluginFailed
		if err := decodeStrict(raw, &p); err != nil {
			return nil, nil, err
		}
		if err := checkPluginID(p.PluginID, false); err != nil {
			return nil, nil, err
		}
		norm, _ := json.Marshal(p)
		return &pluginFailed{p: p}, norm, nil
	}})
}

type pluginFailed struct{ p PluginFailed }

func (*pluginFailed) condition()                  {}
func (*pluginFailed) Hears() EventKind            { return EventPluginStates }
func (*pluginFailed) ResolveAfter() time.Duration { return 0 }
func (f *pluginFailed) PluginID() string          { return f.p.PluginID }

func (f *pluginFailed) Judge(ev *Event, _ *domain.Alert) Verdict {
	var failed []string
	first := ""
	for _, st := range ev.Plugins {
		if st.State != "failed" || (f.p.PluginID != "" && st.PluginID != f.p.PluginID) {
			continue
		}
		if first == "" {
			first = st.Error
		}
		failed = append(failed, st.PluginID)
	}
	if len(failed) == 0 {
		return Verdict{Clear: true}
	}
	msg := fmt.Sprintf("plugin %s failed", strings.Join(failed, ", "))
	if first != "" {
		msg += ": " + domain.Abbrev(first, 300)
	}
	return Verdict{Open: true, Value: float64(len(failed)), Message: msg}
}
