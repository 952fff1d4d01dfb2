package remote

import (
	"testing"

	"github.com/breeze-rmm/breeze/protocol"
)

// The server's command_cancel reaches the executor through the link (the
// link once dropped it as an unknown type) and stops the command.
func TestCancelOverTheLink(t *testing.T) {
	s := newServer(t)
	startAgent(t, s)
	s.next(protocol.TypeHello)
	s.send(1, command("long", "sleep 30"))
	s.next(protocol.TypeCommandAck)
	s.send(1, protocol.Header{Type: protocol.TypeCommandCancel, ID: "long"})
	r := decode[protocol.CommandResult](t, s.next(protocol.TypeCommandResult).raw)
	if r.ID != "long" || r.Status != protocol.ResultCancelled || r.Error != "cancelled by the server" {
		t.Fatalf("result %+v", r)
	}
}

func TestUptimeOverTheLink(t *testing.T) {
	s := newServer(t)
	startAgent(t, s)
	s.next(protocol.TypeHello)
	s.send(1, protocol.Command{Header: protocol.Header{Type: protocol.TypeCommand, ID: "up"}, Action: protocol.ActionUptime, TimeoutSeconds: 30})
	r := decode[protocol.CommandResult](t, s.next(protocol.TypeCommandResult).raw)
	if up := decode[protocol.UptimeResult](t, r.Data); r.Status != protocol.ResultSucceeded || up.Seconds == 0 {
		t.Fatalf("result %+v", r)
	}
}
