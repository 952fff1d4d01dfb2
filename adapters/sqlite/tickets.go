package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Tickets keeps one-use WebSocket tickets (see ports.TicketStore).
func (s *Store) Tickets() ports.TicketStore { return ticketStore{s} }

type ticketStore struct{ s *Store }

var _ ports.TicketStore = ticketStore{}

const ticketCols = "id, hash, user_id, session_id, purpose, device_id, created_at, expires_at"

// maxTicketField bounds every text field of a ticket.
const maxTicketField = 200

func scanTicket(r rowScanner) (*domain.WSTicket, error) {
	var t domain.WSTicket
	var created, expires int64
	if err := r.Scan(&t.ID, &t.Hash, &t.UserID, &t.SessionID, &t.Purpose, &t.DeviceID, &created, &expires); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &t, nil
}

// Create stores a ticket. CreatedAt defaults to now and ExpiresAt to
// CreatedAt + domain.TicketTTL.
func (ts ticketStore) Create(ctx context.Context, t *domain.WSTicket) error {
	if t == nil {
		return domain.Invalidf("ticket is required")
	}
	if t.Hash == "" || t.Purpose == "" {
		return domain.Invalidf("ticket hash and purpose are required")
	}
	for _, v := range []string{t.Hash, t.UserID, t.SessionID, t.Purpose, t.DeviceID} {
		if len(v) > maxTicketField {
			return domain.Invalidf("ticket fields are at most %d characters", maxTicketField)
		}
	}
	id, err := newID("ticket", t.ID)
	if err != nil {
		return err
	}
	created := now()
	if !t.CreatedAt.IsZero() {
		created = t.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	expires := created.Add(domain.TicketTTL)
	if !t.ExpiresAt.IsZero() {
		expires = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	var out *domain.WSTicket
	err = ts.s.write(ctx, func(q queryer) (err error) {
		out, err = scanTicket(q.QueryRowContext(ctx, "INSERT INTO ws_tickets ("+ticketCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"+
			" RETURNING "+ticketCols, id, t.Hash, t.UserID, t.SessionID, t.Purpose, t.DeviceID, micros(created), micros(expires)))
		return failure{
			op:     "create ticket",
			unique: "a ticket with this hash already exists",
			dup:    fmt.Sprintf("ticket %s already exists", id),
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*t = *out
	return nil
}

// Consume deletes and returns the live ticket in one statement; writes are
// serialised on the single writer, so a second caller finds no row.
func (ts ticketStore) Consume(ctx context.Context, hash string, at time.Time) (*domain.WSTicket, error) {
	if hash == "" || len(hash) > maxTicketField {
		return nil, notFound("ticket")
	}
	if at.IsZero() {
		at = now()
	}
	var out *domain.WSTicket
	err := ts.s.write(ctx, func(q queryer) (err error) {
		out, err = scanTicket(q.QueryRowContext(ctx, "DELETE FROM ws_tickets WHERE hash = ? AND expires_at > ? RETURNING "+ticketCols,
			hash, micros(at)))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("ticket")
		}
		return failure{op: "consume ticket"}.wrap(err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Prune deletes tickets whose expiry is before before.
func (ts ticketStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := ts.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "DELETE FROM ws_tickets WHERE expires_at < ?", micros(before))
		if err != nil {
			return failure{op: "prune tickets"}.wrap(err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
