package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/plugins/pluginstest"
	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// linkServer is a fake server's link side: it welcomes with offers, keeps
// every frame, and lets the test send frames and drop the connection.
type linkServer struct {
	mu     sync.Mutex
	conn   *websocket.Conn
	offers []protocol.PluginOffer
	frames [][]byte // every frame received, in order
}

func (s *linkServer) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.frames = append(s.frames, data)
		s.mu.Unlock()
		if typ, _ := protocol.PeekType(data); typ == protocol.TypeHello {
			s.mu.Lock()
			s.conn = conn
			_ = conn.WriteJSON(protocol.Welcome{Header: protocol.Header{Type: protocol.TypeWelcome}, DeviceID: device,
				HeartbeatInterval: 1, HeartbeatIntervalMs: 100, InventoryWanted: true, ServerTime: time.Now(), Plugins: s.offers})
			s.mu.Unlock()
		}
	}
}

// send writes v on the current link; right after a drop the agent's new
// link may not be the current one yet, so a write on the closed one is
// tried again on the next for a few seconds.
func (s *linkServer) send(t *testing.T, v any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		err := s.conn.WriteJSON(v)
		s.mu.Unlock()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *linkServer) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.conn.NetConn().Close()
}

// mark is where the frames received so far end.
func (s *linkServer) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frames)
}

