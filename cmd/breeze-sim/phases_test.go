package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestSamplesAndDevicesReachTheCoordinator(t *testing.T) {
	var buf bytes.Buffer
	s := &shard{cfg: &config{shard: 1}, out: json.NewEncoder(&buf)}
	s.noteRemote(answerCommand, 2*time.Millisecond)
	s.noteRemote(answerRepeat, 0)
	s.noteRemote(answerCommand, 3*time.Millisecond)
	s.emit(event{Ev: evSamples, DispatchNs: s.takeSamples()})
	s.emit(event{Ev: evDevices, DeviceIDs: []string{"d1", "d2"}})

	c := &coord{devices: make([][]string, 2), exited: make([]bool, 2), reports: make([]*shardReport, 2)}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		c.apply(e)
	}
	if len(c.samples) != 2 || c.samples[0] != int64(2*time.Millisecond) || c.samples[1] != int64(3*time.Millisecond) {
		t.Fatalf("samples %v", c.samples)
	}
	if len(c.devices[1]) != 2 || c.devices[0] != nil {
		t.Fatalf("devices %v", c.devices)
	}
}

func TestRemoteFlags(t *testing.T) {
	t.Setenv("BREEZE_SIM_PASSWORD", "")
	for _, args := range [][]string{
		{"--key-file", "k", "--dispatch", "10"}, // phases sign in: no email
		{"--key-file", "k", "--script-run"},
		{"--email", "a@b.c", "--password", "p", "--dispatch", "-1"},
		{"--email", "a@b.c", "--password", "p", "--dispatch", "5", "--dispatch-concurrency", "0"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("%v accepted", args)
		}
	}
	c, err := parseFlags([]string{"--email", "a@b.c", "--password", "p", "--dispatch", "2000", "--echo", "1000", "--script-run"}, io.Discard)
	if err != nil || c.dispatch != 2000 || c.echo != 1000 || !c.scriptRun || c.dispatchConc != 8 || !c.remotePhases() {
		t.Fatalf("%+v %v", c, err)
	}
	// A child never signs in.
	if _, err := parseFlags([]string{"--child", "--key-file", "k", "--dispatch", "5"}, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// fakeTerminalServer answers ws-tickets and echoes terminal input the way
// notes/api.md says the server does; it refuses a foreign Origin.
func fakeTerminalServer(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/ws-tickets", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body["purpose"] != "terminal" || body["deviceId"] != "dev1" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "bad ticket request", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"ticket":"T1","expiresAt":"2030-01-01T00:00:00Z"}`))
	})
	mux.HandleFunc("GET /api/v1/terminal/{dev}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != srv.URL || r.URL.Query().Get("ticket") != "T1" || r.PathValue("dev") != "dev1" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		conn, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ready","sessionId":"s1"}`))
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var in termInput
			if json.Unmarshal(data, &in) != nil || in.Type != "input" {
				_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"error","code":"invalid","message":"bad frame"}`))
				continue
			}
			out, _ := json.Marshal(termFrame{Type: "output", Data: []byte(in.Data)}) // base64
			_ = conn.WriteMessage(websocket.TextMessage, out)
		}
	})
	srv = httptest.NewServer(mux)
	return srv
}

func TestEchoPhaseAgainstAFakeServer(t *testing.T) {
	srv := fakeTerminalServer(t)
	defer srv.Close()
	api := newPhaseClient(srv.URL)
	api.token = "tok"
	cfg := &config{server: srv.URL, remoteTimeout: 10 * time.Second}
	r := &echoReport{Device: "dev1", Keystrokes: 60}
	if err := echoPhase(context.Background(), cfg, api, r); err != nil {
		t.Fatal(err)
	}
	if r.Echoed != 60 || r.Mismatched != 0 || r.Latency.N != 60 || r.Latency.P99Ms <= 0 || r.OpenMs <= 0 {
		t.Fatalf("%+v", r)
	}
	// Another device: the fake refuses its ticket, and the phase says so.
	r = &echoReport{Device: "dev2", Keystrokes: 1}
	if err := echoPhase(context.Background(), cfg, api, r); err == nil {
		t.Fatal("a refused ticket request passed")
	}
}

func TestScriptPhaseAgainstAFakeServer(t *testing.T) {
	var polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/devices/dev1", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"dev1","orgId":"org1"}`))
	})
	mux.HandleFunc("POST /api/v1/scripts", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body["orgId"] != "org1" || body["language"] != "sh" || body["body"] != "echo hi" {
			http.Error(w, "bad script", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"scr1"}`))
	})
	mux.HandleFunc("POST /api/v1/scripts/scr1/runs", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body["orgId"] != "org1" {
			http.Error(w, "bad target", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"run1","total":3,"counts":{"queued":3}}`))
	})
	mux.HandleFunc("GET /api/v1/script-runs/run1", func(w http.ResponseWriter, r *http.Request) {
		switch polls.Add(1) {
		case 1:
			_, _ = w.Write([]byte(`{"id":"run1","total":3,"counts":{"running":2,"succeeded":1}}`))
		default:
			_, _ = w.Write([]byte(`{"id":"run1","total":3,"counts":{"succeeded":3}}`))
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	api := newPhaseClient(srv.URL)
	cfg := &config{server: srv.URL, remoteTimeout: 10 * time.Second}
	r := &scriptRunReport{}
	if err := scriptPhase(context.Background(), cfg, api, "dev1", r); err != nil {
		t.Fatal(err)
	}
	if !r.Complete || r.Total != 3 || r.Succeeded != 3 || r.Final != 3 || r.RunID != "run1" || r.Counts["running"] != 0 ||
		polls.Load() != 2 || r.Seconds <= 0 || r.DevicesPerSecond <= 0 {
		t.Fatalf("%+v after %d polls", r, polls.Load())
	}
}

func TestReportCarriesThePhases(t *testing.T) {
	r := &report{Remote: &remoteReport{Linked: 2,
		Dispatch:  &dispatchReport{Requested: 4, Accepted: 4, Received: 4, APIToAgent: summarize([]int64{1e6, 2e6})},
		Echo:      &echoReport{Device: "d", Keystrokes: 1, Echoed: 1, Latency: summarize([]int64{5e5})},
		ScriptRun: &scriptRunReport{Total: 2, Succeeded: 2, Complete: true, Counts: map[string]int{"succeeded": 2}}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Remote struct {
			Dispatch struct {
				APIToAgent latency `json:"apiToAgent"`
			} `json:"dispatch"`
			Echo      echoReport      `json:"echo"`
			ScriptRun scriptRunReport `json:"scriptRun"`
		} `json:"remote"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Remote.Dispatch.APIToAgent.P99Ms != 2 || back.Remote.Echo.Latency.P50Ms != 0.5 || !back.Remote.ScriptRun.Complete {
		t.Fatalf("%s", b)
	}
	var text bytes.Buffer
	r.print(&text)
	for _, want := range []string{"API call → agent  p50 1.00 ms", "keystroke → echo  p50 0.50 ms", "2 of 2 devices succeeded"} {
		if !bytes.Contains(text.Bytes(), []byte(want)) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}
