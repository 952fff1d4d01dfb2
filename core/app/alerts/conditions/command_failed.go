package conditions

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
)

// CommandFailed is "a command run on the device failed": it opens when a
// command matching Action and ScriptID (empty: any) ends failed or timed
// out (an expired or cancelled one never ran, so it is no failure). It
// resolves at the next success of the same action and script on that
// device (the alert's message names them), or, with AutoResolveMinutes,
// that long after it opened; a later failure then opens a new alert.
type CommandFailed struct {
	Action             string `json:"action,omitempty"`
	ScriptID           string `json:"scriptId,omitempty"`
	AutoResolveMinutes int    `json:"autoResolveMinutes,omitempty"`
}

// MaxAutoResolveMinutes bounds the auto-resolve period (30 days).
const MaxAutoResolveMinutes = 30 * 24 * 60

func init() {
	Register(Kind{Name: "command_failed", Compile: func(raw json.RawMessage) (Condition, json.RawMessage, error) {
		var p CommandFailed
		if err := decodeStrict(raw, &p); err != nil {
			return nil, nil, err
		}
		if p.Action != "" {
			if _, ok := actions.Lookup(p.Action); !ok {
				return nil, nil, domain.Invalidf("unknown action %q (known: %s)", domain.Abbrev(p.Action, 64), strings.Join(actions.Names(), ", "))
			}
		}
		if p.ScriptID != "" && !domain.ValidID(p.ScriptID) {
			return nil, nil, domain.Invalidf("scriptId is not an id")
		}
		if p.AutoResolveMinutes < 0 || p.AutoResolveMinutes > MaxAutoResolveMinutes {
			return nil, nil, domain.Invalidf("autoResolveMinutes must be within 0..%d (0: resolve at the next success only)", MaxAutoResolveMinutes)
		}
		norm, _ := json.Marshal(p)
		return &cmdFailed{p: p}, norm, nil
	}})
}

type cmdFailed struct{ p CommandFailed }

func (*cmdFailed) condition()       {}
func (*cmdFailed) Hears() EventKind { return EventCommand }
func (c *cmdFailed) ResolveAfter() time.Duration {
	return time.Duration(c.p.AutoResolveMinutes) * time.Minute
}

// subject names what ran: the action, and the library script if any. An
// alert's message starts with it, so a success knows the failure it ends.
func subject(c *domain.Command) string {
	if c.ScriptID != "" {
		return c.Action + " " + c.ScriptID
	}
	return c.Action
}

func (f *cmdFailed) Judge(ev *Event, standing *domain.Alert) Verdict {
	c := ev.Command
	if c == nil || (f.p.Action != "" && c.Action != f.p.Action) || (f.p.ScriptID != "" && c.ScriptID != f.p.ScriptID) {
		return Verdict{}
	}
	head := subject(c) + " failed"
	switch c.Status {
	case domain.CommandFailed, domain.CommandTimedOut:
		why := c.Error
		if why == "" && c.ExitCode != nil {
			why = fmt.Sprintf("exit code %d", *c.ExitCode)
		}
		if c.Status == domain.CommandTimedOut && why == "" {
			why = "timed out"
		}
		v := 0.0
		if c.ExitCode != nil {
			v = float64(*c.ExitCode)
		}
		msg := head
		if why != "" {
			msg += ": " + domain.Abbrev(why, 300)
		}
		return Verdict{Open: true, Value: v, Message: msg}
	case domain.CommandSucceeded:
		// Only the success of what failed ends the alert.
		if standing != nil && (standing.Message == head || strings.HasPrefix(standing.Message, head+":")) {
			return Verdict{Clear: true}
		}
	}
	return Verdict{}
}