// await returns the first frame of typ from index from on that ok accepts.
func await[T any](t *testing.T, s *linkServer, from int, typ string, within time.Duration, ok func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(within)
	for i := from; ; {
		s.mu.Lock()
		frames := s.frames[:len(s.frames):len(s.frames)]
		s.mu.Unlock()
		for ; i < len(frames); i++ {
			if got, _ := protocol.PeekType(frames[i]); got != typ {
				continue
			}
			var v T
			if err := json.Unmarshal(frames[i], &v); err != nil {
				t.Fatalf("decode %s: %v", frames[i], err)
			}
			if ok(v) {
				return v
			}
		}
		if time.Now().After(deadline) {
			var zero T
			t.Fatalf("no matching %s within %v", typ, within)
			return zero
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func always[T any](T) bool { return true }

// pluginPIDs lists processes running an executable under dir (Linux).
func pluginPIDs(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && strings.HasPrefix(exe, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The whole agent against a fake server offering the first-party agent
// plugins, signed with a key the config trusts: collectors feed heartbeats
// and inventory, Lua runs through run_script, tcpscan serves discover,
// hello reports states and languages, a withdrawn offer stops its process.
func TestAgentRunsOfferedPlugins(t *testing.T) {
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := pack.EncodePublicKey(pub)

	// failedunits sees two failed units whatever this machine runs.
	fake := t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, "systemctl"), []byte("#!/bin/sh\necho '[{\"unit\":\"a.service\"},{\"unit\":\"b.service\"}]'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fake+":"+os.Getenv("PATH"))

	ls := &linkServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+fmt.Sprintf(protocol.LinkPath, device), ls.handle)
	srv := pluginstest.NewServer(t, device, token, mux)
	for _, name := range []string{"failedunits", "luarun", "tcpscan"} {
		ls.offers = append(ls.offers, srv.Offer(pluginstest.Pack(t, name, priv), nil))
	}

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.json")
	state := filepath.Join(dir, "state")
	if err := config.Save(cfgPath, config.Config{ServerURL: srv.URL, DeviceID: device, AgentToken: config.Secret(token),
		StateDir: state, PluginTrustedKeys: []string{string(pubPEM)}}); err != nil {
		t.Fatal(err)
	}
	firstJitter = -1
	defer func() { firstJitter = 0 }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, out, errs := runCmdCtx(ctx, "run", "--config", cfgPath, "--log-level", "warn")
		if code != 0 {
			t.Errorf("run: %d\n%s\n%s", code, out, errs)
		}
		done <- code
	}()
	defer func() {
		cancel()
		<-done
		if pids := pluginPIDs(state); len(pids) > 0 {
			t.Errorf("plugin processes left after the agent stopped: %v", pids)
		}
	}()

	await(t, ls, 0, protocol.TypeHello, 10*time.Second, always[protocol.Hello])
	hb := await(t, ls, 0, protocol.TypeHeartbeat, 30*time.Second, func(h protocol.Heartbeat) bool { return len(h.PluginMetrics) > 0 })
	if m := hb.PluginMetrics[0]; m.Plugin != "breeze.failedunits" || m.Name != "systemd.failed_units" || m.Value != 2 {
		t.Fatalf("plugin metrics = %+v", hb.PluginMetrics)
	}
	inv := await(t, ls, 0, protocol.TypeInventory, 10*time.Second, func(i protocol.Inventory) bool { return len(i.Facts) > 0 })
	if !slices.Contains(inv.Facts, protocol.PluginFact{Plugin: "breeze.failedunits", Key: "systemd.failed_count", Value: "2"}) {
		t.Fatalf("facts = %+v", inv.Facts)
	}
	waitFor(t, "three plugin processes", func() bool { return len(pluginPIDs(state)) == 3 })

	command := func(id, action string, payload any) protocol.CommandResult {
		t.Helper()
		raw, _ := json.Marshal(payload)
		from := ls.mark()
		ls.send(t, protocol.Command{Header: protocol.Header{Type: protocol.TypeCommand, ID: id}, Action: action, Payload: raw, TimeoutSeconds: 30})
		return await(t, ls, from, protocol.TypeCommandResult, 30*time.Second, func(r protocol.CommandResult) bool { return r.ID == id })
	}
	r := command("lua-1", protocol.ActionRunScript, protocol.RunScriptPayload{Language: "lua", Body: `print("sum " .. (tonumber(arg[1]) + 2))`, Args: []string{"40"}})
	if r.Status != protocol.ResultSucceeded || r.Stdout != "sum 42\n" {
		t.Fatalf("lua: %+v", r)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	r = command("scan-1", protocol.ActionDiscover, protocol.DiscoverPayload{Plugin: "breeze.tcpscan", Targets: []string{"127.0.0.1"}, Ports: []int{port}})
	var assets []struct {
		IP        string `json:"ip"`
		OpenPorts []int  `json:"openPorts"`
	}
	if err := json.Unmarshal(r.Data, &assets); err != nil || r.Status != protocol.ResultSucceeded || len(assets) != 1 || !slices.Contains(assets[0].OpenPorts, port) {
		t.Fatalf("discover: %+v %v", r, err)
	}
	r = command("scan-2", protocol.ActionDiscover, protocol.DiscoverPayload{Plugin: "breeze.luarun", Targets: []string{"127.0.0.1"}})
	if r.Status != protocol.ResultFailed || !strings.Contains(r.Error, "not a running scanner") {
		t.Fatalf("discover with a runtime: %+v", r)
	}

	// The next hello reports the states and the new language.
	from := ls.mark()
	ls.drop()
	h := await(t, ls, from, protocol.TypeHello, 10*time.Second, always[protocol.Hello])
	if len(h.Plugins) != 3 || !slices.Contains(h.Capabilities, "scripts:lua") {
		t.Fatalf("hello after plugins: %+v", h)
	}
	for _, st := range h.Plugins {
		if st.State != "running" {
			t.Fatalf("state %+v", st)
		}
	}

	// Withdraw luarun and tcpscan: their processes end.
	ls.mu.Lock()
	ls.offers = ls.offers[:1]
	ls.mu.Unlock()
	ls.send(t, protocol.Plugins{Header: protocol.Header{Type: protocol.TypePlugins}, Plugins: ls.offers})
	waitFor(t, "withdrawn plugins to stop", func() bool { return len(pluginPIDs(state)) == 1 })
	from = ls.mark()
	ls.drop()
	h = await(t, ls, from, protocol.TypeHello, 10*time.Second, always[protocol.Hello])
	if len(h.Plugins) != 1 || h.Plugins[0].ID != "breeze.failedunits" || slices.Contains(h.Capabilities, "scripts:lua") {
		t.Fatalf("hello after withdrawal: %+v", h)
	}

	// Withdraw the collector too: the server hears of the change during the
	// link (plugin_states) and gets a full inventory without its facts.
	from = ls.mark()
	ls.mu.Lock()
	ls.offers = nil
	ls.mu.Unlock()
	ls.send(t, protocol.Plugins{Header: protocol.Header{Type: protocol.TypePlugins}, Plugins: []protocol.PluginOffer{}})
	states := await(t, ls, from, protocol.TypePluginStates, 10*time.Second, func(p protocol.PluginStates) bool { return len(p.Plugins) == 0 })
	if len(states.Plugins) != 0 {
		t.Fatalf("plugin states after withdrawing everything: %+v", states)
	}
	full := await(t, ls, from, protocol.TypeInventory, 10*time.Second, func(i protocol.Inventory) bool { return i.Full })
	if len(full.Facts) != 0 {
		t.Fatalf("the full inventory still carries the withdrawn collector's facts: %+v", full.Facts)
	}
}

func runCmdCtx(ctx context.Context, args ...string) (int, string, string) {
	var out, errb syncBuf
	code := runMain(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.WriteString(string(p))
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
