package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

func TestSummarize(t *testing.T) {
	var ns []int64
	for i := 100; i >= 1; i-- { // 1..100 ms, reversed: summarize sorts
		ns = append(ns, int64(i)*1e6)
	}
	l := summarize(ns)
	if l.N != 100 || l.P50Ms != 50 || l.P90Ms != 90 || l.P99Ms != 99 || l.MaxMs != 100 || l.MeanMs != 50.5 {
		t.Fatalf("%+v", l)
	}
	if ns[0] != 100e6 {
		t.Fatal("summarize sorted its input in place")
	}
	if one := summarize([]int64{3e6}); one.P50Ms != 3 || one.P99Ms != 3 || one.MaxMs != 3 {
		t.Fatalf("one sample: %+v", one)
	}
	// Nearest rank: the p99 of two samples is the larger one.
	if two := summarize([]int64{2e6, 1e6}); two.P50Ms != 1 || two.P99Ms != 2 {
		t.Fatalf("two samples: %+v", two)
	}
	if (summarize(nil) != latency{}) || summarize(nil).String() != "no samples" {
		t.Fatal("no samples")
	}
}

func commandFrame(t *testing.T, id string, t0 int64) []byte {
	t.Helper()
	p := protocol.RunScriptPayload{Language: "sh", Body: "true"}
	if t0 != 0 {
		p.Env = map[string]string{simT0Env: strconv.FormatInt(t0, 10)}
	}
	raw, _ := json.Marshal(p)
	return marshal(protocol.Command{Header: protocol.Header{Type: protocol.TypeCommand, ID: id},
		Action: protocol.ActionRunScript, Payload: raw, TimeoutSeconds: 60})
}

