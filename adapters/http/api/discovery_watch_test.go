package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Watching tracked hosts through a real agent link: the scanner of the
// profile gets its list (the tracked host, its ports and the profile's SNMP
// settings) when it links and again when a host is tracked; an up result
// keeps the host seen, three intervals without an answer make it gone, an
// answer brings it back; results for hosts it does not watch change nothing.
func TestWatchingTrackedHosts(t *testing.T) { bothProfiles(t, testWatchingTrackedHosts) }

func testWatchingTrackedHosts(t *testing.T, rs *remoteServer) {
	ctx := context.Background()
	a := rs.Seed.A
	site, org := a.Sites[0].ID, a.Orgs[0].ID
	code, prof := rs.Do(t, http.MethodPost, profilesPath, rs.admin, map[string]any{"siteId": site, "name": "watched",
		"targets": []string{"10.8.0.0/24"}, "methods": []string{"icmp", "tcp", "snmp"}, "ports": []int{80, 9100},
		"scannerDeviceIds": []string{rs.deviceID}, "snmp": map[string]any{"version": "2c", "community": "s3cret"}})
	if code != http.StatusCreated {
		t.Fatalf("profile: %d %v", code, prof)
	}
	ref := domain.ScanRef{JobID: "job-w1", PartnerID: a.Partner.ID, OrgID: org, SiteID: site, ProfileID: prof["id"].(string),
		At: rs.Clock.Now(), ScannerDeviceID: rs.deviceID}
	if err := rs.Discovery.Merge(ctx, ref, []domain.AssetObservation{
		{IP: "10.8.0.5", Alive: true, OpenPorts: []int{9100}, Method: domain.MethodTCP},
		{IP: "10.8.0.6", Alive: true},
	}); err != nil {
		t.Fatal(err)
	}
	printer := assetID(t, rs, site, "10.8.0.5")
	other := assetID(t, rs, site, "10.8.0.6")

	// Linked before anything is tracked: an empty list.
	conn := rs.link(t)
	var w protocol.Watch
	nextOfType(t, conn, protocol.TypeWatch, &w)
	if len(w.Hosts) != 0 || w.IntervalSeconds != protocol.DefaultWatchIntervalSecs {
		t.Fatalf("first list %+v, want none", w)
	}
	// Tracked: the list comes at once.
	if code, body := rs.Do(t, http.MethodPost, assetsPath+"/"+printer+"/track", rs.admin, nil); code != http.StatusOK {
		t.Fatalf("track: %d %v", code, body)
	}
	nextOfType(t, conn, protocol.TypeWatch, &w)
	if len(w.Hosts) != 1 || w.Hosts[0].ID != printer || w.Hosts[0].IP != "10.8.0.5" || len(w.Hosts[0].Ports) != 1 ||
		w.Hosts[0].Ports[0] != 9100 || w.Hosts[0].SNMP == nil || w.Hosts[0].SNMP.Secrets["community"] != "s3cret" {
		t.Fatalf("list after tracking %+v", w)
	}

	report := func(results ...protocol.WatchResult) {
		t.Helper()
		if err := conn.WriteJSON(protocol.WatchReport{Header: protocol.Header{Type: protocol.TypeWatchReport}, Results: results}); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(id string) bool {
		t.Helper()
		as, err := rs.Store.DiscoveryAssets().Get(ctx, domain.GlobalScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		return as.Gone
	}
	// Tracking made a network device; the watchers set its presence.
	as, err := rs.Store.DiscoveryAssets().Get(ctx, domain.GlobalScope(), printer)
	if err != nil || as.DeviceID == "" {
		t.Fatalf("tracked asset %+v %v, want its network device", as, err)
	}
	netDev := as.DeviceID
	status := func() domain.DeviceStatus {
		t.Helper()
		d, err := rs.Store.Devices().Get(ctx, domain.GlobalScope(), netDev)
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind != domain.DeviceKindNetwork {
			t.Fatalf("device kind %q", d.Kind)
		}
		return d.Status
	}
	if st := status(); st != domain.DevicePending {
		t.Fatalf("a new network device is %s, want pending", st)
	}
	report(protocol.WatchResult{ID: printer, Up: true, Via: "icmp"})
	rs.Clock.Advance(time.Minute) // the next answer is due a minute later
	report(protocol.WatchResult{ID: printer, Up: true, Via: "icmp"})
	eventually(t, "the network device online", func() bool { return status() == domain.DeviceOnline })
	// Down right after a sighting: not gone yet (one lost round is no outage).
	report(protocol.WatchResult{ID: printer, Up: false})
	time.Sleep(300 * time.Millisecond)
	if gone(printer) {
		t.Fatal("gone after one silent round")
	}
	// Three intervals later, still down: gone. A result for a host it does
	// not watch (untracked) changes nothing.
	rs.Clock.Advance(4 * time.Minute)
	report(protocol.WatchResult{ID: printer, Up: false}, protocol.WatchResult{ID: other, Up: false},
		protocol.WatchResult{ID: domain.NewID(), Up: false})
	eventually(t, "the tracked host gone", func() bool { return gone(printer) })
	eventually(t, "its network device offline", func() bool { return status() == domain.DeviceOffline })
	if gone(other) {
		t.Fatal("a host the agent does not watch was marked gone")
	}
	// An answer brings it back, with its back event.
	report(protocol.WatchResult{ID: printer, Up: true, Via: "tcp", RTTMs: 1.5})
	eventually(t, "the tracked host back", func() bool { return !gone(printer) })
	eventually(t, "its network device online again", func() bool { return status() == domain.DeviceOnline })
	evs, err := rs.Store.DiscoveryAssets().ListEvents(ctx, printer, domain.PageRequest{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs.Items {
		kinds = append(kinds, string(e.Kind))
	}
	if len(kinds) < 3 || kinds[0] != "back" || kinds[1] != "gone" {
		t.Fatalf("events newest first %v, want back then gone", kinds)
	}
	// A malformed report is refused, the link stays.
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"watch_report","results":"nope"}`)); err != nil {
		t.Fatal(err)
	}
	var e protocol.Error
	nextOfType(t, conn, protocol.TypeError, &e)
	if e.Code == "" {
		t.Fatalf("error frame %+v", e)
	}
	// Untracked (ignored): the watcher is told its list is empty.
	if code, _ := rs.Do(t, http.MethodPost, assetsPath+"/"+printer+"/ignore", rs.admin, nil); code != http.StatusOK {
		t.Fatalf("ignore: %d", code)
	}
	nextOfType(t, conn, protocol.TypeWatch, &w)
	if len(w.Hosts) != 0 {
		t.Fatalf("list after ignoring %+v, want empty", w)
	}
}

func assetID(t *testing.T, rs *remoteServer, siteID, ip string) string {
	t.Helper()
	list, err := rs.Store.DiscoveryAssets().BySiteIPs(context.Background(), siteID, []string{ip})
	if err != nil || len(list) != 1 {
		t.Fatalf("asset %s: %v %v", ip, list, err)
	}
	return list[0].ID
}
