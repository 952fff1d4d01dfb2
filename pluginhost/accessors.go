package pluginhost

import (
	"fmt"

	"github.com/breeze-rmm/breeze/sdk"
)

// Plugin is the live plugin as the sdk interface of its kind (assert it to
// sdk.AlertChannel etc.), every call bounded as described on Supervisor;
// ErrNotRunning while the plugin is down.
func (s *Supervisor) Plugin() (sdk.Plugin, error) {
	if _, err := s.live(); err != nil {
		return nil, err
	}
	return s.typed(), nil
}

func (s *Supervisor) typed() sdk.Plugin {
	c := client{s: s}
	switch s.spec.Kind {
	case sdk.KindAlertChannel:
		return alertChannel{c}
	case sdk.KindScanner:
		return scanner{c}
	case sdk.KindScriptRuntime:
		return scriptRuntime{c}
	case sdk.KindCollector:
		return collector{c}
	}
	return c
}

// The typed accessors return a client bound to the supervisor: keep it, it
// follows restarts (calls made while the plugin is down get ErrNotRunning).

// AlertChannel is the plugin as an alert channel.
func (s *Supervisor) AlertChannel() (sdk.AlertChannel, error) {
	return as[sdk.AlertChannel](s, sdk.KindAlertChannel)
}

// Scanner is the plugin as a discovery scanner.
func (s *Supervisor) Scanner() (sdk.Scanner, error) { return as[sdk.Scanner](s, sdk.KindScanner) }

// ScriptRuntime is the plugin as a script runtime.
func (s *Supervisor) ScriptRuntime() (sdk.ScriptRuntime, error) {
	return as[sdk.ScriptRuntime](s, sdk.KindScriptRuntime)
}

// Collector is the plugin as a collector.
func (s *Supervisor) Collector() (sdk.Collector, error) {
	return as[sdk.Collector](s, sdk.KindCollector)
}

// as is the typed client of kind k (typed builds it), or ErrWrongKind.
func as[T sdk.Plugin](s *Supervisor, k sdk.Kind) (T, error) {
	if err := s.want(k); err != nil {
		var zero T
		return zero, err
	}
	return s.typed().(T), nil
}

func (s *Supervisor) want(k sdk.Kind) error {
	if s.spec.Kind != k {
		return fmt.Errorf("%w: %s is a %s, not a %s", ErrWrongKind, s.spec.ID, s.spec.Kind, k)
	}
	return nil
}
