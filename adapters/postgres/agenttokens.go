package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type agentTokenStore struct{ q querier }

var _ ports.AgentTokenStore = agentTokenStore{}

// Set stores tokenHash as the device's one live token, replacing any earlier
// (or revoked) one. An unknown device is ErrNotFound; a hash already held by
// another device is ErrConflict.
func (st agentTokenStore) Set(ctx context.Context, deviceID, tokenHash string, at time.Time) error {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return notFound("device")
	}
	if tokenHash == "" || len(tokenHash) > maxSecretHashLen || !storable(tokenHash) {
		return domain.Invalidf("agent token hash is required and at most %d characters", maxSecretHashLen)
	}
	if at.IsZero() {
		at = now()
	}
	_, err := st.q.Exec(ctx, `INSERT INTO agent_tokens (device_id, token_hash, created_at, revoked_at)
		VALUES ($1, $2, $3, NULL)
		ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at,
			revoked_at = NULL`, deviceID, tokenHash, stamp(at))
	if err != nil {
		err = translate("set agent token", err)
		if errors.Is(err, domain.ErrNotFound) {
			return notFound("device")
		}
		return err
	}
	return nil
}

// Lookup returns the device holding the live token tokenHash.
func (st agentTokenStore) Lookup(ctx context.Context, tokenHash string) (string, error) {
	ctx = system(ctx)
	if tokenHash == "" || len(tokenHash) > maxSecretHashLen || !storable(tokenHash) {
		return "", notFound("agent token")
	}
	var id string
	err := st.q.QueryRow(ctx, "SELECT device_id::text FROM agent_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
		tokenHash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound("agent token")
	}
	if err != nil {
		return "", translate("look up agent token", err)
	}
	return id, nil
}

// Revoke ends the device's token, keeping the first revocation time. A
// device without a token (or an unknown one) has nothing left to revoke,
// which is the state asked for: nil.
func (st agentTokenStore) Revoke(ctx context.Context, deviceID string, at time.Time) error {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return nil
	}
	if at.IsZero() {
		at = now()
	}
	_, err := st.q.Exec(ctx, "UPDATE agent_tokens SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
		deviceID, stamp(at))
	return translate("revoke agent token", err)
}
