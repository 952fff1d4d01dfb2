package actions_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func TestEveryActionIsRegistered(t *testing.T) {
	want := []string{protocol.ActionCollectInventory, protocol.ActionDiscover, protocol.ActionKillProcess,
		protocol.ActionListProcesses, protocol.ActionListServices, protocol.ActionReboot, protocol.ActionRestartService,
		protocol.ActionRunScript, protocol.ActionUninstallAgent, protocol.ActionUptime}
	slices.Sort(want)
	if got := actions.Names(); !slices.Equal(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	for _, n := range want {
		s, _ := actions.Lookup(n)
		// Every action stays behind devices:execute, as the route is.
		if s.Permission != domain.PermDevicesExecute {
			t.Errorf("%s needs %q", n, s.Permission)
		}
		if s.SecretParams != (n == protocol.ActionRunScript) {
			t.Errorf("%s: SecretParams %v", n, s.SecretParams)
		}
	}
	if _, ok := actions.Lookup("format_disk"); ok {
		t.Fatal("an unknown action was found")
	}
}

func TestUptime(t *testing.T) {
	s, ok := actions.Lookup(protocol.ActionUptime)
	if !ok || s.Timeout != 30*time.Second || s.Validate != nil || s.PayloadDoc != "" {
		t.Fatalf("uptime %+v", s)
	}
	if err := s.Check(json.RawMessage("null")); err != nil {
		t.Fatal(err)
	}
}

func TestPayloadChecks(t *testing.T) {
	cases := []struct {
		action, payload string
		ok              bool
	}{
		{protocol.ActionKillProcess, `{"pid":42,"signal":"KILL"}`, true},
		{protocol.ActionKillProcess, `{"pid":1}`, false},
		{protocol.ActionKillProcess, `{"pid":42,"signal":"HUP"}`, false},
		{protocol.ActionKillProcess, `{"pid":"x"}`, false},
		{protocol.ActionRestartService, `{"name":"ssh"}`, true},
		{protocol.ActionRestartService, `{"name":"ssh; reboot"}`, false},
		{protocol.ActionReboot, `null`, true},
		{protocol.ActionReboot, `{"delaySeconds":86401}`, false},
		{protocol.ActionRunScript, `{"language":"sh","body":"env","env":{"A":"x"}}`, true},
		{protocol.ActionRunScript, `{"language":"sh; rm","body":"env"}`, false},
		{protocol.ActionRunScript, `{"language":"sh","body":"env","env":{"A;B":"x"}}`, false},
		{protocol.ActionRunScript, `{"language":"sh","body":"x","runAs":"root;id"}`, false},
		{protocol.ActionDiscover, `{"plugin":"netscan","targets":["10.0.0.0/24"],"ports":[22]}`, true},
		{protocol.ActionDiscover, `{"plugin":"netscan","targets":["a;b"]}`, false},
		{protocol.ActionDiscover, `{"plugin":"netscan","targets":["h"],"ports":[0]}`, false},
		{protocol.ActionListProcesses, `{"anything":1}`, true},
	}
	for _, c := range cases {
		s, _ := actions.Lookup(c.action)
		err := s.Check(json.RawMessage(c.payload))
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, domain.ErrInvalid)) {
			t.Errorf("%s %s: %v", c.action, c.payload, err)
		}
	}
	s, _ := actions.Lookup(protocol.ActionKillProcess)
	if err := s.Check(json.RawMessage(`[1]`)); err == nil || !strings.Contains(err.Error(), "kill_process payload:") {
		t.Fatalf("decode error %v", err)
	}
}

func TestPayloadDocs(t *testing.T) {
	d := actions.PayloadDocs()
	for _, want := range []string{"run_script {language, body, args?, env?, runAs?}", "kill_process {pid, signal?}", "discover {plugin, targets, ports?, options?, secrets?, stream?}"} {
		if !strings.Contains(d, want) {
			t.Errorf("%q lacks %q", d, want)
		}
	}
}

func TestRegisterRefusesRepeatsAndUnguarded(t *testing.T) {
	for _, s := range []actions.Spec{{Name: protocol.ActionReboot, Permission: domain.PermDevicesExecute}, {Name: "x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v registered", s)
				}
			}()
			actions.Register(s)
		}()
	}
}

// The discover action's secrets (SNMP credentials) are walked for
// sealing and redaction, and a secret also given plainly is refused.
func TestDiscoverSecrets(t *testing.T) {
	s, _ := actions.Lookup("discover")
	if s.Secrets == nil || !actions.SecretParams("discover") {
		t.Fatal("discover declares no secrets")
	}
	raw := json.RawMessage(`{"plugin":"breeze.snmp","targets":["10.0.0.0/24"],"secrets":{"community":"c","authPass":"p"},"stream":true}`)
	var places []string
	out, err := s.Secrets(raw, func(place, v string) (string, error) { places = append(places, place); return "X" + v, nil })
	if err != nil || strings.Join(places, ",") != "secret:authPass,secret:community" ||
		!strings.Contains(string(out), `"community":"Xc"`) || !strings.Contains(string(out), `"stream":true`) {
		t.Fatalf("%s %v %v", out, places, err)
	}
	if out, err := s.Secrets(json.RawMessage(`{"plugin":"breeze.tcpscan","targets":["10.0.0.1"]}`), nil); out != nil || err != nil {
		t.Fatalf("no secrets: %s %v", out, err)
	}
	for _, bad := range []string{
		`{"plugin":"breeze.snmp","targets":["10.0.0.1"],"secrets":{"community":"c"},"options":{"community":"c"}}`,
		`{"plugin":"breeze.snmp","targets":["10.0.0.1"],"secrets":{"a b":"c"}}`,
		`{"plugin":"breeze.snmp","targets":["10.0.0.1"],"options":[1]}`,
	} {
		if err := s.Check(json.RawMessage(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
