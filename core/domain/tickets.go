package domain

import "time"

// Ticket purposes.
const (
	TicketEvents   = "events"
	TicketTerminal = "terminal"
)

// TicketTTL is how long a WebSocket ticket may wait for its one use.
const TicketTTL = 30 * time.Second

// WSTicket authorises one browser WebSocket (browsers cannot set an
// Authorization header on one). It is bound to the user's session, a
// purpose and, for a terminal, a device; only its hash is stored.
type WSTicket struct {
	ID        string
	Hash      string
	UserID    string
	SessionID string // the refresh family: logging out ends what the ticket opened
	Purpose   string
	DeviceID  string // for TicketTerminal
	CreatedAt time.Time
	ExpiresAt time.Time
}
