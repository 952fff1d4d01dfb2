// Package conditions is the registry of alert condition kinds. A kind is
// one registered entry: its name and a Compile that decodes and validates
// its parameters into a Condition. A new kind is a file here, never a case
// in several switches.
//
// A condition is judged in one of three ways: Sampled on every heartbeat
// (metric_threshold), Offline by the presence sweep (device_offline), or
// Evented when a report it hears is ingested (inventory_fact on an
// inventory report, plugin_failed on the agent's plugin states,
// command_failed on a finished command).
package conditions

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Kind is one registered condition kind.
type Kind struct {
	Name string
	// Compile decodes and validates raw params (ErrInvalid with a message
	// for the caller) and returns the condition and its params normalised.
	Compile func(raw json.RawMessage) (Condition, json.RawMessage, error)
}

// Condition is a compiled condition: a Sampled, an Offline or an Evented one.
type Condition interface{ condition() }

// Sampled is judged on every heartbeat.
type Sampled interface {
	Condition
	// Check reads the sample: ok=false when it lacks the metric; breach
	// when the condition holds; clear when a firing alert may resolve.
	Check(hb *protocol.Heartbeat) (v float64, breach, clear, ok bool)
	// For is how long the breach must last before an alert opens.
	For() time.Duration
	// Describe is the alert's message for value v.
	Describe(v float64) string
}

// Offline is judged by the sweep from the device's last contact.
type Offline interface {
	Condition
	After() time.Duration
}

var registry = map[string]Kind{}

// Register adds a kind; a duplicate name is a programming error.
func Register(k Kind) {
	if _, dup := registry[k.Name]; dup || k.Name == "" || k.Compile == nil {
		panic("conditions: bad or duplicate kind " + k.Name)
	}
	registry[k.Name] = k
}

// Names lists the registered kinds, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Compile validates params of kind name.
func Compile(name string, raw json.RawMessage) (Condition, json.RawMessage, error) {
	k, ok := registry[name]
	if !ok {
		return nil, nil, domain.Invalidf("unknown condition kind %q (known: %s)", domain.Abbrev(name, 64), strings.Join(Names(), ", "))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	return k.Compile(raw)
}

// decodeStrict decodes raw into v refusing unknown fields.
func decodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.Invalidf("condition params: %s", domain.Abbrev(err.Error(), 200))
	}
	return nil
}
