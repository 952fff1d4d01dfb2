package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func device(t *testing.T, ts *apitest.TestServer, id string) *domain.Device {
	t.Helper()
	d, err := ts.Store.Devices().Get(context.Background(), domain.GlobalScope(), id)
	if err != nil {
		t.Fatalf("device %s: %v", id, err)
	}
	return d
}

// linkEnd reads until the link ends and returns its close code and the
// frames before it.
func linkEnd(t *testing.T, c *websocket.Conn, within time.Duration) (int, []map[string]any) {
	t.Helper()
	var frames []map[string]any
	_ = c.SetReadDeadline(time.Now().Add(within))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, frames
			}
			t.Fatalf("link ended without a close frame: %v", err)
		}
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		frames = append(frames, m)
	}
}

func TestAgentLinkHelloHeartbeatsPresence(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
			ts.RequireAgents(t)
			ctx := context.Background()
			a := ts.Seed.A
			id, token := ts.NewDevice(t, a, 0, "web-01")
			other, _ := ts.NewDevice(t, a, 0, "web-02")

			c, resp, err := ts.DialAgent(t, id, token)
			if err != nil {
				t.Fatalf("dial: %v %+v", err, resp)
			}
			w := apitest.Hello(t, c, "web-01.renamed")
			if w.DeviceID != id || w.HeartbeatInterval != 60 || !w.InventoryWanted || w.ID != "h1" || w.ServerTime.IsZero() {
				t.Fatalf("welcome %+v", w)
			}
			d := device(t, ts, id)
			if d.Status != domain.DeviceOnline || d.Hostname != "web-01.renamed" || d.AgentVersion != "1.0.1" || d.LastSeenAt.IsZero() {
				t.Fatalf("after hello: %+v", d)
			}
			if n := len(ts.Events.Events(agents.EventDeviceOnline, id)); n != 1 {
				t.Errorf("%d online events", n)
			}

			// Heartbeats land in the metrics table (after the batch flush), for
			// the linked device only, whatever the payload says.
			at := ts.Clock.Now().Add(-time.Second).UTC().Truncate(time.Millisecond)
			hb := map[string]any{
				"type": "heartbeat", "deviceId": other, "at": at, "cpuPercent": 42.5, "memoryTotal": 1000, "memoryUsed": 400,
				"disks":   []map[string]any{{"mount": "/", "fsType": "ext4", "total": 100, "used": 30}, {"mount": "/data", "total": 200, "used": 50}},
				"network": []map[string]any{{"interface": "eth0", "rxBps": 10, "txBps": 5}},
				"load1":   0.5, "uptimeSeconds": 3600, "processCount": 123,
			}
			if err := c.WriteJSON(hb); err != nil {
				t.Fatal(err)
			}
			var latest *domain.MetricSample
			eventually(t, "heartbeat stored", func() bool {
				latest, err = ts.AgentStore.Telemetry().Latest(ctx, domain.GlobalScope(), id)
				return err == nil
			})
			if latest.CPUPercent != 42.5 || latest.MemoryUsed != 400 || latest.DiskTotal != 300 || latest.DiskUsed != 80 ||
				latest.NetRxBps != 10 || latest.ProcessCount != 123 || latest.Uptime != 3600 || !latest.At.Equal(at) {
				t.Fatalf("latest %+v", latest)
			}
			if _, err := ts.AgentStore.Telemetry().Latest(ctx, domain.GlobalScope(), other); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("the device named in the payload got a sample: %v", err)
			}
			if d := device(t, ts, other); d.Status != domain.DevicePending {
				t.Fatalf("the other device became %s", d.Status)
			}

			// The detail route shows it; the REST view of the device agrees.
			tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
			code, body := ts.Do(t, http.MethodGet, api.Prefix+"/devices/"+id, tok, nil)
			lat, _ := body["latest"].(map[string]any)
			if code != http.StatusOK || body["status"] != "online" || lat == nil || lat["cpuPercent"] != 42.5 {
				t.Fatalf("device detail: %d %v", code, body)
			}
			if det, _ := lat["detail"].(map[string]any); det == nil || len(det["disks"].([]any)) != 2 {
				t.Errorf("detail %v", lat["detail"])
			}
		})
	}
}

