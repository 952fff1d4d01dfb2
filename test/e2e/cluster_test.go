package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The production Caddyfile adapts with every setting the front promises:
// caddy validate loads it (TLS automation, the health checker), and the
// adapted JSON routes /metrics to a 404, balances with least_conn over
// every upstream given, checks /readyz, flushes at once and compresses
// only what is not a WebSocket upgrade.
func TestCaddyfileValidates(t *testing.T) {
	needCaddy(t)
	dir := t.TempDir()
	env := append(cleanEnv(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir,
		"BREEZE_DOMAIN=breeze.example.com", "BREEZE_TLS=ops@example.com",
		"BREEZE_UPSTREAMS=10.0.0.1:8080 10.0.0.2:8080 10.0.0.3:8080", "BREEZE_CADDY_ADMIN=off")
	validate := exec.Command("caddy", "validate", "--config", caddyfile, "--adapter", "caddyfile")
	validate.Env = env
	if out, err := validate.CombinedOutput(); err != nil || !strings.Contains(string(out), "Valid configuration") {
		t.Fatalf("caddy validate: %v\n%s", err, out)
	}
	adapt := exec.Command("caddy", "adapt", "--config", caddyfile)
	adapt.Env = env
	out, err := adapt.Output()
	if err != nil {
		t.Fatalf("caddy adapt: %v", err)
	}
	js := string(out)
	for _, want := range []string{
		`"static_response","status_code":404`, `"path":["/metrics","/metrics/*"]`,
		`"policy":"least_conn"`, `"uri":"/readyz"`, `"fail_duration":`, `"flush_interval":-1`,
		`{"dial":"10.0.0.1:8080"},{"dial":"10.0.0.2:8080"},{"dial":"10.0.0.3:8080"}`,
		`"not":[{"header_regexp":{"Upgrade"`, `"handler":"encode"`,
		`"Strict-Transport-Security":["max-age=31536000; includeSubDomains"]`,
		`"subjects":["breeze.example.com"]`, `"email":"ops@example.com"`, `"install_trust":false`,
		`"X-Client-Cert":["{http.request.tls.client.certificate_der_base64}"]`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("the adapted Caddyfile lacks %s:\n%s", want, js)
		}
	}
}

