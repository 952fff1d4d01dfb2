package conditions

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// InventoryFact compares something of the device's inventory, judged each
// time an inventory report is stored (on the whole document, a diff
// merged in): the alert opens when the report matches and resolves when a
// later report no longer does. Source says what is compared:
//
//   - "fact": a collector plugin's fact, Plugin and Key, e.g.
//     {"source":"fact","plugin":"breeze.failedunits","key":"systemd.failed_count","op":">","value":"0"};
//   - "inventory": an inventory field (InventoryFields), e.g.
//     {"source":"inventory","key":"os.version","op":"==","value":"22.04"};
//   - "software": a package by Name (case-insensitive), with Op
//     "installed" or "missing", e.g. {"source":"software","name":"telnet","op":"installed"}.
//
// Ops for facts and fields: > >= < <= (numbers: Value and the reported
// value must both be numbers), == and != (numerically when both are
// numbers, else exact text), contains and !contains (text). A fact or
// field the report lacks never matches.
type InventoryFact struct {
	Source string `json:"source"`
	Plugin string `json:"plugin,omitempty"`
	Key    string `json:"key,omitempty"`
	Name   string `json:"name,omitempty"`
	Op     string `json:"op"`
	Value  string `json:"value,omitempty"`
}

// Bounds on the parameters.
const (
	maxFactKey   = 200
	maxFactValue = 1000
)

// InventoryFields are the inventory fields a rule may compare, by name.
var InventoryFields = map[string]func(inv *protocol.Inventory) (string, bool){
	"os.name": func(inv *protocol.Inventory) (string, bool) {
		return osField(inv, func(o *protocol.OSInfo) string { return o.Name })
	},
	"os.platform": func(inv *protocol.Inventory) (string, bool) {
		return osField(inv, func(o *protocol.OSInfo) string { return o.Platform })
	},
	"os.version": func(inv *protocol.Inventory) (string, bool) {
		return osField(inv, func(o *protocol.OSInfo) string { return o.Version })
	},
	"os.kernelVersion": func(inv *protocol.Inventory) (string, bool) {
		return osField(inv, func(o *protocol.OSInfo) string { return o.KernelVersion })
	},
	"cpu.model": func(inv *protocol.Inventory) (string, bool) {
		if inv.CPU == nil {
			return "", false
		}
		return inv.CPU.Model, true
	},
	"cpu.cores": func(inv *protocol.Inventory) (string, bool) {
		if inv.CPU == nil {
			return "", false
		}
		return strconv.Itoa(inv.CPU.Cores), true
	},
	"memoryTotal": func(inv *protocol.Inventory) (string, bool) {
		return strconv.FormatUint(inv.MemoryTotal, 10), inv.MemoryTotal > 0
	},
	"software.count": func(inv *protocol.Inventory) (string, bool) { return strconv.Itoa(len(inv.Software)), true },
}

func osField(inv *protocol.Inventory, f func(*protocol.OSInfo) string) (string, bool) {
	if inv.OS == nil {
		return "", false
	}
	return f(inv.OS), true
}

// factOps compare a reported value with the rule's; num is the rule's
// value as a number when it is one.
var factOps = map[string]func(got, want string, num float64, isNum bool) bool{
	">":  numeric(func(a, b float64) bool { return a > b }),
	">=": numeric(func(a, b float64) bool { return a >= b }),
	"<":  numeric(func(a, b float64) bool { return a < b }),
	"<=": numeric(func(a, b float64) bool { return a <= b }),
	"==": equal,
	"!=": func(got, want string, num float64, isNum bool) bool { return !equal(got, want, num, isNum) },
	"contains": func(got, want string, _ float64, _ bool) bool {
		return strings.Contains(got, want)
	},
	"!contains": func(got, want string, _ float64, _ bool) bool { return !strings.Contains(got, want) },
}

func numeric(cmp func(a, b float64) bool) func(string, string, float64, bool) bool {
	return func(got, _ string, num float64, _ bool) bool {
		v, ok := number(got)
		return ok && cmp(v, num)
	}
}

func equal(got, want string, num float64, isNum bool) bool {
	if v, ok := number(got); ok && isNum {
		return v == num
	}
	return strings.TrimSpace(got) == want
}

