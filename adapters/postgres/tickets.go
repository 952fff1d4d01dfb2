package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Tickets keeps one-use WebSocket tickets (see ports.TicketStore).
func (s *Store) Tickets() ports.TicketStore { return ticketStore{q: s.q} }

type ticketStore struct{ q querier }

var _ ports.TicketStore = ticketStore{}

const ticketCols = "id, hash, user_id, session_id, purpose, device_id, created_at, expires_at"

// maxTicketField bounds every text field of a ticket.
const maxTicketField = 200

func scanTicket(row pgx.Row) (*domain.WSTicket, error) {
	var t domain.WSTicket
	if err := row.Scan(&t.ID, &t.Hash, &t.UserID, &t.SessionID, &t.Purpose, &t.DeviceID, &t.CreatedAt, &t.ExpiresAt); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	return &t, nil
}

// Create stores a ticket. CreatedAt defaults to now and ExpiresAt to
// CreatedAt + domain.TicketTTL.
func (st ticketStore) Create(ctx context.Context, t *domain.WSTicket) error {
	ctx = system(ctx)
	if t == nil {
		return domain.Invalidf("ticket is required")
	}
	if t.Hash == "" || t.Purpose == "" {
		return domain.Invalidf("ticket hash and purpose are required")
	}
	for _, v := range []string{t.Hash, t.UserID, t.SessionID, t.Purpose, t.DeviceID} {
		if len(v) > maxTicketField || !storable(v) {
			return domain.Invalidf("ticket fields are text of at most %d characters", maxTicketField)
		}
	}
	id, err := newID(t.ID)
	if err != nil {
		return err
	}
	created := now()
	if !t.CreatedAt.IsZero() {
		created = stamp(t.CreatedAt)
	}
	expires := created.Add(domain.TicketTTL)
	if !t.ExpiresAt.IsZero() {
		expires = stamp(t.ExpiresAt)
	}
	out, err := scanTicket(st.q.QueryRow(ctx, "INSERT INTO ws_tickets ("+ticketCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"+
		" RETURNING "+ticketCols, id, t.Hash, t.UserID, t.SessionID, t.Purpose, t.DeviceID, created, expires))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "ws_tickets_hash_key" {
			return &dbError{domain: domain.Conflictf("a ticket with this hash already exists"), cause: err}
		}
		return translate("create ticket", err)
	}
	*t = *out
	return nil
}

// Consume deletes and returns the live ticket in one statement. A racing
// caller waits on the row lock and then finds the row gone.
func (st ticketStore) Consume(ctx context.Context, hash string, at time.Time) (*domain.WSTicket, error) {
	ctx = system(ctx)
	if hash == "" || len(hash) > maxTicketField || !storable(hash) {
		return nil, notFound("ticket")
	}
	if at.IsZero() {
		at = now()
	}
	t, err := scanTicket(st.q.QueryRow(ctx, "DELETE FROM ws_tickets WHERE hash = $1 AND expires_at > $2 RETURNING "+ticketCols,
		hash, stamp(at)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("ticket")
	}
	if err != nil {
		return nil, translate("consume ticket", err)
	}
	return t, nil
}

// Prune deletes tickets whose expiry is before before.
func (st ticketStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	ctx = system(ctx)
	tag, err := st.q.Exec(ctx, "DELETE FROM ws_tickets WHERE expires_at < $1", stamp(before))
	if err != nil {
		return 0, translate("prune tickets", err)
	}
	return tag.RowsAffected(), nil
}
