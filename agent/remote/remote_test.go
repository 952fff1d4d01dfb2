package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/agent/backoff"
	"github.com/breeze-rmm/breeze/agent/commands"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/files"
	"github.com/breeze-rmm/breeze/agent/link"
	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/agent/terminal"
	"github.com/breeze-rmm/breeze/protocol"
)

const device = "0190c0de-0000-7000-8000-00000000beef"

type got struct {
	conn int
	typ  string
	raw  []byte
}

// server is a minimal fake of the server's agent endpoint.
type server struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	conns  []*websocket.Conn
	wmu    sync.Mutex
	frames chan got
}

func newServer(t *testing.T) *server {
	s := &server{t: t, frames: make(chan got, 1000)}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		id := len(s.conns)
		s.mu.Unlock()
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			typ, _ := protocol.PeekType(data)
			if typ == protocol.TypeHello {
				s.send(id, protocol.Welcome{Header: protocol.Header{Type: protocol.TypeWelcome}, HeartbeatInterval: 3600})
			}
			s.frames <- got{id, typ, data}
		}
	}))
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.NetConn().Close()
		}
		s.mu.Unlock()
		s.srv.Close()
	})
	return s
}

func (s *server) send(id int, v any) {
	b, _ := json.Marshal(v)
	s.mu.Lock()
	c := s.conns[id-1]
	s.mu.Unlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = c.WriteMessage(websocket.TextMessage, b)
}

func (s *server) drop(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.conns[id-1].NetConn().Close()
}

func (s *server) next(typ string) got {
	s.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case g := <-s.frames:
			if g.typ == typ {
				return g
			}
		case <-deadline:
			s.t.Fatalf("no %s frame", typ)
			return got{}
		}
	}
}

type sampler struct{}

func (sampler) Sample(context.Context) protocol.Heartbeat { return protocol.Heartbeat{At: time.Now()} }

func startAgent(t *testing.T, s *server) *Dispatcher {
	t.Helper()
	dir := t.TempDir()
	d := &Dispatcher{}
	ex, err := commands.New(commands.Deps{StatePath: filepath.Join(dir, "commands.json"), Sender: d,
		Scripts: &scripts.Runner{Runtimes: scripts.NewRegistry(scripts.Builtin()...)}, Power: commands.NewDryRunPower("")})
	if err != nil {
		t.Fatal(err)
	}
	fm, _ := files.New(files.Deps{Sender: d})
	d.Commands, d.Files, d.Terminal = ex, fm, terminal.New(terminal.Deps{Sender: d})
	l, err := link.New(link.Options{ServerURL: s.srv.URL, DeviceID: device, Token: config.Secret("brz_test"),
		AgentVersion: "test", Sampler: sampler{}, Remote: d, FirstJitter: -1, DrainSpacing: -1,
		Backoff: backoff.Policy{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = l.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		d.Close()
	})
	return d
}

func command(id, body string) protocol.Command {
	p, _ := json.Marshal(protocol.RunScriptPayload{Language: "sh", Body: body})
	return protocol.Command{Header: protocol.Header{Type: protocol.TypeCommand, ID: id}, Action: protocol.ActionRunScript, Payload: p, TimeoutSeconds: 10}
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCommandsOverTheLink(t *testing.T) {
	s := newServer(t)
	startAgent(t, s)
	s.next(protocol.TypeHello)
	s.send(1, command("c1", "echo hi"))
	if a := decode[protocol.CommandAck](t, s.next(protocol.TypeCommandAck).raw); a.ID != "c1" || a.State != "running" {
		t.Fatalf("ack %+v", a)
	}
	if r := decode[protocol.CommandResult](t, s.next(protocol.TypeCommandResult).raw); r.Stdout != "hi\n" || r.Status != protocol.ResultSucceeded {
		t.Fatalf("result %+v", r)
	}
	s.send(1, command("c1", "echo hi")) // redelivery
	if a := decode[protocol.CommandAck](t, s.next(protocol.TypeCommandAck).raw); a.State != "done" {
		t.Fatalf("ack %+v", a)
	}
	if r := decode[protocol.CommandResult](t, s.next(protocol.TypeCommandResult).raw); r.ID != "c1" || r.Stdout != "hi\n" {
		t.Fatalf("result %+v", r)
	}

	// The link drops while a command runs: its result comes on the next one.
	s.send(1, command("c2", "sleep 0.5; echo late"))
	s.next(protocol.TypeCommandAck)
	s.drop(1)
	s.next(protocol.TypeHello)
	g := s.next(protocol.TypeCommandResult)
	if r := decode[protocol.CommandResult](t, g.raw); g.conn != 2 || r.ID != "c2" || r.Stdout != "late\n" {
		t.Fatalf("conn %d result %+v", g.conn, r)
	}
}

func TestTerminalOverTheLinkEndsWithIt(t *testing.T) {
	s := newServer(t)
	d := startAgent(t, s)
	s.next(protocol.TypeHello)
	s.send(1, protocol.TerminalOpen{Header: protocol.Header{Type: protocol.TypeTerminalOpen, ID: "t1"}, Cols: 80, Rows: 24, Shell: "/bin/sh"})
	s.send(1, protocol.TerminalInput{Header: protocol.Header{Type: protocol.TypeTerminalInput, ID: "t1"}, Data: []byte("echo $((6*7))\n")})
	var out strings.Builder
	for !strings.Contains(out.String(), "42") {
		o := decode[protocol.TerminalOutput](t, s.next(protocol.TypeTerminalOutput).raw)
		out.Write(o.Data)
	}
	s.drop(1)
	s.next(protocol.TypeHello)
	for i := 0; d.Terminal.Count() > 0; i++ {
		if i > 300 {
			t.Fatal("terminal survived the link")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUnknownFramesAreIgnored(t *testing.T) {
	s := newServer(t)
	startAgent(t, s)
	s.next(protocol.TypeHello)
	s.send(1, map[string]string{"type": "file_chunk", "id": "nobody"})
	s.send(1, map[string]any{"type": protocol.TypeCommand, "id": "bad", "action": "nope"})
	r := decode[protocol.CommandResult](t, s.next(protocol.TypeCommandResult).raw)
	if r.Status != protocol.ResultFailed || !strings.Contains(r.Error, fmt.Sprintf("%q", "nope")) {
		t.Fatalf("%+v", r)
	}
}
