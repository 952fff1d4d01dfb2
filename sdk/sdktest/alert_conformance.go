package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
)

// AlertChannelFixture is what the alert channel suite needs from the author.
type AlertChannelFixture struct {
	// ValidSettings make Test succeed and Send deliver (point them at a test server).
	ValidSettings json.RawMessage
	// InvalidSettings must be refused by Test and Send.
	InvalidSettings json.RawMessage
}

// AlertChannelConformance runs the alert channel suite. factory returns a
// fresh implementation; the suite serves it over gRPC in-process, with a
// FakeHost (whose egress, unlike a real host's, reaches loopback), exactly
// as a host would see it.
func AlertChannelConformance(t *testing.T, factory func(t *testing.T) sdk.AlertChannel, fx AlertChannelFixture) {
	t.Helper()
	alertSuite(t, inProcess(sdk.KindAlertChannel, factory), fx)
}

// AlertChannelConformanceBinary runs the same suite against a built plugin
// executable, launched as a host launches it (see Launch and Build).
func AlertChannelConformanceBinary(t *testing.T, bin string, fx AlertChannelFixture) {
	t.Helper()
	alertSuite(t, fromBinary[sdk.AlertChannel](sdk.KindAlertChannel, bin), fx)
}

func alertSuite(t *testing.T, open opener[sdk.AlertChannel], fx AlertChannelFixture) {
	note := sdk.Notification{
		ID: "n-1", OrgID: "org-1", DeviceID: "dev-1", DeviceName: "web-01", Severity: "critical",
		Status: "triggered", Title: "Disk almost full", Message: "/ is 97% full", Source: "sdktest",
		OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Labels: map[string]string{"disk": "/"},
	}
	t.Run("Info", func(t *testing.T) { checkInfo(t, open(t, nil), sdk.KindAlertChannel) })
	t.Run("TestValidSettings", func(t *testing.T) {
		res, err := open(t, NewFakeHost(nil)).Test(ctxT(t), fx.ValidSettings)
		if err != nil || !res.OK {
			t.Fatalf("Test(valid) = %+v, %v; want OK", res, err)
		}
	})
	t.Run("TestInvalidSettings", func(t *testing.T) {
		res, err := open(t, NewFakeHost(nil)).Test(ctxT(t), fx.InvalidSettings)
		if err == nil && res.OK {
			t.Fatalf("Test(invalid) = %+v; want not OK or an error", res)
		}
		if err != nil && !errors.Is(err, sdk.ErrInvalid) {
			t.Errorf("Test(invalid) error %v should wrap sdk.ErrInvalid", err)
		}
	})
	t.Run("Send", func(t *testing.T) {
		n := note
		n.Settings = fx.ValidSettings
		res, err := open(t, NewFakeHost(nil)).Send(ctxT(t), n)
		if err != nil || !res.Delivered || res.Attempts < 1 {
			t.Fatalf("Send = %+v, %v; want delivered after >= 1 attempt", res, err)
		}
	})
	t.Run("SendSettingsFromHost", func(t *testing.T) {
		res, err := open(t, NewFakeHost(fx.ValidSettings)).Send(ctxT(t), note)
		if err != nil || !res.Delivered {
			t.Fatalf("Send without settings (host has them) = %+v, %v; want delivered", res, err)
		}
	})
	t.Run("SendInvalidSettings", func(t *testing.T) {
		n := note
		n.Settings = fx.InvalidSettings
		res, err := open(t, NewFakeHost(nil)).Send(ctxT(t), n)
		if err == nil && res.Delivered {
			t.Fatalf("Send(invalid settings) = %+v; want not delivered", res)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		ch := open(t, nil)
		n := note
		n.Settings = fx.ValidSettings
		checkCancelled(t, func(ctx context.Context) error { _, err := ch.Send(ctx, n); return err })
	})
}
