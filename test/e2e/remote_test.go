package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
)

// A shell-hostile parameter value: it must reach the script as data.
const hostileValue = `; touch /tmp/breeze-pwned $(reboot) ` + "`id`" + ` | && '"`

// TestRemoteWorkAcrossNodes runs the technician's day against real
// processes: a real agent linked to node A, and the API, the terminal and
// the script library used through node B, both nodes sharing PostgreSQL
// and Redis. A command crosses the bus to the node holding the link; the
// terminal's keystrokes and output cross it both ways; a command in flight
// when node A is killed is redelivered after the agent relinks and runs
// once. On SQLite the same flow runs on one node.
func TestRemoteWorkAcrossNodes(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			var a, other *server
			if b.name == "postgres" {
				a, other = startCluster(t)
			} else {
				a = startServer(t, b)
				other = a
			}
			testRemoteWork(t, a, other)
		})
	}
}

// startCluster starts two nodes on one fresh PostgreSQL database and one
// Redis namespace, sharing the token signing secret (as a real cluster
// does: any node accepts any node's tokens).
func startCluster(t testing.TB, extraEnv ...string) (*server, *server) {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey)
	env := append([]string{"BREEZE_JWT_SECRET=" + hex.EncodeToString(secret), "BREEZE_REDIS_PREFIX=" + redisPrefix(t.TempDir()),
		"BREEZE_PLUGIN_SECRET_KEY=" + base64.StdEncoding.EncodeToString(sealKey)}, extraEnv...)
	nodes := make([]*server, 2)
	for i := range nodes {
		s := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), dbURL: dbURL, env: env, log: &syncBuffer{}}
		s.url = "http://" + s.addr
		name := fmt.Sprintf("node %c", 'A'+i)
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("%s log:\n%s", name, s.log.tail(60))
			}
		})
		s.start()
		nodes[i] = s
	}
	return nodes[0], nodes[1]
}

func testRemoteWork(t *testing.T, nodeA, nodeB *server) {
	apiA := login(t, nodeA)
	_, cfg := runAgentOnline(t, apiA, enrollAgent(t, nodeA, apiA, apiA.site("Remote "+t.Name())))
	dir := t.TempDir()
	apiB := login(t, nodeB)

	// A command through node B, with a hostile parameter in the
	// environment and as an argument.
	cmd := runCommand(t, apiB, cfg.DeviceID, map[string]any{
		"action": "run_script",
		"payload": map[string]any{"language": "sh", "body": `echo $((6*7)); printf '%s|%s\n' "$BREEZE_PARAM_X" "$1"`,
			"env": map[string]string{"BREEZE_PARAM_X": hostileValue}, "args": []string{hostileValue}},
	})
	if cmd.Stdout != "42\n"+hostileValue+"|"+hostileValue+"\n" || cmd.ExitCode == nil || *cmd.ExitCode != 0 {
		t.Fatalf("script through node B: %+v", cmd)
	}
	if _, err := os.Stat("/tmp/breeze-pwned"); err == nil {
		t.Fatal("a parameter value was executed")
	}
	// uptime, an action added through one file per side, from the real agent.
	if up := runCommand(t, apiB, cfg.DeviceID, map[string]any{"action": "uptime"}); up.Status != "succeeded" || up.uptimeSeconds(t) == 0 {
		t.Fatalf("uptime through node B: %+v", up)
	}
	// A cancel reaches the real agent, which kills the script.
	pidFile := filepath.Join(dir, "long.pid")
	code, body := apiB.do(http.MethodPost, "/api/v1/devices/"+cfg.DeviceID+"/commands", map[string]any{
		"action": "run_script", "payload": map[string]any{"language": "sh", "body": `echo $$ > "$P"; sleep 30`, "env": map[string]string{"P": pidFile}},
	})
	var long commandView
	if err := json.Unmarshal(body, &long); code != http.StatusAccepted || err != nil {
		t.Fatalf("create: %d %s", code, body)
	}
	pid := 0
	eventually(t, 10*time.Second, "script running", func() (bool, string) {
		raw, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
		return pid > 0, string(raw)
	})
	apiB.must(http.MethodPost, "/api/v1/commands/"+long.ID+"/cancel", nil, http.StatusOK, nil)
	eventually(t, 10*time.Second, "the agent killed the cancelled script", func() (bool, string) {
		err := syscall.Kill(pid, 0)
		return errors.Is(err, syscall.ESRCH), fmt.Sprint(err)
	})

	// The terminal through node B.
	term := openTerminal(t, nodeB, apiB, cfg.DeviceID)
	term.send(t, map[string]any{"type": "input", "data": "echo $((6*7))\n"})
	term.waitOutput(t, "42\r\n")
	term.send(t, map[string]any{"type": "resize", "cols": 100, "rows": 30})
	term.send(t, map[string]any{"type": "input", "data": "stty size\n"})
	term.waitOutput(t, "30 100")
	// Signing out of node B ends the session at once.
	apiB.must(http.MethodPost, "/api/v1/auth/logout", nil, http.StatusNoContent, nil)
	term.waitClosed(t)
	apiB = login(t, nodeB)

	// A command in flight when the node holding the link dies: the agent
	// keeps running it, relinks, is sent it again and answers from memory.
	counter := filepath.Join(dir, "runs.txt")
	code, body = apiB.do(http.MethodPost, "/api/v1/devices/"+cfg.DeviceID+"/commands", map[string]any{
		"action": "run_script", "timeoutSeconds": 60,
		"payload": map[string]any{"language": "sh", "body": `echo run >> "$COUNTER"; sleep 3; echo finished`,
			"env": map[string]string{"COUNTER": counter}},
	})
	if code != http.StatusAccepted {
		t.Fatalf("create: %d %s", code, body)
	}
	var created commandView
	_ = json.Unmarshal(body, &created)
	eventually(t, 10*time.Second, "command running", func() (bool, string) {
		c := getCommand(t, apiB, created.ID)
		return c.Status == "running", c.Status
	})
	nodeA.kill()
	nodeA.start()
	done := waitCommand(t, apiB, created.ID, 60*time.Second)
	if done.Status != "succeeded" || !strings.Contains(done.Stdout, "finished") {
		t.Fatalf("redelivered command: %+v", done)
	}
	runs, _ := os.ReadFile(counter)
	if n := strings.Count(string(runs), "run"); n != 1 {
		t.Fatalf("the command ran %d times, want once", n)
	}
}