// decode checks a frame's type and id and decodes it into v.
func decode(t *testing.T, frame []byte, typ, id string, v any) {
	t.Helper()
	var h protocol.Header
	if err := json.Unmarshal(frame, &h); err != nil || h.Type != typ || h.ID != id {
		t.Fatalf("frame %s, want type %s id %s", frame, typ, id)
	}
	if v != nil {
		if err := json.Unmarshal(frame, v); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAnswerRemoteCommandOnceThenFromMemory(t *testing.T) {
	var mem *remoteMem
	now := time.Now()
	t0 := now.Add(-3 * time.Millisecond).UnixNano()
	out, lat, kind := answerRemote(&mem, protocol.TypeCommand, commandFrame(t, "c1", t0), now)
	if kind != answerCommand || lat != 3*time.Millisecond || len(out) != 2 {
		t.Fatalf("first delivery: kind %d latency %s, %d frames", kind, lat, len(out))
	}
	var ack protocol.CommandAck
	decode(t, out[0], protocol.TypeCommandAck, "c1", &ack)
	var res protocol.CommandResult
	decode(t, out[1], protocol.TypeCommandResult, "c1", &res)
	if ack.State != "running" || res.Status != protocol.ResultSucceeded || res.ExitCode == nil || *res.ExitCode != 0 ||
		res.Stdout != "ok\n" || res.StartedAt.IsZero() || res.FinishedAt.IsZero() {
		t.Fatalf("ack %+v result %+v", ack, res)
	}

	// A redelivery is answered from memory: done plus the result, no sample.
	out, lat, kind = answerRemote(&mem, protocol.TypeCommand, commandFrame(t, "c1", t0), now)
	if kind != answerRepeat || lat != 0 || len(out) != 2 {
		t.Fatalf("repeat: kind %d latency %s, %d frames", kind, lat, len(out))
	}
	decode(t, out[0], protocol.TypeCommandAck, "c1", &ack)
	decode(t, out[1], protocol.TypeCommandResult, "c1", &res)
	if ack.State != "done" || res.Status != protocol.ResultSucceeded {
		t.Fatalf("repeat ack %+v result %+v", ack, res)
	}

	// Without SIM_T0 (a script run) there is no sample; memory is bounded.
	for i := range recentCommands {
		if _, lat, kind := answerRemote(&mem, protocol.TypeCommand, commandFrame(t, "n"+strconv.Itoa(i), 0), now); kind != answerCommand || lat != 0 {
			t.Fatalf("command n%d: kind %d latency %s", i, kind, lat)
		}
	}
	if _, _, kind := answerRemote(&mem, protocol.TypeCommand, commandFrame(t, "c1", t0), now); kind != answerCommand {
		t.Fatal("c1 is still remembered after recentCommands newer ones")
	}

	// Malformed or id-less commands get no answer.
	for _, f := range []string{`{"type":"command"}`, `{"type":"command","id":`} {
		if out, _, kind := answerRemote(&mem, protocol.TypeCommand, []byte(f), now); out != nil || kind != answerNone {
			t.Fatalf("%s answered", f)
		}
	}
}

func TestAnswerRemoteTerminal(t *testing.T) {
	var mem *remoteMem
	now := time.Now()
	open := marshal(protocol.TerminalOpen{Header: protocol.Header{Type: protocol.TypeTerminalOpen, ID: "s1"}, Cols: 80, Rows: 24})
	if out, _, kind := answerRemote(&mem, protocol.TypeTerminalOpen, open, now); kind != answerTerminalOpen || len(out) != 1 ||
		!strings.Contains(string(out[0]), `"type":"terminal_output"`) || !strings.Contains(string(out[0]), `"id":"s1"`) {
		t.Fatalf("open answered %q, want one empty terminal_output (the PTY runs)", out)
	}
	in := marshal(protocol.TerminalInput{Header: protocol.Header{Type: protocol.TypeTerminalInput, ID: "s1"}, Data: []byte{'x', 0xe2, 0x82}})
	out, _, kind := answerRemote(&mem, protocol.TypeTerminalInput, in, now)
	if kind != answerEcho || len(out) != 1 {
		t.Fatalf("input: kind %d, %d frames", kind, len(out))
	}
	var o protocol.TerminalOutput
	decode(t, out[0], protocol.TypeTerminalOutput, "s1", &o)
	if string(o.Data) != "x\xe2\x82" {
		t.Fatalf("echo %q", o.Data)
	}
	resize := marshal(protocol.TerminalResize{Header: protocol.Header{Type: protocol.TypeTerminalResize, ID: "s1"}, Cols: 1, Rows: 1})
	if out, _, _ := answerRemote(&mem, protocol.TypeTerminalResize, resize, now); out != nil {
		t.Fatal("resize answered")
	}
	cl := marshal(protocol.TerminalClose{Header: protocol.Header{Type: protocol.TypeTerminalClose, ID: "s1"}})
	out, _, kind = answerRemote(&mem, protocol.TypeTerminalClose, cl, now)
	if kind != answerTerminalClose || len(out) != 1 {
		t.Fatalf("close: kind %d, %d frames", kind, len(out))
	}
	var c protocol.TerminalClosed
	decode(t, out[0], protocol.TypeTerminalClosed, "s1", &c)
	if c.Reason == "" {
		t.Fatal("closed without a reason")
	}
	if mem != nil {
		t.Fatal("terminal frames allocated command memory")
	}
}

// TestAgentAnswersOverItsLink runs a simulated agent's serve loop against
// a WebSocket server playing the Breeze server: command, its redelivery,
// terminal frames; the agent's answers come back in order and the shard
// holds one dispatch sample.
func TestAgentAnswersOverItsLink(t *testing.T) {
	type step struct {
		send  []byte
		wants []string // "type/id" of the answers, in order
	}
	t0 := time.Now().UnixNano()
	steps := []step{
		{commandFrame(t, "c1", t0), []string{"command_ack/c1", "command_result/c1"}},
		{commandFrame(t, "c1", t0), []string{"command_ack/c1", "command_result/c1"}},
		{marshal(protocol.TerminalOpen{Header: protocol.Header{Type: protocol.TypeTerminalOpen, ID: "s1"}}), []string{"terminal_output/s1"}}, // empty: the PTY runs
		{marshal(protocol.TerminalInput{Header: protocol.Header{Type: protocol.TypeTerminalInput, ID: "s1"}, Data: []byte("q")}), []string{"terminal_output/s1"}},
		{marshal(protocol.TerminalClose{Header: protocol.Header{Type: protocol.TypeTerminalClose, ID: "s1"}}), []string{"terminal_closed/s1"}},
	}
	errs := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			errs <- err.Error()
			return
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for _, s := range steps {
			if err := conn.WriteMessage(websocket.TextMessage, s.send); err != nil {
				errs <- err.Error()
				return
			}
			for _, want := range s.wants {
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						errs <- "read: " + err.Error()
						return
					}
					var h protocol.Header
					_ = json.Unmarshal(data, &h)
					if h.Type == protocol.TypeHeartbeat || h.Type == protocol.TypeInventory {
						continue
					}
					if got := h.Type + "/" + h.ID; got != want {
						errs <- "got " + got + ", want " + want
						return
					}
					started := strings.Contains(string(data), `"data":null`)
					if h.Type == protocol.TypeTerminalOutput && !started && !strings.Contains(string(data), `"data":"cQ=="`) {
						errs <- "echo " + string(data)
					}
					break
				}
			}
		}
		errs <- "" // done: closing the link ends the agent's serve loop
	}))
	defer srv.Close()

	s := &shard{cfg: &config{jitter: 0.1}, out: json.NewEncoder(io.Discard), errors: map[string]int{}}
	a := &agent{s: s}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(srv.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.serve(context.Background(), conn, &protocol.Welcome{HeartbeatInterval: 60})
	}()
	if msg := <-errs; msg != "" {
		t.Fatal(msg)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not end when the link closed")
	}
	samples := s.takeSamples()
	if len(samples) != 1 || samples[0] <= 0 || samples[0] > int64(10*time.Second) {
		t.Fatalf("samples %v, want one positive", samples)
	}
	if s.st.commands.Load() != 1 || s.st.commandRepeats.Load() != 1 || s.st.echoes.Load() != 1 ||
		s.st.terminalsOpened.Load() != 1 || s.st.terminalsClosed.Load() != 1 || s.st.remoteWriteErrors.Load() != 0 {
		t.Fatalf("counters %+v", &s.st)
	}
	if s.takeSamples() != nil {
		t.Fatal("samples were not taken")
	}
}
