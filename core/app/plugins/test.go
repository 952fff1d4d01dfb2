package plugins

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// TestResult is the answer of an alert channel's Test.
type TestResult struct {
	OK      bool
	Message string
}

// Test asks a running alert channel whether the org's settings work.
func (s *Service) Test(ctx context.Context, sc domain.Scope, pluginID, orgID string) (*TestResult, error) {
	auditResource(ctx, pluginID, "", "")
	org, err := s.coveredOrg(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	auditResource(ctx, pluginID, org.PartnerID, org.ID)
	n, settings, err := s.channel(ctx, sc, pluginID, orgID)
	if err != nil {
		return nil, err
	}
	res, err := n.Test(ctx, settings)
	if err != nil {
		return &TestResult{OK: false, Message: err.Error()}, nil
	}
	return &TestResult{OK: res.OK, Message: res.Detail}, nil
}

// Send delivers a notification through one alert channel with the org's
// settings (for the alerting pipeline; system use, no scope).
func (s *Service) Send(ctx context.Context, pluginID string, n ports.Notification) (ports.NotifyResult, error) {
	o, err := s.d.Store.Plugins().GetOrg(ctx, domain.GlobalScope(), pluginID, n.OrgID)
	if err != nil {
		return ports.NotifyResult{}, err
	}
	if !o.Enabled {
		return ports.NotifyResult{}, domain.Invalidf("%s is not enabled for this organization", pluginID)
	}
	ch, settings, err := s.channel(ctx, domain.GlobalScope(), pluginID, n.OrgID)
	if err != nil {
		return ports.NotifyResult{}, err
	}
	n.Settings = settings
	return ch.Send(ctx, n)
}

// channel is a running alert channel and the org's settings in clear.
func (s *Service) channel(ctx context.Context, sc domain.Scope, pluginID, orgID string) (ports.Notifier, json.RawMessage, error) {
	row, m, err := s.manifestOf(ctx, pluginID)
	if err != nil {
		return nil, nil, err
	}
	if row.Kind != "alert_channel" {
		return nil, nil, domain.Invalidf("%s is a %s, not an alert channel", pluginID, row.Kind)
	}
	if !row.Enabled {
		return nil, nil, domain.Invalidf("%s is disabled", pluginID)
	}
	o, err := s.d.Store.Plugins().GetOrg(ctx, sc, pluginID, orgID)
	if err != nil {
		return nil, nil, err
	}
	settings, err := s.openJSON(m, o)
	if err != nil {
		return nil, nil, err
	}
	if s.d.Runtime == nil {
		return nil, nil, fmt.Errorf("plugins: no runtime on this process")
	}
	// Not (yet) running on this node: a state to report, not a server
	// fault (an enable announced by another process may still be on its way).
	state := "stopped"
	if st, ok := s.d.Runtime.Status(pluginID); ok {
		state = st.State
	}
	if state != "running" {
		return nil, nil, domain.Conflictf("%s is %s on this server, not running: try again once it runs (GET /api/v1/plugins/%s shows its state and last error)", pluginID, state, pluginID)
	}
	n, err := s.d.Runtime.Notifier(pluginID)
	if err != nil {
		return nil, nil, domain.Conflictf("%s is not running on this server: %v", pluginID, err)
	}
	return n, settings, nil
}
