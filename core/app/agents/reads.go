package agents

import (
	"context"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Reads of devices and what their agents report, for the REST edge. Each
// runs in the caller's devices:read scope, so a device outside it is
// ErrNotFound. Reads are not audited, so none notes an audit resource.

// Metrics window defaults and bounds.
const (
	DefaultMetricsRange = time.Hour
	DefaultMetricsStep  = time.Minute
	MaxMetricsPoints    = 10_000
)

// ListDevices lists the devices in the caller's devices:read scope.
func (s *Service) ListDevices(ctx context.Context, p *domain.Principal, f ports.DeviceFilter, page domain.PageRequest) (domain.Page[*domain.Device], error) {
	return s.d.Store.Devices().List(ctx, p.ScopeFor(domain.PermDevicesRead), f, page)
}

// DeviceView is a device with its agent's last plugin report (empty when
// none) and its latest heartbeat sample (nil when none).
type DeviceView struct {
	Device  *domain.Device
	Plugins []domain.PluginRunState
	Latest  *domain.MetricSample
	// Cert is the device's latest client certificate (mutual TLS), nil
	// when it has none; CertState is "valid", "expired" or "revoked".
	Cert      *ports.DeviceCert
	CertState string
}

// GetDevice reads a device, its plugin states and its latest sample.
func (s *Service) GetDevice(ctx context.Context, p *domain.Principal, id string) (DeviceView, error) {
	scope := p.ScopeFor(domain.PermDevicesRead)
	d, err := s.d.Store.Devices().Get(ctx, scope, id)
	if err != nil {
		return DeviceView{}, err
	}
	v := DeviceView{Device: d}
	if v.Plugins, err = s.d.Store.Inventory().PluginStates(ctx, scope, d.ID); err != nil {
		return DeviceView{}, err
	}
	v.Latest, err = s.d.Store.Telemetry().Latest(ctx, scope, d.ID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return DeviceView{}, err
	}
	// The device is in scope: its certificate record is too.
	c, err := s.d.Store.DeviceCerts().Latest(ctx, d.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return DeviceView{}, err
	default:
		v.Cert, v.CertState = &c, "valid"
		if !c.RevokedAt.IsZero() {
			v.CertState = "revoked"
		} else if !s.d.Clock.Now().Before(c.NotAfter) {
			v.CertState = "expired"
		}
	}
	return v, nil
}

// MetricsWindow asks for a device's samples in [From, To) in buckets of
// Step. Zero To is now, zero From DefaultMetricsRange before To, zero Step
// DefaultMetricsStep.
type MetricsWindow struct {
	From, To time.Time
	Step     time.Duration
}

// Metrics is a device's telemetry downsampled over a window (the
// defaults filled in); empty buckets are omitted from Points.
type Metrics struct {
	MetricsWindow
	Points []domain.MetricPoint
}

// DeviceMetrics downsamples a device's telemetry. The window must be
// non-empty and hold at most MaxMetricsPoints steps.
func (s *Service) DeviceMetrics(ctx context.Context, p *domain.Principal, id string, w MetricsWindow) (Metrics, error) {
	w, err := s.window(w)
	if err != nil {
		return Metrics{}, err
	}
	points, err := s.d.Store.Telemetry().Query(ctx, p.ScopeFor(domain.PermDevicesRead), id, w.From, w.To, w.Step)
	if err != nil {
		return Metrics{}, err
	}
	return Metrics{MetricsWindow: w, Points: points}, nil
}

// window fills a metrics window's defaults and checks it.
func (s *Service) window(w MetricsWindow) (MetricsWindow, error) {
	if w.To.IsZero() {
		w.To = s.d.Clock.Now().UTC()
	}
	if w.From.IsZero() {
		w.From = w.To.Add(-DefaultMetricsRange)
	}
	if w.Step == 0 {
		w.Step = DefaultMetricsStep
	}
	if w.Step < 0 {
		return w, domain.Invalidf("step must be positive")
	}
	if !w.From.Before(w.To) {
		return w, domain.Invalidf("from must be before to")
	}
	if w.To.Sub(w.From)/w.Step > MaxMetricsPoints {
		return w, domain.Invalidf("from..to holds more than %d steps: use a larger step", MaxMetricsPoints)
	}
	return w, nil
}

// InventoryView is a device's stored inventory and its decoded document.
type InventoryView struct {
	Stored *domain.DeviceInventory
	Doc    protocol.Inventory
}

// DeviceInventory reads a device's last reported inventory. A device that
// never reported one is ErrNotFound.
func (s *Service) DeviceInventory(ctx context.Context, p *domain.Principal, id string) (InventoryView, error) {
	inv, err := s.d.Store.Inventory().Get(ctx, p.ScopeFor(domain.PermDevicesRead), id)
	if err != nil {
		return InventoryView{}, err
	}
	doc, err := InventoryOf(inv)
	if err != nil {
		return InventoryView{}, err
	}
	return InventoryView{Stored: inv, Doc: doc}, nil
}