func TestAgentLinkRefusesForeignAndRevokedTokens(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	x, xtok := ts.NewDevice(t, ts.Seed.A, 0, "x")
	y, _ := ts.NewDevice(t, ts.Seed.A, 0, "y")
	userTok := ts.Login(t, ts.Seed.A.Admin.Email, ts.Seed.A.Admin.Password)
	for name, tc := range map[string]struct{ id, token string }{
		"token for X on Y's path": {y, xtok},
		"no token":                {x, ""},
		"garbage token":           {x, "brz_" + "A"},
		"user token":              {x, userTok},
		"malformed path id":       {"not-an-id", xtok},
	} {
		_, resp, err := ts.DialAgent(t, tc.id, tc.token)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %v %+v", name, err, resp)
		}
	}
	// The agent token opens nothing else.
	if code, _ := ts.Do(t, http.MethodGet, api.Prefix+"/devices/"+x, xtok, nil); code != http.StatusUnauthorized {
		t.Errorf("agent token on a user route: %d", code)
	}
	if code, _ := ts.Do(t, http.MethodGet, api.Prefix+"/me", xtok, nil); code != http.StatusUnauthorized {
		t.Errorf("agent token on /me: %d", code)
	}
	if d := device(t, ts, y); d.Status != domain.DevicePending {
		t.Errorf("y became %s", d.Status)
	}
}

func TestDecommissionClosesTheLinkAndRevokesTheToken(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	a, b := ts.Seed.A, ts.Seed.B
	id, token := ts.NewDevice(t, a, 0, "doomed")
	c, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, c, "doomed")

	// Another tenant cannot, and changes nothing.
	btok := ts.Login(t, b.Admin.Email, b.Admin.Password)
	if code, _ := ts.Do(t, http.MethodPost, api.Prefix+"/devices/"+id+"/decommission", btok, nil); code != http.StatusNotFound {
		t.Fatalf("B decommissions A's device: %d", code)
	}
	if !ts.Hub.Linked(id) || device(t, ts, id).Status != domain.DeviceOnline {
		t.Fatal("a refused decommission had effects")
	}
	// Neither can a viewer.
	viewer := ts.NewUser(t, domain.RoleOrgViewer, a.OrgUnit(0), "")
	if code, _ := ts.Do(t, http.MethodPost, api.Prefix+"/devices/"+id+"/decommission", ts.Login(t, viewer.Email, viewer.Password), nil); code != http.StatusForbidden {
		t.Fatalf("viewer decommissions: %d", code)
	}

	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	start := time.Now()
	code, body := ts.Do(t, http.MethodPost, api.Prefix+"/devices/"+id+"/decommission", tok, nil)
	if code != http.StatusOK || body["status"] != "decommissioned" {
		t.Fatalf("decommission: %d %v", code, body)
	}
	closeCode, frames := linkEnd(t, c, 2*time.Second)
	if closeCode != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "decommissioned" {
		t.Fatalf("link end: %d %v", closeCode, frames)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the link closed after %s", d)
	}
	if _, resp, err := ts.DialAgent(t, id, token); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reconnect after decommission: %v %+v", err, resp)
	}
	d := device(t, ts, id)
	if d.Status != domain.DeviceDecommissioned {
		t.Fatalf("status %s", d.Status)
	}
	// The sweeper never turns it into "offline".
	ts.Clock.Advance(time.Hour)
	if _, err := ts.Sweeper.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := device(t, ts, id); d.Status != domain.DeviceDecommissioned {
		t.Fatalf("after a sweep: %s", d.Status)
	}
	if n := len(ts.Events.Events(agents.EventDeviceDecommissioned, id)); n != 1 {
		t.Errorf("%d decommission events", n)
	}
	// Again: harmless, one event still.
	tok = ts.Login(t, a.Admin.Email, a.Admin.Password) // the clock moved past the access token's life
	if code, _ := ts.Do(t, http.MethodPost, api.Prefix+"/devices/"+id+"/decommission", tok, nil); code != http.StatusOK {
		t.Fatalf("second decommission: %d", code)
	}
	if n := len(ts.Events.Events(agents.EventDeviceDecommissioned, id)); n != 1 {
		t.Errorf("%d decommission events after a repeat", n)
	}
	var audited bool
	for _, e := range ts.AuditRows(t) {
		if e.Action == "devices.decommission" && e.Outcome == domain.OutcomeSuccess && e.ResourceID == id && e.OrgID == a.Orgs[0].ID {
			audited = true
		}
	}
	if !audited {
		t.Error("decommission not audited")
	}
}

