package agents

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// readStore serves the device reads and records the scope each got (any
// other method panics on the nil embedded interface).
type readStore struct {
	ports.Store
	scopes []domain.Scope
	query  [3]any // from, to, step of the last Telemetry().Query
}

type readTelemetry struct {
	ports.TelemetryStore
	st *readStore
}

func (s *readStore) Telemetry() ports.TelemetryStore    { return readTelemetry{st: s} }
func (s *readStore) Devices() ports.DeviceStore         { return readDevices{st: s} }
func (s *readStore) Inventory() ports.InventoryStore    { return readInventory{st: s} }
func (s *readStore) DeviceCerts() ports.DeviceCertStore { return readCerts{} }

// readCerts: the device has no client certificate.
type readCerts struct{ ports.DeviceCertStore }

func (readCerts) Latest(context.Context, string) (ports.DeviceCert, error) {
	return ports.DeviceCert{}, domain.NotFoundf("no certificate")
}

func (t readTelemetry) Latest(_ context.Context, sc domain.Scope, _ string) (*domain.MetricSample, error) {
	t.st.scopes = append(t.st.scopes, sc)
	return nil, domain.NotFoundf("no sample")
}

func (t readTelemetry) Query(_ context.Context, sc domain.Scope, _ string, from, to time.Time, step time.Duration) ([]domain.MetricPoint, error) {
	t.st.scopes = append(t.st.scopes, sc)
	t.st.query = [3]any{from, to, step}
	return []domain.MetricPoint{{Samples: 1}}, nil
}

type readDevices struct {
	ports.DeviceStore
	st *readStore
}

func (d readDevices) Get(_ context.Context, sc domain.Scope, id string) (*domain.Device, error) {
	d.st.scopes = append(d.st.scopes, sc)
	return &domain.Device{ID: id}, nil
}

type readInventory struct {
	ports.InventoryStore
	st *readStore
}

func (i readInventory) PluginStates(_ context.Context, sc domain.Scope, _ string) ([]domain.PluginRunState, error) {
	i.st.scopes = append(i.st.scopes, sc)
	return nil, nil
}

func (i readInventory) Get(_ context.Context, sc domain.Scope, id string) (*domain.DeviceInventory, error) {
	i.st.scopes = append(i.st.scopes, sc)
	return &domain.DeviceInventory{DeviceID: id, Document: `{"memoryTotal":42}`}, nil
}

// reader is a principal with devices:read on one site and devices:write on
// another org: every read must run in the site's scope only.
var reader = &domain.Principal{Grants: []domain.Grant{
	{Assignment: domain.RoleAssignment{PartnerID: "p", OrgID: "o1", SiteID: "s1"}, Permissions: []domain.Permission{domain.PermDevicesRead}},
	{Assignment: domain.RoleAssignment{PartnerID: "p", OrgID: "o2"}, Permissions: []domain.Permission{domain.PermDevicesWrite}},
}}

func newReadService(t *testing.T, now time.Time) (*Service, *readStore) {
	t.Helper()
	st := &readStore{}
	s, err := New(Deps{Store: st, Limiter: nopLimiter{}, Samples: sinkFunc(func(domain.MetricSample) bool { return true }),
		Clock: ports.ClockFunc(func() time.Time { return now })})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

type nopLimiter struct{ ports.RateLimiter }

func TestDeviceReadsRunInTheReadScope(t *testing.T) {
	ctx := context.Background()
	s, st := newReadService(t, time.Unix(1_000_000, 0))
	v, err := s.GetDevice(ctx, reader, "d1")
	if err != nil || v.Device.ID != "d1" || v.Latest != nil {
		t.Fatalf("GetDevice: %+v %v", v, err)
	}
	inv, err := s.DeviceInventory(ctx, reader, "d1")
	if err != nil || inv.Stored.DeviceID != "d1" || inv.Doc.MemoryTotal != 42 {
		t.Fatalf("DeviceInventory: %+v %v", inv, err)
	}
	if _, err := s.DeviceMetrics(ctx, reader, "d1", MetricsWindow{}); err != nil {
		t.Fatal(err)
	}
	want := domain.Scope{SiteIDs: []string{"s1"}}
	if len(st.scopes) != 5 {
		t.Fatalf("%d store reads, want 5", len(st.scopes))
	}
	for i, sc := range st.scopes {
		if !reflect.DeepEqual(sc, want) {
			t.Errorf("read %d in scope %+v, want %+v", i, sc, want)
		}
	}
}

func TestDeviceMetricsWindow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s, st := newReadService(t, now)
	m, err := s.DeviceMetrics(ctx, reader, "d1", MetricsWindow{})
	if err != nil || len(m.Points) != 1 {
		t.Fatalf("defaults: %+v %v", m, err)
	}
	want := MetricsWindow{From: now.Add(-time.Hour), To: now, Step: time.Minute}
	if m.MetricsWindow != want || st.query != [3]any{want.From, want.To, want.Step} {
		t.Errorf("defaults: window %+v, queried %v; want %+v", m.MetricsWindow, st.query, want)
	}
	for name, w := range map[string]MetricsWindow{
		"empty":     {From: now, To: now},
		"reversed":  {From: now, To: now.Add(-time.Minute)},
		"too many":  {From: now.Add(-MaxMetricsPoints*time.Second - time.Second), To: now, Step: time.Second},
		"negative":  {Step: -time.Second},
		"from late": {From: now.Add(time.Minute)},
	} {
		st.scopes = nil
		if _, err := s.DeviceMetrics(ctx, reader, "d1", w); !errors.Is(err, domain.ErrInvalid) || len(st.scopes) != 0 {
			t.Errorf("%s: %v after %d reads", name, err, len(st.scopes))
		}
	}
	// Exactly MaxMetricsPoints steps is allowed.
	if _, err := s.DeviceMetrics(ctx, reader, "d1", MetricsWindow{From: now.Add(-MaxMetricsPoints * time.Second), To: now, Step: time.Second}); err != nil {
		t.Errorf("max points: %v", err)
	}
}
