package discovery_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/domain"
)

type heard struct {
	mu  sync.Mutex
	evs []domain.AssetAlert
}

func (h *heard) AssetEvents(_ context.Context, evs []domain.AssetAlert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evs = append(h.evs, evs...)
}

// What the merge hands the alerting: bounded, the first new of a scanner
// per page, every back; gone per state (a tracked host's gone is not
// hidden behind a candidate's).
func TestMergeTellsAlerts(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	a := ts.Seed.A
	h := &heard{}
	svc, err := discovery.New(discovery.Deps{Store: ts.Store, Alerts: h, OUIPath: "/nonexistent/oui.csv"})
	mustDo(t, "service", err)
	ref := refOf(a, "job-1", "", ts.Clock.Now())
	ref.ScannerDeviceID = "scanner-1"
	var obs []domain.AssetObservation
	for i := 1; i <= 300; i++ {
		obs = append(obs, domain.AssetObservation{IP: fmt.Sprintf("10.7.%d.%d", i/250, i%250+1), Alive: true})
	}
	mustDo(t, "merge", svc.Merge(ctx, ref, obs[:256]))
	if len(h.evs) != 1 || h.evs[0].Kind != domain.AssetEventNew || h.evs[0].DeviceID != "scanner-1" {
		t.Fatalf("256 new hosts: heard %+v, want the first new for the scanner", h.evs)
	}
	// One host tracked; a complete scan that saw none: the candidates' gone
	// and the tracked host's gone are both heard, once each.
	_, err = svc.Track(ctx, adminOf(a), assetAt(t, ts, a, "10.7.0.3").ID)
	mustDo(t, "track", err)
	h.evs = nil
	ref2 := refOf(a, "job-2", "", ts.Clock.Now())
	ref2.ScannerDeviceID = "scanner-1"
	mustDo(t, "finish", svc.Finish(ctx, ref2, []string{"10.7.0.0/16"}, true))
	var gone, trackedGone int
	for _, e := range h.evs {
		if e.Kind == domain.AssetEventGone {
			gone++
			if e.State == domain.AssetTracked {
				trackedGone++
			}
		}
	}
	if gone != 2 || trackedGone != 1 {
		t.Fatalf("gone events heard %+v, want one for the candidates and one for the tracked host", h.evs)
	}
	// All back at once: every back is heard, up to the bound.
	h.evs = nil
	ref3 := refOf(a, "job-3", "", ts.Clock.Now())
	ref3.ScannerDeviceID = "scanner-1"
	mustDo(t, "merge back", svc.Merge(ctx, ref3, obs[:256]))
	if len(h.evs) != 256 {
		t.Fatalf("256 hosts back: heard %d events, want 256", len(h.evs))
	}
}