type commandView struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Stdout    string          `json:"stdout"`
	Stderr    string          `json:"stderr"`
	ExitCode  *int            `json:"exitCode"`
	Error     string          `json:"error"`
	Truncated bool            `json:"truncated"`
	Attempts  int             `json:"attempts"`
	Data      json.RawMessage `json:"data"` // the action's own answer
}

// uptimeSeconds decodes uptime's answer.
func (v commandView) uptimeSeconds(t testing.TB) uint64 {
	t.Helper()
	var d struct {
		Seconds uint64 `json:"seconds"`
	}
	if err := json.Unmarshal(v.Data, &d); err != nil {
		t.Fatalf("uptime data %s: %v", v.Data, err)
	}
	return d.Seconds
}

func getCommand(t testing.TB, c *client, id string) commandView {
	t.Helper()
	var v commandView
	c.must(http.MethodGet, "/api/v1/commands/"+id, nil, http.StatusOK, &v)
	return v
}

// waitCommand polls a command until it is final.
func waitCommand(t testing.TB, c *client, id string, timeout time.Duration) commandView {
	t.Helper()
	var v commandView
	eventually(t, timeout, "command "+id+" final", func() (bool, string) {
		v = getCommand(t, c, id)
		switch v.Status {
		case "queued", "sent", "running":
			return false, v.Status
		}
		return true, v.Status
	})
	return v
}

func runCommand(t testing.TB, c *client, deviceID string, req map[string]any) commandView {
	t.Helper()
	code, body := c.do(http.MethodPost, "/api/v1/devices/"+deviceID+"/commands", req)
	if code != http.StatusAccepted {
		t.Fatalf("create command: %d %s", code, body)
	}
	var v commandView
	_ = json.Unmarshal(body, &v)
	return waitCommand(t, c, v.ID, 30*time.Second)
}

// terminal is a browser-side terminal WebSocket.
type terminal struct {
	conn *websocket.Conn
	out  strings.Builder
}

func openTerminal(t testing.TB, s *server, c *client, deviceID string) *terminal {
	t.Helper()
	var tk struct {
		Ticket string `json:"ticket"`
	}
	c.must(http.MethodPost, "/api/v1/ws-tickets", map[string]any{"purpose": "terminal", "deviceId": deviceID}, http.StatusCreated, &tk)
	u := "ws://" + s.addr + "/api/v1/terminal/" + deviceID + "?cols=80&rows=24&ticket=" + tk.Ticket
	conn, res, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {s.url}})
	if err != nil {
		t.Fatalf("open terminal: %v (%s)", err, statusOf(res))
	}
	t.Cleanup(func() { _ = conn.Close() })
	term := &terminal{conn: conn}
	var ready map[string]any
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&ready); err != nil || ready["type"] != "ready" {
		t.Fatalf("terminal not ready: %v %v", ready, err)
	}
	return term
}

func (term *terminal) send(t testing.TB, v any) {
	t.Helper()
	if err := term.conn.WriteJSON(v); err != nil {
		t.Fatalf("terminal send: %v", err)
	}
}

// waitOutput reads output frames until the collected output holds want.
func (term *terminal) waitOutput(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(term.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal output never showed %q:\n%s", want, term.out.String())
		}
		_ = term.conn.SetReadDeadline(deadline)
		var f struct {
			Type, Data, Reason string
		}
		if err := term.conn.ReadJSON(&f); err != nil {
			t.Fatalf("terminal read: %v (output so far %q)", err, term.out.String())
		}
		if f.Type == "output" {
			raw, err := base64.StdEncoding.DecodeString(f.Data)
			if err != nil {
				t.Fatalf("output not base64: %v", err)
			}
			term.out.Write(raw)
		}
	}
}

// waitClosed reads until the server ends the session.
func (term *terminal) waitClosed(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = term.conn.SetReadDeadline(deadline)
		var f map[string]any
		if err := term.conn.ReadJSON(&f); err != nil {
			return // the socket closed
		}
		if f["type"] == "closed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminal stayed open after sign-out")
		}
	}
}