// TestClusterFailoverThroughCaddy runs the production front for real:
// Caddy (deploy/Caddyfile, internal CA) over three nodes on PostgreSQL and
// Redis, real agents enrolled and linked through it. One node is SIGKILLed:
// its agents relink to the others, a command queued meanwhile runs once, a
// terminal through the front ends with a reason and a new one opens. One
// node is drained with SIGTERM: its agents move without a storm. Caddy
// restarts while commands are created: every agent comes back and every
// command runs exactly once.
func TestClusterFailoverThroughCaddy(t *testing.T) {
	f := newFront(t)
	nodes := startNodes(t, 3, "BREEZE_TRUSTED_PROXIES=127.0.0.1", "BREEZE_PUBLIC_URL="+f.url)
	f.start(nodes...)
	api := login(t, nodes[0])
	site := api.site("Cluster front")

	n := clusterAgents(t)
	ids := make([]string, n)
	procs := make([]*agentProc, n)
	for i := range ids {
		var cfgPath string
		if i < throughFront {
			cfgPath = enrollAgentThrough(t, f.url, api, site, f.agentEnv())
		} else {
			// More would pass the per-address enrollment limit (every
			// enrollment through the front comes from 127.0.0.1): enroll
			// on a node, then point the agent at the front.
			cfgPath = enrollAgent(t, nodes[i%len(nodes)], api, site)
			pointAgentAt(t, cfgPath, f.url)
		}
		ids[i] = readAgentConfig(t, cfgPath).DeviceID
		procs[i] = startAgentEnv(t, cfgPath, f.agentEnv())
	}
	owner := func(id string, among []int) int { // the node holding the device's newest link
		best, at := -1, time.Time{}
		for _, i := range among {
			if ts := lastLinked(nodes[i], id); !ts.IsZero() && ts.After(at) {
				best, at = i, ts
			}
		}
		return best
	}
	all := []int{0, 1, 2}
	eventually(t, 60*time.Second, "every agent linked through the front", func() (bool, string) {
		for _, id := range ids {
			if d, ok := api.listed(id); !ok || d.Status != "online" || owner(id, all) < 0 {
				return false, id + " " + d.Status
			}
		}
		return true, ""
	})
	checkFront(t, f, nodes[0], api.token)

	// SIGKILL the node holding the most links.
	perNode := map[int][]string{}
	for _, id := range ids {
		o := owner(id, all)
		perNode[o] = append(perNode[o], id)
	}
	victim := 0
	for i := range nodes {
		if len(perNode[i]) > len(perNode[victim]) {
			victim = i
		}
	}
	var alive []int
	for i := range nodes {
		if i != victim {
			alive = append(alive, i)
		}
	}
	moved := perNode[victim]
	t.Logf("links per node: %d %d %d; killing node %d", len(perNode[0]), len(perNode[1]), len(perNode[2]), victim+1)
	apiS := login(t, nodes[alive[0]])
	term := openTerminalVia(t, f, apiS, moved[0])
	term.send(t, map[string]any{"type": "input", "data": "echo $((6*7))\n"})
	term.waitOutput(t, "42\r\n")
	// The same agent's terminal held by a survivor for certain (the one
	// through the front may land on the victim itself).
	held := openTerminalAt(t, "ws://"+nodes[alive[0]].addr, "https://"+nodes[alive[0]].addr, websocket.DefaultDialer, apiS, moved[0])

	before := linkCounts(nodes, alive, moved) // links the survivors logged so far
	nodes[victim].kill()
	killed := time.Now()
	dir := t.TempDir()
	queued := createCounted(t, apiS, moved[0], dir, "queued-while-down", 0)
	// Requests through the front never see the dead node: a refused
	// connection is retried on another node, then the node is skipped.
	for k := 0; k < 12; k++ {
		req, _ := http.NewRequest(http.MethodGet, f.url+"/api/v1/devices?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+apiS.token)
		res, err := f.client.Do(req)
		if err != nil {
			t.Fatalf("request %d through the front after the kill: %v", k, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("request %d through the front after the kill: %s", k, res.Status)
		}
	}
	relinked := waitRelinkedSince(t, nodes, alive, moved, before, killed, 10*time.Second)
	t.Logf("SIGKILL: %d agents relinked through the front in %s (spread %s)", len(moved), relinked.last, relinked.spread)
	for _, id := range moved {
		if d, ok := apiS.listed(id); !ok || d.Status != "online" {
			t.Errorf("device %s after its node died: %+v, want online", id, d)
		}
	}
	queued.mustSucceedOnce(t, apiS, 60*time.Second)
	reason := term.endReason(t, 30*time.Second)
	t.Logf("the terminal through the front ended: %s", reason)
	if reason := held.endReason(t, 15*time.Second); reason != "closed frame, reason link_lost" {
		t.Errorf("the terminal held by a surviving node ended with %q, want the closed frame with reason link_lost", reason)
	}
	term2 := openTerminalVia(t, f, apiS, moved[0])
	term2.send(t, map[string]any{"type": "input", "data": "echo $((7*6))x\n"})
	term2.waitOutput(t, "42x\r\n")

	// The dead node returns; then drain the node now holding the most links.
	nodes[victim].start()
	perNode = map[int][]string{}
	for _, id := range ids {
		o := owner(id, alive)
		perNode[o] = append(perNode[o], id)
	}
	drained := alive[0]
	if len(perNode[alive[1]]) > len(perNode[drained]) {
		drained = alive[1]
	}
	var rest []int
	for i := range nodes {
		if i != drained {
			rest = append(rest, i)
		}
	}
	// Links the survivors already logged do not count: only new ones.
	base := linkCounts(nodes, rest, ids)
	onDrained := perNode[drained]
	time.Sleep(1500 * time.Millisecond) // the returned node passes a health check
	termd := time.Now()
	stopped := make(chan struct{})
	go func() { nodes[drained].stop(); close(stopped) }()
	drain := waitRelinkedSince(t, nodes, rest, onDrained, base, termd, 15*time.Second)
	t.Logf("SIGTERM: %d agents handed over in %s (first %s, spread %s)", len(onDrained), drain.last, drain.first, drain.spread)
	<-stopped
	// No storm: no survivor shed an agent (429/503 with Retry-After).
	for i, p := range procs {
		if k := p.log.count("server asked us to come back later"); k > 0 {
			t.Errorf("agent %d was told %d times to come back later during the drain", i, k)
		}
	}
	t.Logf("SIGTERM: the drained node exited %s after the signal", time.Since(termd).Round(time.Millisecond))
	nodes[drained].start()

	// Caddy restarts while commands are created every 150 ms.
	apiR := login(t, nodes[rest[0]])
	var (
		mu       sync.Mutex
		commands []counted
	)
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for k := 0; ; k++ {
			select {
			case <-stopLoad:
				return
			case <-time.After(150 * time.Millisecond):
			}
			c, err := createCountedNoFail(apiR, ids[k%n], dir, fmt.Sprintf("load-%d", k))
			if err != nil {
				t.Errorf("create a command during the Caddy restart: %v", err)
				return
			}
			mu.Lock()
			commands = append(commands, c)
			mu.Unlock()
		}
	}()
	time.Sleep(time.Second)
	f.stop()
	time.Sleep(time.Second)
	restarted := time.Now()
	f.start(nodes...)
	time.Sleep(2 * time.Second)
	close(stopLoad)
	<-loadDone
	var back time.Duration
	eventually(t, 30*time.Second, "every agent back through the restarted front", func() (bool, string) {
		back = 0
		for _, id := range ids {
			var at time.Time
			for i := range nodes {
				if ts := lastLinked(nodes[i], id); ts.After(at) {
					at = ts
				}
			}
			if at.Before(restarted.Truncate(time.Millisecond)) {
				return false, id
			}
			back = max(back, at.Sub(restarted))
		}
		return true, ""
	})
	t.Logf("Caddy restart: every agent relinked within %s of starting the new caddy; %d commands created across the restart",
		back.Round(time.Millisecond), len(commands))
	for _, c := range commands {
		c.mustSucceedOnce(t, apiR, 60*time.Second)
	}
}

// createCountedNoFail is createCounted for a goroutine: an error instead
// of a test failure.
func createCountedNoFail(c *client, deviceID, dir, name string) (counted, error) {
	cc := counted{counter: filepath.Join(dir, name+".runs")}
	a := call(http.MethodPost, c.base+"/api/v1/devices/"+deviceID+"/commands", c.token, map[string]any{
		"action": "run_script", "timeoutSeconds": 120,
		"payload": map[string]any{"language": "sh", "body": `echo run >> "$COUNTER"; echo done-` + name,
			"env": map[string]string{"COUNTER": cc.counter}},
	})
	if a.status != http.StatusAccepted {
		return cc, fmt.Errorf("%v", a)
	}
	var v commandView
	if err := json.Unmarshal([]byte(a.body), &v); err != nil || v.ID == "" {
		return cc, fmt.Errorf("decode %q: %v", a.body, err)
	}
	cc.id = v.ID
	return cc, nil
}

// throughFront is how many agents enroll through the front: the per-address
// enrollment limit is 20 per 10 minutes, and through the front every
// enrollment here comes from 127.0.0.1.
const throughFront = 6

// pointAgentAt rewrites the agent config's server URL.
func pointAgentAt(t testing.TB, cfgPath, url string) {
	t.Helper()
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["serverUrl"] = url
	out, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// clusterAgents is how many real agents the failover test links: 6, or
// BREEZE_CLUSTER_AGENTS for a measurement (docs/operations.md).
func clusterAgents(t testing.TB) int {
	if v := os.Getenv("BREEZE_CLUSTER_AGENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			t.Fatalf("BREEZE_CLUSTER_AGENTS=%q: want a number >= 3", v)
		}
		return n
	}
	return 6
}

// checkFront checks what the front adds and hides: TLS from its CA,
// HSTS and the node's own security headers (its CSP kept), /metrics 404
// at the front (200 on the node), compressed API answers, and a client's
// forged X-Forwarded-For replaced by its real address.
func checkFront(t *testing.T, f *front, node *server, token string) {
	t.Helper()
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := f.client.Do(req)
		if err != nil {
			t.Fatalf("GET %s through the front: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	res := get("/readyz", nil)
	for k, want := range map[string]string{
		"Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'self'",
	} {
		if got := res.Header.Get(k); !strings.Contains(got, want) {
			t.Errorf("%s through the front: %q, want %q", k, got, want)
		}
	}
	if got := get("/metrics", nil).StatusCode; got != http.StatusNotFound {
		t.Errorf("/metrics through the front: %d, want 404", got)
	}
	if got := status(node.url + "/metrics"); got != http.StatusOK {
		t.Errorf("/metrics on the node itself: %d, want 200", got)
	}
	res = get("/api/v1/devices?limit=200", map[string]string{"Authorization": "Bearer " + token, "Accept-Encoding": "gzip"})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("device list through the front: %d Content-Encoding %q, want 200 gzip", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	get("/api/v1/devices?limit=1&xff-probe=1", map[string]string{"Authorization": "Bearer " + token, "X-Forwarded-For": "203.0.113.9"})
	time.Sleep(200 * time.Millisecond)
	for _, line := range strings.Split(node.log.String(), "\n") {
		if strings.Contains(line, "203.0.113.9") {
			t.Errorf("a client's forged X-Forwarded-For reached a node as its address: %s", line)
		}
	}
}

// relink is when a set of agents were linked again, from the event.
type relink struct{ first, last, spread time.Duration }

// linkCounts snapshots how many links of each device the nodes among
// have logged, keyed by node index and device.
func linkCounts(nodes []*server, among []int, ids []string) map[string]int {
	base := map[string]int{}
	for _, id := range ids {
		for _, i := range among {
			base[fmt.Sprint(i, id)] = nodes[i].links(id)
		}
	}
	return base
}

// waitRelinkedSince waits until every device has a link on one of the
// nodes among beyond those counted in base, and measures when each
// appeared (polled every 25 ms) from since.
func waitRelinkedSince(t *testing.T, nodes []*server, among []int, ids []string, base map[string]int, since time.Time, within time.Duration) relink {
	t.Helper()
	at := map[string]time.Duration{}
	deadline := since.Add(within)
	for len(at) < len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d agents relinked within %s", len(at), len(ids), within)
		}
		for _, id := range ids {
			if _, ok := at[id]; ok {
				continue
			}
			for _, i := range among {
				if nodes[i].links(id) > base[fmt.Sprint(i, id)] {
					at[id] = time.Since(since)
				}
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	var ds []time.Duration
	for _, d := range at {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	if len(ds) == 0 {
		return relink{}
	}
	r := time.Millisecond
	return relink{first: ds[0].Round(r), last: ds[len(ds)-1].Round(r), spread: (ds[len(ds)-1] - ds[0]).Round(r)}
}

// lastLinked is when the node last logged a link of the device (hclog's
// timestamp, millisecond precision; zero: never).
func lastLinked(s *server, deviceID string) time.Time {
	var last time.Time
	for _, line := range strings.Split(s.log.String(), "\n") {
		if !strings.Contains(line, "agent linked") || !strings.Contains(line, deviceID) {
			continue
		}
		if ts, err := time.Parse("2006-01-02T15:04:05.000Z0700", strings.Fields(line)[0]); err == nil && ts.After(last) {
			last = ts
		}
	}
	return last
}

// openTerminalVia opens a browser-side terminal through the front.
func openTerminalVia(t testing.TB, f *front, c *client, deviceID string) *terminal {
	t.Helper()
	return openTerminalAt(t, "wss://localhost:"+f.port, f.url, f.wsDialer(), c, deviceID)
}

// openTerminalAt opens a browser-side terminal at base (wss://front or
// ws://node) as a page of origin would.
func openTerminalAt(t testing.TB, base, origin string, d *websocket.Dialer, c *client, deviceID string) *terminal {
	t.Helper()
	var tk struct {
		Ticket string `json:"ticket"`
	}
	c.must(http.MethodPost, "/api/v1/ws-tickets", map[string]any{"purpose": "terminal", "deviceId": deviceID}, http.StatusCreated, &tk)
	u := base + "/api/v1/terminal/" + deviceID + "?cols=80&rows=24&ticket=" + tk.Ticket
	conn, res, err := d.Dial(u, http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatalf("open terminal at %s: %v (%s)", base, err, statusOf(res))
	}
	t.Cleanup(func() { _ = conn.Close() })
	var ready map[string]any
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&ready); err != nil || ready["type"] != "ready" {
		t.Fatalf("terminal not ready: %v %v", ready, err)
	}
	return &terminal{conn: conn}
}

// endReason reads until the session ends and says why: the server's
// closed frame with its reason, or the WebSocket's close (the browser's
// own node died under it).
func (term *terminal) endReason(t testing.TB, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_ = term.conn.SetReadDeadline(deadline)
		var f struct {
			Type, Data, Reason, Code, Message string
		}
		if err := term.conn.ReadJSON(&f); err != nil {
			if time.Now().After(deadline) {
				t.Fatalf("the terminal through the dead node stayed open %s", within)
			}
			return "socket closed: " + err.Error()
		}
		switch f.Type {
		case "closed":
			if f.Reason == "" {
				t.Fatal("the terminal closed without a reason")
			}
			return "closed frame, reason " + f.Reason
		case "error":
			return "error frame " + f.Code + ": " + f.Message
		case "output":
			raw, _ := base64.StdEncoding.DecodeString(f.Data)
			term.out.Write(raw)
		}
	}
}
