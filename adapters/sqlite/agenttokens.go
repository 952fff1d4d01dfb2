package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type agentTokenStore struct{ s *Store }

// Set replaces the device's token in one upsert; the new token is live even
// when the old one was revoked. An unknown device is ErrNotFound, a hash
// another device holds ErrConflict.
func (ts agentTokenStore) Set(ctx context.Context, deviceID, tokenHash string, at time.Time) error {
	if !domain.ValidID(deviceID) {
		return notFound("device")
	}
	if tokenHash == "" || len(tokenHash) > 128 {
		return domain.Invalidf("agent token hash is required and at most 128 characters")
	}
	if at.IsZero() {
		at = now()
	}
	return ts.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO agent_tokens (device_id, token_hash, created_at, revoked_at) VALUES (?, ?, ?, NULL)"+
			" ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at, revoked_at = NULL",
			deviceID, tokenHash, micros(at))
		return failure{
			op:      "set agent token",
			unique:  "another device holds that agent token",
			missing: "device not found",
		}.wrap(err)
	})
}

// Lookup reads through the read pool: it runs on every agent connect.
func (ts agentTokenStore) Lookup(ctx context.Context, tokenHash string) (string, error) {
	if tokenHash == "" || len(tokenHash) > 128 {
		return "", notFound("agent token")
	}
	var deviceID string
	err := ts.s.read(ctx).QueryRowContext(ctx, "SELECT device_id FROM agent_tokens WHERE token_hash = ? AND revoked_at IS NULL",
		tokenHash).Scan(&deviceID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("agent token")
	}
	if err != nil {
		return "", failure{op: "look up agent token"}.wrap(err)
	}
	return deviceID, nil
}

// Revoke keeps the first revocation time; a device without a token (or an
// unknown one) has nothing to revoke, which is not an error.
func (ts agentTokenStore) Revoke(ctx context.Context, deviceID string, at time.Time) error {
	if !domain.ValidID(deviceID) {
		return nil
	}
	if at.IsZero() {
		at = now()
	}
	return ts.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE device_id = ?", micros(at), deviceID)
		return failure{op: "revoke agent token"}.wrap(err)
	})
}

var _ ports.AgentTokenStore = agentTokenStore{}
