package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/protocol"
)

// statusesOf collects the statuses command events carry for id, in order.
func statusesOf(t *testing.T, rs *remoteServer) func(id string) []string {
	t.Helper()
	sub, err := rs.Remote.Bus.Subscribe(context.Background(), events.Topic)
	if err != nil {
		t.Fatalf("subscribe to events: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	var seen []events.Event
	return func(id string) []string {
		for drained := false; !drained; {
			select {
			case m := <-sub.C():
				if e, err := events.Decode(m.Payload); err == nil && e.Type == events.TypeCommandUpdated {
					seen = append(seen, e)
				}
			default:
				drained = true
			}
		}
		var out []string
		for _, e := range seen {
			var c commands.CommandSummary
			if err := json.Unmarshal(e.Data, &c); err == nil && c.ID == id {
				out = append(out, string(c.Status))
			}
		}
		return out
	}
}

// A command this node sent that ends within the running delay goes from
// sent to its result without a "running" write; one that runs longer is
// "running" from the acknowledgement's time, written after the delay.
func TestCommandRunningWrittenOnlyForCommandsThatRun(t *testing.T) {
	rs := newRemoteServer(t)
	statuses := statusesOf(t, rs)
	conn := rs.link(t)
	send := func() string {
		_, body := rs.Do(t, http.MethodPost, "/api/v1/devices/"+rs.deviceID+"/commands", rs.admin, map[string]any{"action": "list_services"})
		id := body["id"].(string)
		var cmd protocol.Command
		nextOfType(t, conn, protocol.TypeCommand, &cmd)
		return id
	}
	now := time.Now().UTC()

	quick := send()
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: quick}, State: "running"})
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: quick},
		Status: protocol.ResultSucceeded, ExitCode: intp(0), StartedAt: now, FinishedAt: now})
	rs.waitStatus(t, rs.admin, quick, "succeeded")

	slow := send()
	acked := time.Now()
	sendJSON(t, conn, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: slow}, State: "running"})
	// Still "sent" within the delay (the first look comes at once).
	if _, got := rs.Do(t, http.MethodGet, "/api/v1/commands/"+slow, rs.admin, nil); got["status"] != "sent" &&
		time.Since(acked) < commands.DefaultRunningDelay/2 {
		t.Fatalf("running written before the delay: %v", got)
	}
	got := rs.waitStatus(t, rs.admin, slow, "running")
	if time.Since(acked) < commands.DefaultRunningDelay/2 {
		t.Fatalf("running written %v after the acknowledgement, want about %v", time.Since(acked), commands.DefaultRunningDelay)
	}
	if got["startedAt"] == nil {
		t.Fatalf("running without its start: %v", got)
	}

	// Well past the quick command's delay: still no "running" for it.
	time.Sleep(commands.DefaultRunningDelay / 2)
	if s := statuses(quick); len(s) != 2 || s[0] != "sent" || s[1] != "succeeded" {
		t.Fatalf("the quick command went through %v, want [sent succeeded]", s)
	}
	if s := statuses(slow); len(s) != 2 || s[0] != "sent" || s[1] != "running" {
		t.Fatalf("the slow command went through %v, want [sent running]", s)
	}
}