func TestBadFramesOnARealLink(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	id, token := ts.NewDevice(t, ts.Seed.A, 0, "noisy")
	c, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, c, "noisy")
	for _, frame := range []string{`{not json`, `{"type":"format_disk"}`, `{"type":"inventory","full":"yes"}`} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatal(err)
		}
		var e protocol.Error
		if err := json.Unmarshal(apitest.ReadFrame(t, c), &e); err != nil || e.Type != "error" || e.Fatal {
			t.Fatalf("%s: %+v %v", frame, e, err)
		}
	}
	// Still linked and served.
	if err := c.WriteJSON(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}, CPUPercent: 3}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "heartbeat after bad frames", func() bool {
		_, err := ts.AgentStore.Telemetry().Latest(context.Background(), domain.GlobalScope(), id)
		return err == nil
	})
	// A protocol version this server does not speak ends the link.
	c2, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	_ = c2.WriteJSON(protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello}, ProtocolVersion: 99,
		Hostname: "noisy", OS: "linux", Arch: "amd64", AgentVersion: "9"})
	if code, frames := linkEnd(t, c2, 5*time.Second); code != websocket.ClosePolicyViolation || len(frames) != 1 || frames[0]["code"] != "invalid" {
		t.Fatalf("unknown protocol: %d %v", code, frames)
	}
}

func TestFloodOnARealLink(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Agents: apitest.AgentOptions{Hub: agentwsOptions(10)}})
	ts.RequireAgents(t)
	id, token := ts.NewDevice(t, ts.Seed.A, 0, "flood")
	c, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, c, "flood")
	for i := 0; i < 20; i++ {
		if err := c.WriteJSON(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat},
			At: ts.Clock.Now().Add(-time.Duration(i) * time.Second)}); err != nil {
			break
		}
	}
	if code, frames := linkEnd(t, c, 5*time.Second); code != websocket.ClosePolicyViolation || len(frames) == 0 || frames[len(frames)-1]["code"] != "rate_limited" {
		t.Fatalf("flood: %d %v", code, frames)
	}
}

func TestSweeperMarksOfflineOnceAfterThreeIntervals(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Agents: apitest.AgentOptions{HeartbeatInterval: 10 * time.Second}})
	ts.RequireAgents(t)
	ctx := context.Background()
	id, token := ts.NewDevice(t, ts.Seed.A, 0, "flappy")
	idle, _ := ts.NewDevice(t, ts.Seed.A, 0, "never-linked")
	c, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, c, "flappy")
	sweep := func() int {
		t.Helper()
		n, err := ts.Sweeper.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Flapping: the link drops and comes back within 3 intervals, again and
	// again: no event at all.
	for i := 0; i < 3; i++ {
		_ = c.Close()
		ts.Clock.Advance(25 * time.Second)
		if n := sweep(); n != 0 {
			t.Fatalf("round %d: %d marked offline before 3 intervals", i, n)
		}
		if c, _, err = ts.DialAgent(t, id, token); err != nil {
			t.Fatal(err)
		}
		apitest.Hello(t, c, "flappy")
	}
	if n := len(ts.Events.Events(agents.EventDeviceOnline, id)); n != 1 {
		t.Fatalf("%d online events for a flapping link, want 1", n)
	}
	// Silent for more than 3 intervals: offline, one event, once.
	ts.Clock.Advance(31 * time.Second)
	if n := sweep(); n != 1 {
		t.Fatalf("swept %d", n)
	}
	if n := sweep(); n != 0 {
		t.Fatalf("second sweep swept %d", n)
	}
	if d := device(t, ts, id); d.Status != domain.DeviceOffline {
		t.Fatalf("status %s", d.Status)
	}
	if d := device(t, ts, idle); d.Status != domain.DevicePending {
		t.Fatalf("a never-linked device became %s", d.Status)
	}
	if ev := ts.Events.Events(agents.EventDeviceOffline, ""); len(ev) != 1 || ev[0].DeviceID != id || ev[0].OrgID != ts.Seed.A.Orgs[0].ID || ev[0].Hostname != "flappy" {
		t.Fatalf("offline events %+v", ev)
	}
	// A heartbeat on the still-open link brings it back online.
	if err := c.WriteJSON(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "back online", func() bool { return device(t, ts, id).Status == domain.DeviceOnline })
}

