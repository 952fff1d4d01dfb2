package terminal

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// ReasonLinkLost ends the sessions of a link that dropped: the PTY does
// not survive it. The server hears it on the next link (possibly through
// another node), so a browser whose session crossed a dead node is told at
// once instead of typing into nothing.
const ReasonLinkLost = "link_lost"

// maxUnsent bounds the closes kept for the next link (more than the
// sessions an agent may hold).
const maxUnsent = 4 * protocol.MaxTerminalSessions

// keepUnsent remembers a close no link took, then tries once more: the
// link may have come back between the failed send and now.
func (m *Manager) keepUnsent(ctx context.Context, f protocol.TerminalClosed) {
	m.mu.Lock()
	if m.unsent == nil {
		m.unsent = map[string]protocol.TerminalClosed{}
	}
	if len(m.unsent) < maxUnsent {
		m.unsent[f.ID] = f
	}
	m.mu.Unlock()
	m.ResendClosed(ctx)
}

// ResendClosed sends the closes that no link took (called on every new
// link); those sent are forgotten.
func (m *Manager) ResendClosed(ctx context.Context) {
	m.mu.Lock()
	pending := make([]protocol.TerminalClosed, 0, len(m.unsent))
	for _, f := range m.unsent {
		pending = append(pending, f)
	}
	m.mu.Unlock()
	for _, f := range pending {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := m.d.Sender.Send(sctx, f)
		cancel()
		if err != nil {
			return // still down: the next link tries again
		}
		m.mu.Lock()
		delete(m.unsent, f.ID)
		m.mu.Unlock()
	}
}
