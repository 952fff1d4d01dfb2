package conditions

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Discovered hosts: asset_new opens when a discovery scan finds a host the
// site never had (and, with includeBack, one that was gone); asset_gone
// when a complete scan misses a host it had (trackedOnly: only hosts a
// technician chose to track). Each alert belongs to the host's own device
// when it has one (a managed asset's agent), else to the scanner that saw
// or missed it; one alert stands per (rule, device), so on a scanner a
// further host while one stands opens nothing more (the Discovery page
// lists every new and gone host).
type (
	AssetNew struct {
		IncludeBack        bool `json:"includeBack,omitempty"`
		AutoResolveMinutes int  `json:"autoResolveMinutes,omitempty"`
	}
	AssetGone struct {
		TrackedOnly        bool `json:"trackedOnly,omitempty"`
		AutoResolveMinutes int  `json:"autoResolveMinutes,omitempty"`
	}
)

func init() {
	Register(Kind{Name: "asset_new", Compile: func(raw json.RawMessage) (Condition, json.RawMessage, error) {
		var p AssetNew
		if err := decodeStrict(raw, &p); err != nil {
			return nil, nil, err
		}
		if err := checkAutoResolve(p.AutoResolveMinutes); err != nil {
			return nil, nil, err
		}
		norm, _ := json.Marshal(p)
		return &assetNew{p}, norm, nil
	}})
	Register(Kind{Name: "asset_gone", Compile: func(raw json.RawMessage) (Condition, json.RawMessage, error) {
		var p AssetGone
		if err := decodeStrict(raw, &p); err != nil {
			return nil, nil, err
		}
		if err := checkAutoResolve(p.AutoResolveMinutes); err != nil {
			return nil, nil, err
		}
		norm, _ := json.Marshal(p)
		return &assetGone{p}, norm, nil
	}})
}

func checkAutoResolve(m int) error {
	if m < 0 || m > MaxAutoResolveMinutes {
		return domain.Invalidf("autoResolveMinutes must be within 0..%d (0: resolve by hand or by the condition only)", MaxAutoResolveMinutes)
	}
	return nil
}

type assetNew struct{ p AssetNew }

func (*assetNew) condition()       {}
func (*assetNew) Hears() EventKind { return EventAsset }
func (c *assetNew) ResolveAfter() time.Duration {
	return time.Duration(c.p.AutoResolveMinutes) * time.Minute
}

// Judge opens on a new host (or one back, with includeBack); nothing
// clears it but time or a technician.
func (c *assetNew) Judge(ev *Event, _ *domain.Alert) Verdict {
	a := ev.Asset
	if a == nil {
		return Verdict{}
	}
	switch {
	case a.Kind == domain.AssetEventNew:
		return Verdict{Open: true, Message: "new host " + hostDesc(a) + " on the network"}
	case a.Kind == domain.AssetEventBack && c.p.IncludeBack:
		return Verdict{Open: true, Message: "host " + hostDesc(a) + " is back on the network"}
	}
	return Verdict{}
}

type assetGone struct{ p AssetGone }

func (*assetGone) condition()       {}
func (*assetGone) Hears() EventKind { return EventAsset }
func (c *assetGone) ResolveAfter() time.Duration {
	return time.Duration(c.p.AutoResolveMinutes) * time.Minute
}

// Judge opens when a host is gone and clears when that same host (its IP
// starts the message) comes back.
func (c *assetGone) Judge(ev *Event, standing *domain.Alert) Verdict {
	a := ev.Asset
	if a == nil || (c.p.TrackedOnly && a.State != domain.AssetTracked) {
		return Verdict{}
	}
	head := "host " + a.IP + " "
	switch a.Kind {
	case domain.AssetEventGone:
		return Verdict{Open: true, Message: "host " + hostDesc(a) + " is gone from the network"}
	case domain.AssetEventBack:
		if standing != nil && strings.HasPrefix(standing.Message, head) {
			return Verdict{Clear: true}
		}
	}
	return Verdict{}
}

// hostDesc names a host for a message: its IP, then what is known of it
// in parentheses. Names come from the network (reverse DNS, SNMP): they are
// bounded and stripped of control characters; the message is text, shown
// as text everywhere.
func hostDesc(a *domain.AssetAlert) string {
	var facts []string
	for _, f := range []string{a.MAC, a.Vendor, a.Hostname} {
		if f = cleanNetText(f, 80); f != "" {
			facts = append(facts, f)
		}
	}
	if len(facts) == 0 {
		return a.IP
	}
	return a.IP + " (" + strings.Join(facts, ", ") + ")"
}

func cleanNetText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return domain.Abbrev(strings.TrimSpace(s), max)
}