func number(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

func init() {
	Register(Kind{Name: "inventory_fact", Compile: compileFact})
}

func compileFact(raw json.RawMessage) (Condition, json.RawMessage, error) {
	var p InventoryFact
	if err := decodeStrict(raw, &p); err != nil {
		return nil, nil, err
	}
	f := &fact{p: p}
	switch p.Source {
	case "fact", "inventory":
		if p.Name != "" {
			return nil, nil, domain.Invalidf("name is for the software source")
		}
		if p.Source == "fact" {
			if err := checkPluginID(p.Plugin, true); err != nil {
				return nil, nil, err
			}
			if p.Key == "" || len(p.Key) > maxFactKey || !printable(p.Key) {
				return nil, nil, domain.Invalidf("key names the plugin's fact: 1 to %d printable characters", maxFactKey)
			}
		} else {
			if p.Plugin != "" {
				return nil, nil, domain.Invalidf("plugin is for the fact source")
			}
			if f.field = InventoryFields[p.Key]; f.field == nil {
				return nil, nil, domain.Invalidf("unknown inventory field %q (known: %s)", domain.Abbrev(p.Key, 64), strings.Join(sortedKeys(InventoryFields), ", "))
			}
		}
		if f.op = factOps[p.Op]; f.op == nil {
			return nil, nil, domain.Invalidf("op must be one of %s", strings.Join(sortedKeys(factOps), ", "))
		}
		if len(p.Value) > maxFactValue || !printable(p.Value) {
			return nil, nil, domain.Invalidf("value: at most %d printable characters", maxFactValue)
		}
		f.num, f.isNum = number(p.Value)
		if strings.HasPrefix(p.Op, ">") || strings.HasPrefix(p.Op, "<") {
			if !f.isNum {
				return nil, nil, domain.Invalidf("op %s compares numbers: value must be a finite number", p.Op)
			}
		}
		p.Value = strings.TrimSpace(p.Value)
	case "software":
		if p.Plugin != "" || p.Key != "" || p.Value != "" {
			return nil, nil, domain.Invalidf("the software source takes name and op only")
		}
		if p.Name = strings.TrimSpace(p.Name); p.Name == "" || len(p.Name) > maxFactKey || !printable(p.Name) {
			return nil, nil, domain.Invalidf("name is the package name: 1 to %d printable characters", maxFactKey)
		}
		if p.Op != "installed" && p.Op != "missing" {
			return nil, nil, domain.Invalidf("op must be installed or missing for the software source")
		}
	default:
		return nil, nil, domain.Invalidf("source must be fact, inventory or software")
	}
	f.p = p
	norm, _ := json.Marshal(p)
	return f, norm, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type fact struct {
	p     InventoryFact
	field func(*protocol.Inventory) (string, bool)
	op    func(got, want string, num float64, isNum bool) bool
	num   float64
	isNum bool
}

func (*fact) condition()                  {}
func (*fact) Hears() EventKind            { return EventInventory }
func (*fact) ResolveAfter() time.Duration { return 0 }

// PluginID names the collector plugin of a fact ("" for the others).
func (f *fact) PluginID() string { return f.p.Plugin }

func (f *fact) Judge(ev *Event, _ *domain.Alert) Verdict {
	inv := ev.Inventory
	if inv == nil {
		return Verdict{}
	}
	if f.p.Source == "software" {
		name, version, installed := f.p.Name, "", false
		for i := range inv.Software {
			if strings.EqualFold(inv.Software[i].Name, f.p.Name) {
				name, version, installed = inv.Software[i].Name, inv.Software[i].Version, true
				break
			}
		}
		if installed != (f.p.Op == "installed") {
			return Verdict{Clear: true}
		}
		if installed {
			return Verdict{Open: true, Value: 1, Message: fmt.Sprintf("software %s is installed (version %s)", domain.Abbrev(name, 200), domain.Abbrev(version, 64))}
		}
		return Verdict{Open: true, Message: fmt.Sprintf("software %s is not installed", f.p.Name)}
	}
	got, ok := "", false
	if f.field != nil {
		got, ok = f.field(inv)
	} else {
		for i := range inv.Facts {
			if fc := &inv.Facts[i]; fc.Plugin == f.p.Plugin && fc.Key == f.p.Key {
				got, ok = fc.Value, true
				break
			}
		}
	}
	if !ok || !f.op(got, f.p.Value, f.num, f.isNum) {
		return Verdict{Clear: true}
	}
	what := f.p.Key
	if f.p.Plugin != "" {
		what = f.p.Plugin + " " + f.p.Key
	}
	v, _ := number(got)
	return Verdict{Open: true, Value: v, Message: fmt.Sprintf("%s is %s (%s %s)", what, domain.Abbrev(got, 200), f.p.Op, f.p.Value)}
}