func TestInventoryFullThenDiff(t *testing.T) {
	ts := apitest.NewServer(t)
	ts.RequireAgents(t)
	a := ts.Seed.A
	id, token := ts.NewDevice(t, a, 0, "inv")
	tok := ts.Login(t, a.Admin.Email, a.Admin.Password)
	invPath := api.Prefix + "/devices/" + id + "/inventory"
	if code, _ := ts.Do(t, http.MethodGet, invPath, tok, nil); code != http.StatusNotFound {
		t.Fatalf("inventory before any: %d", code)
	}
	c, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Hello(t, c, "inv")
	full := protocol.Inventory{
		Header: protocol.Header{Type: protocol.TypeInventory}, Full: true, At: ts.Clock.Now(),
		OS:          &protocol.OSInfo{Name: "linux", Platform: "debian", Version: "12", KernelVersion: "6.1.0"},
		CPU:         &protocol.CPUInfo{Model: "Xeon", Cores: 4, Threads: 8},
		MemoryTotal: 8 << 30,
		Disks:       []protocol.Disk{{Name: "sda", Size: 100 << 30}},
		Filesystems: []protocol.Filesystem{{Mount: "/", Device: "/dev/sda1", FSType: "ext4", Total: 90 << 30}},
		Interfaces:  []protocol.NetInterface{{Name: "eth0", MAC: "52:54:00:12:34:56", Addresses: []string{"10.0.0.5/24"}}},
		Software: []protocol.SoftwarePackage{
			{Name: "openssl", Version: "3.0.1", Source: "dpkg"}, {Name: "curl", Version: "7.88", Source: "dpkg"},
			{Name: "bash", Version: "5.2", Source: "dpkg"},
		},
	}
	if err := c.WriteJSON(full); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	eventually(t, "full inventory stored", func() bool {
		var code int
		code, got = ts.Do(t, http.MethodGet, invPath, tok, nil)
		return code == http.StatusOK
	})
	if sw := got["software"].([]any); len(sw) != 3 || got["cpu"].(map[string]any)["cores"] != float64(4) {
		t.Fatalf("full: %v", got)
	}
	// The next hello no longer asks for an inventory.
	c2, _, err := ts.DialAgent(t, id, token)
	if err != nil {
		t.Fatal(err)
	}
	if w := apitest.Hello(t, c2, "inv"); w.InventoryWanted {
		t.Fatal("inventory wanted although stored")
	}
	diff := protocol.Inventory{
		Header: protocol.Header{Type: protocol.TypeInventory}, At: ts.Clock.Now(),
		OS:              &protocol.OSInfo{Name: "linux", Platform: "debian", Version: "12", KernelVersion: "6.1.99"},
		SoftwareAdded:   []protocol.SoftwarePackage{{Name: "nginx", Version: "1.22", Source: "dpkg"}, {Name: "openssl", Version: "3.0.2", Source: "dpkg"}},
		SoftwareRemoved: []protocol.SoftwarePackage{{Name: "curl", Source: "dpkg"}},
	}
	if err := c2.WriteJSON(diff); err != nil {
		t.Fatal(err)
	}
	eventually(t, "diff applied", func() bool {
		_, got = ts.Do(t, http.MethodGet, invPath, tok, nil)
		return got["os"].(map[string]any)["kernelVersion"] == "6.1.99"
	})
	want := map[string]string{"bash": "5.2", "nginx": "1.22", "openssl": "3.0.2"}
	sw := got["software"].([]any)
	if len(sw) != len(want) {
		t.Fatalf("software after diff: %v", sw)
	}
	for _, p := range sw {
		m := p.(map[string]any)
		if want[m["name"].(string)] != m["version"] {
			t.Errorf("package %v", m)
		}
	}
	// Untouched sections stay.
	if got["cpu"].(map[string]any)["model"] != "Xeon" || len(got["interfaces"].([]any)) != 1 || got["memoryTotal"] != float64(8<<30) {
		t.Fatalf("sections lost: %v", got)
	}
	// Another tenant sees nothing.
	btok := ts.Login(t, ts.Seed.B.Admin.Email, ts.Seed.B.Admin.Password)
	if code, _ := ts.Do(t, http.MethodGet, invPath, btok, nil); code != http.StatusNotFound {
		t.Fatalf("B reads A's inventory: %d", code)
	}
}

// agentwsOptions are hub options with a frame limit of n per minute.
func agentwsOptions(n int) agentws.Options {
	return agentws.Options{FrameLimit: n, FrameWindow: time.Minute}
}
