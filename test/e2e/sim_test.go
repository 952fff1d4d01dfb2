package e2e

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
)

// TestSimulatorSmoke keeps cmd/breeze-sim working: a small fleet in two
// processes mints its key through the API, enrolls, links, beats and
// reports, against the real server.
func TestSimulatorSmoke(t *testing.T) {
	t.Parallel()
	srv := startServer(t, backends[0])
	const agents = 40
	cmd := exec.Command(simBin, "--server", srv.url, "--agents", "40", "--procs", "2", "--rate", "200",
		"--email", adminEmail, "--duration", "1s", "--settle", "500ms", "--interval", "1s", "--json")
	cmd.Env = append(cleanEnv(), "BREEZE_SIM_PASSWORD="+adminPassword)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("breeze-sim: %v\n%s", err, errb.String())
	}
	var rep struct {
		Procs           int     `json:"procs"`
		Enrolled        int     `json:"enrolled"`
		LinkedAfterRamp int     `json:"linkedAfterRamp"`
		LinkedAtEnd     int     `json:"linkedAtEnd"`
		DialFailures    int     `json:"dialFailures"`
		Heartbeats      int     `json:"heartbeats"`
		Inventories     int     `json:"inventories"`
		LinkP99Ms       float64 `json:"linkP99Ms"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if rep.Procs != 2 || rep.Enrolled != agents || rep.LinkedAfterRamp != agents || rep.LinkedAtEnd != agents ||
		rep.DialFailures != 0 || rep.Heartbeats < agents || rep.Inventories != agents || rep.LinkP99Ms <= 0 {
		t.Fatalf("report %+v\n%s", rep, errb.String())
	}
	api := login(t, srv)
	var page struct {
		Items []device `json:"items"`
	}
	api.must("GET", "/api/v1/devices?limit=100", nil, 200, &page)
	seen := 0
	for _, d := range page.Items {
		if d.LastSeenAt != nil && d.Status != "pending" {
			seen++
		}
	}
	if len(page.Items) != agents || seen != agents {
		t.Fatalf("%d devices, %d of them seen linked; want %d", len(page.Items), seen, agents)
	}
}
