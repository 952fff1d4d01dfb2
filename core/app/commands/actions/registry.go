// Package actions is the server's table of command actions (docs/remote-work.md):
// one Spec per action, each registered from its own file, which the
// command pipeline looks up for the payload's validation, the permission
// the caller needs and the limits of a run. Adding an action is one file
// here (plus its payload type in protocol/ when it has one).
package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Spec is everything the server decides per action.
type Spec struct {
	// Name is the action's wire name (a protocol.Action* value).
	Name string
	// Permission is what the caller needs on the device. The route
	// already demands devices:execute, so a Spec can only narrow that.
	Permission domain.Permission
	// Validate checks the payload ("null" when none was given); nil: the
	// action takes no payload and ignores whatever comes. Build it with
	// Payload to decode into the action's protocol type.
	Validate func(payload json.RawMessage) error
	// PayloadDoc describes the payload for the API reference ("" none).
	PayloadDoc string
	// Timeout is the default run time limit (0: the pipeline's default).
	Timeout time.Duration
	// OutputCap caps stdout and stderr each (0: the server's setting).
	OutputCap int
	// SecretParams: the payload is a protocol.RunScriptPayload whose
	// SecretEnv and SecretArgs values are sealed at rest, opened only for
	// the agent and redacted in every answer.
	SecretParams bool
	// Secrets walks the secret values of a payload in the action's own
	// shape (fn maps each, by place, to its sealed, opened or redacted
	// form) and returns the new payload, nil when it holds none. An
	// action with Secrets has secret parameters like SecretParams' ones:
	// sealed at rest, opened only for the agent, redacted in answers.
	Secrets func(payload json.RawMessage, fn func(place, v string) (string, error)) (json.RawMessage, error)
	// RunsScriptCode: the payload is script code the caller wrote, so the
	// caller needs the one rule for script code on a device
	// (commands.MayRunScript), whether the code comes from the library or
	// is sent ad hoc.
	RunsScriptCode bool
}

var (
	mu       sync.RWMutex
	registry = map[string]Spec{}
)

// Register adds an action; call it from an init function of the file
// defining the action. It panics on an unnamed, unguarded or repeated one.
func Register(s Spec) {
	if s.Name == "" || s.Permission == "" {
		panic("actions: a Spec needs a Name and a Permission")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("actions: %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// Lookup returns the action's Spec.
func Lookup(name string) (Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := registry[name]
	return s, ok
}

// Names lists the registered actions, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// PayloadDocs describes every action's payload for the API reference:
// "kill_process {pid, signal?}; reboot {delaySeconds?}; ...".
func PayloadDocs() string {
	var parts []string
	for _, n := range Names() {
		if s, _ := Lookup(n); s.PayloadDoc != "" {
			parts = append(parts, n+" "+s.PayloadDoc)
		}
	}
	return strings.Join(parts, "; ") + "."
}

// SecretParams reports whether action's payload carries secret
// parameters (false for an unknown action).
func SecretParams(action string) bool {
	s, ok := Lookup(action)
	return ok && (s.SecretParams || s.Secrets != nil)
}

// Check validates a payload for the action.
func (s Spec) Check(payload json.RawMessage) error {
	if s.Validate == nil {
		return nil
	}
	err := s.Validate(payload)
	var de decodeError
	if errors.As(err, &de) {
		return domain.Invalidf("%s payload: %v", s.Name, de.err)
	}
	return err
}

// Payload makes a Validate that decodes the payload into the action's
// protocol type P and hands it to check (nil: decoding is the check).
func Payload[P any](check func(P) error) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var p P
		if err := json.Unmarshal(raw, &p); err != nil {
			return decodeError{err}
		}
		if check == nil {
			return nil
		}
		return check(p)
	}
}

// decodeError is a payload that does not decode; Check names the action.
type decodeError struct{ err error }

func (e decodeError) Error() string { return e.err.Error() }

// inRange reports lo <= v <= hi for every v.
func inRange(vs []int, lo, hi int) bool {
	return !slices.ContainsFunc(vs, func(v int) bool { return v < lo || v > hi })
}
