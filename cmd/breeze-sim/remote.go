package main

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

// Simulated agents answer remote-work frames like a real agent, without
// running anything: a command is acknowledged ("running") and succeeds at
// once with "ok\n"; a terminal echoes its input. A command's payload may
// carry the coordinator's send time (env SIM_T0, unix ns): the agent
// reports now − T0 as that command's dispatch latency (same machine clock).

// simT0Env is the run_script env variable holding the send time.
const simT0Env = "SIM_T0"

// recentCommands is how many command ids an agent remembers: a repeat
// among them is answered from memory instead of "running" twice.
const recentCommands = 16

// remoteMem is what an agent remembers of remote work; allocated at its
// first command so an agent that never gets one pays a nil pointer.
type remoteMem struct {
	ids  [recentCommands]string
	next int
}

func (m *remoteMem) seen(id string) bool {
	for _, v := range m.ids {
		if v == id {
			return true
		}
	}
	return false
}

func (m *remoteMem) add(id string) {
	m.ids[m.next] = id
	m.next = (m.next + 1) % recentCommands
}

// answerKind says what a remote frame was, for the shard's tallies.
type answerKind uint8

const (
	answerNone answerKind = iota
	answerCommand
	answerRepeat
	answerEcho
	answerTerminalOpen
	answerTerminalClose
)

// isRemoteFrame says whether typ is a server → agent remote-work frame.
func isRemoteFrame(typ string) bool {
	switch typ {
	case protocol.TypeCommand, protocol.TypeCommandCancel, protocol.TypeTerminalOpen,
		protocol.TypeTerminalInput, protocol.TypeTerminalResize, protocol.TypeTerminalClose,
		protocol.TypeFileUpload, protocol.TypeFileDownload, protocol.TypeFileAbort, protocol.TypeFileChunk:
		return true
	}
	return false
}

// answerRemote returns the frames answering one remote-work frame that
// arrived at now, and for a first-seen command carrying SIM_T0 its
// dispatch latency (0 otherwise). *mem is allocated on first use.
func answerRemote(mem **remoteMem, typ string, data []byte, now time.Time) ([][]byte, time.Duration, answerKind) {
	switch typ {
	case protocol.TypeCommand:
		var c protocol.Command
		if json.Unmarshal(data, &c) != nil || c.ID == "" {
			return nil, 0, answerNone
		}
		if *mem == nil {
			*mem = &remoteMem{}
		}
		result := marshal(protocol.CommandResult{
			Header: protocol.Header{Type: protocol.TypeCommandResult, ID: c.ID},
			Status: protocol.ResultSucceeded, ExitCode: new(int), Stdout: "ok\n",
			StartedAt: now.UTC(), FinishedAt: now.UTC(),
		})
		if (*mem).seen(c.ID) {
			ack := marshal(protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: c.ID}, State: "done"})
			return [][]byte{ack, result}, 0, answerRepeat
		}
		(*mem).add(c.ID)
		ack := marshal(protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: c.ID}, State: "running"})
		return [][]byte{ack, result}, dispatchLatency(c, now), answerCommand
	case protocol.TypeTerminalInput:
		var in protocol.TerminalInput
		if json.Unmarshal(data, &in) != nil || in.ID == "" {
			return nil, 0, answerNone
		}
		out := marshal(protocol.TerminalOutput{Header: protocol.Header{Type: protocol.TypeTerminalOutput, ID: in.ID}, Data: in.Data})
		return [][]byte{out}, 0, answerEcho
	case protocol.TypeTerminalOpen:
		// A real agent says its PTY runs with an empty output frame; the
		// server tells the browser "ready" only then.
		var h protocol.Header
		if json.Unmarshal(data, &h) != nil || h.ID == "" {
			return nil, 0, answerNone
		}
		out := marshal(protocol.TerminalOutput{Header: protocol.Header{Type: protocol.TypeTerminalOutput, ID: h.ID}})
		return [][]byte{out}, 0, answerTerminalOpen
	case protocol.TypeTerminalClose:
		var h protocol.Header
		if json.Unmarshal(data, &h) != nil || h.ID == "" {
			return nil, 0, answerNone
		}
		out := marshal(protocol.TerminalClosed{Header: protocol.Header{Type: protocol.TypeTerminalClosed, ID: h.ID}, Reason: "closed"})
		return [][]byte{out}, 0, answerTerminalClose
	}
	// command_cancel: every command has finished already; resize and
	// files: the simulator has no PTY and no disk.
	return nil, 0, answerNone
}

// dispatchLatency is now − SIM_T0 of a run_script command (0 without one).
func dispatchLatency(c protocol.Command, now time.Time) time.Duration {
	if c.Action != protocol.ActionRunScript || len(c.Payload) == 0 {
		return 0
	}
	var p protocol.RunScriptPayload
	if json.Unmarshal(c.Payload, &p) != nil {
		return 0
	}
	t0, err := strconv.ParseInt(p.Env[simT0Env], 10, 64)
	if err != nil || t0 <= 0 {
		return 0
	}
	return max(time.Duration(now.UnixNano()-t0), 1)
}

func marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// handleRemote answers a remote-work frame on the agent's link and tallies
// it; received is when the frame came off the link.
func (a *agent) handleRemote(conn *websocket.Conn, typ string, data []byte, received time.Time) {
	a.mu.Lock()
	out, lat, kind := answerRemote(&a.rem, typ, data, received)
	for _, f := range out {
		if !a.write(conn, f) {
			a.s.st.remoteWriteErrors.Add(1)
			break
		}
	}
	a.mu.Unlock()
	a.s.noteRemote(kind, lat)
	if typ == protocol.TypeCommand && a.s.cfg.schedules > 0 {
		a.s.noteWork(data)
	}
}

// noteRemote tallies an answered frame and keeps a dispatch sample.
func (s *shard) noteRemote(kind answerKind, lat time.Duration) {
	switch kind {
	case answerCommand:
		s.st.commands.Add(1)
	case answerRepeat:
		s.st.commandRepeats.Add(1)
	case answerEcho:
		s.st.echoes.Add(1)
	case answerTerminalOpen:
		s.st.terminalsOpened.Add(1)
	case answerTerminalClose:
		s.st.terminalsClosed.Add(1)
	}
	if lat > 0 {
		s.sampleMu.Lock()
		s.samples = append(s.samples, int64(lat))
		s.sampleMu.Unlock()
	}
}

// takeSamples returns the dispatch samples gathered since the last call.
func (s *shard) takeSamples() []int64 {
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	out := s.samples
	s.samples = nil
	return out
}
