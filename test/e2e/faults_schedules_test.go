package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/protocol"
)

// TestFaultNodesKilledMidScheduleFanout: a schedule's fire is fanning out
// commands to a few hundred devices when every node is SIGKILLed. After the
// restart the queue's next attempt resumes the fire: every device has the
// fire's command exactly once, none missing, none twice.
func TestFaultNodesKilledMidScheduleFanout(t *testing.T) {
	fc := startFaultCluster(t)
	api := login(t, fc.a)
	siteID := api.site("Faults schedule")
	var site struct {
		OrgID string `json:"orgId"`
	}
	api.must(http.MethodGet, "/api/v1/sites/"+siteID, nil, http.StatusOK, &site)
	const devices = 400
	key := api.mintKey(siteID, devices)
	enrollMany(t, fc.a.url, key, devices)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, fc.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())

	runAt := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second)
	var sc struct {
		ID string `json:"id"`
	}
	api.must(http.MethodPost, "/api/v1/schedules", map[string]any{"orgId": site.OrgID, "name": "fan-out under fire",
		"timezone": "UTC", "runAt": runAt.Format(time.RFC3339),
		"target": map[string]any{"kind": "site", "ids": []string{siteID}},
		"task":   map[string]any{"kind": "action", "action": protocol.ActionUptime},
		// The devices are made-up (no agent): their commands wait.
		"offlinePolicy": "when_online", "graceMinutes": 30}, http.StatusCreated, &sc)
	idem := "sched:" + sc.ID + ":" + strconv.FormatInt(runAt.Unix(), 10)
	count := func() int {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM commands WHERE idempotency_key = $1", idem).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Kill every node as soon as the fan-out has begun.
	for deadline := time.Now().Add(30 * time.Second); count() == 0; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the fire never started:\nnode A:\n%s\nnode B:\n%s", fc.a.log.tail(30), fc.b.log.tail(30))
		}
	}
	var wg sync.WaitGroup
	for _, s := range []*server{fc.a, fc.b} {
		wg.Add(1)
		go func() { defer wg.Done(); s.kill() }()
	}
	wg.Wait()
	atKill := count()
	t.Logf("killed both nodes with %d of %d commands made", atKill, devices)
	if atKill >= devices {
		t.Fatalf("the kill came after the fan-out ended (%d of %d): the test did not test a mid-fan-out death", atKill, devices)
	}

	fc.a.start()
	fc.b.start()
	api = signInSoon(t, fc.b)
	eventually(t, 150*time.Second, "the fire resumed and finished", func() (bool, string) {
		var page struct {
			Items []struct {
				Status     string   `json:"status"`
				Error      string   `json:"error"`
				CommandIDs []string `json:"commandIds"`
			} `json:"items"`
		}
		api.must(http.MethodGet, "/api/v1/schedules/"+sc.ID+"/fires", nil, http.StatusOK, &page)
		if len(page.Items) != 1 {
			return false, fmt.Sprintf("%d fires", len(page.Items))
		}
		f := page.Items[0]
		return f.Status == "fired" && len(f.CommandIDs) == devices, fmt.Sprintf("%s %q, %d commands", f.Status, f.Error, len(f.CommandIDs))
	})
	rows, err := db.Query(ctx, `SELECT d.id, count(c.id) FROM devices d
		LEFT JOIN commands c ON c.device_id = d.id AND c.idempotency_key = $1
		WHERE d.site_id = $2 GROUP BY d.id`, idem, siteID)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("device %s has the fire's command %d times, want once", id, n)
		}
		seen++
	}
	if err := rows.Err(); err != nil || seen != devices {
		t.Fatalf("devices checked: %d of %d (%v)", seen, devices, err)
	}
}

// enrollMany enrolls n made-up devices with key, spreading them over
// loopback source addresses (the server allows 20 enrollments per address
// per 10 minutes).
func enrollMany(t *testing.T, base, key string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		ip := net.IPv4(127, 0, byte(200+i/250), byte(1+(i/20)%250))
		hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext}}
		body, _ := json.Marshal(protocol.EnrollRequest{EnrollmentKey: key, Hostname: fmt.Sprintf("fanout-%03d", i),
			OS: "linux", Arch: "amd64", AgentVersion: "0.0.0-e2e"})
		res, err := hc.Post(base+protocol.EnrollPath, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("enroll %d: %v", i, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("enroll %d from %s: %d", i, ip, res.StatusCode)
		}
	}
}
