package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk"
)

// MaxAssets bounds one discover result (it must fit one result frame).
const MaxAssets = 4096

// Asset is one entry of discover's result Data (a JSON array).
type Asset struct {
	IP         string            `json:"ip"`
	Hostname   string            `json:"hostname,omitempty"`
	MAC        string            `json:"mac,omitempty"`
	Alive      bool              `json:"alive"`
	OpenPorts  []int             `json:"openPorts,omitempty"`
	RTTMs      float64           `json:"rttMs,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ErrNotScanner: discover named a plugin that is not a running scanner here.
var ErrNotScanner = errors.New("not a running scanner plugin on this agent")

var errTooMany = errors.New("too many assets")

// Discover runs the named scanner plugin's Scan and returns what it found
// (never nil, so an empty result is "[]"); note says when it was cut short.
func (m *Manager) Discover(ctx context.Context, d protocol.DiscoverPayload) (assets []Asset, note string, err error) {
	p := m.running(d.Plugin)
	if p == nil || p.offer.Kind != string(sdk.KindScanner) {
		return nil, "", fmt.Errorf("plugin %q: %w", protocol.Abbrev(d.Plugin, 48), ErrNotScanner)
	}
	sc, err := p.sup.Scanner()
	if err != nil {
		return nil, "", fmt.Errorf("plugin %q: %w", d.Plugin, err)
	}
	spec, err := targetSpec(d)
	if err != nil {
		return nil, "", err
	}
	assets = []Asset{}
	err = sc.Scan(ctx, spec, func(a sdk.Asset) error {
		if len(assets) == MaxAssets {
			return errTooMany
		}
		assets = append(assets, Asset{IP: a.IP, Hostname: a.Hostname, MAC: a.MAC, Alive: a.Alive, OpenPorts: a.OpenPorts,
			RTTMs: float64(a.RTT) / float64(time.Millisecond), Attributes: a.Attributes})
		return nil
	})
	if len(assets) == MaxAssets {
		return assets, fmt.Sprintf("%d assets (stopped at the limit)", MaxAssets), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("scan: %w", err)
	}
	return assets, fmt.Sprintf("%d assets", len(assets)), nil
}

// targetSpec maps the payload; Options may set concurrency, ratePerSecond
// and timeoutMs (numbers); any other key must be a string and is passed on.
func targetSpec(d protocol.DiscoverPayload) (sdk.TargetSpec, error) {
	spec := sdk.TargetSpec{Targets: d.Targets, Ports: d.Ports}
	if len(d.Options) == 0 || string(d.Options) == "null" {
		return spec, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(d.Options, &raw); err != nil {
		return spec, fmt.Errorf("discover options: want an object: %w", err)
	}
	for k, v := range raw {
		var err error
		switch k {
		case "concurrency":
			err = json.Unmarshal(v, &spec.Concurrency)
		case "ratePerSecond":
			err = json.Unmarshal(v, &spec.RatePerSecond)
		case "timeoutMs":
			var ms int
			err = json.Unmarshal(v, &ms)
			spec.Timeout = time.Duration(ms) * time.Millisecond
		default:
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				if spec.Options == nil {
					spec.Options = map[string]string{}
				}
				spec.Options[k] = s
			}
		}
		if err != nil {
			return spec, fmt.Errorf("discover option %q: %w", protocol.Abbrev(k, 48), err)
		}
	}
	return spec, nil
}
