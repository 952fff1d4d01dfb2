package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type refreshStore struct{ q querier }

var _ ports.RefreshTokenStore = refreshStore{}

const refreshCols = "id, family_id, user_id, token_hash, expires_at, used_at, coalesce(replaced_by_id::text, ''), revoked_at," +
	" ip, user_agent, created_at"

// Client details come from request headers: they are bounded, like the
// audit log's, so a hostile header cannot bloat the table.
const (
	maxTokenHashLen = 128
	maxClientIPLen  = 64
	maxUserAgentLen = 512
)

func scanRefresh(row pgx.Row) (*domain.RefreshToken, error) {
	var t domain.RefreshToken
	var used, revoked *time.Time
	if err := row.Scan(&t.ID, &t.FamilyID, &t.UserID, &t.TokenHash, &t.ExpiresAt, &used, &t.ReplacedByID, &revoked,
		byteaString{&t.IP}, byteaString{&t.UserAgent}, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.UsedAt, t.RevokedAt = fromOpt(used), fromOpt(revoked)
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	return &t, nil
}

// checkNewToken validates what a caller supplies for a new token and
// returns its id.
func checkNewToken(t *domain.RefreshToken) (string, error) {
	if t == nil {
		return "", domain.Invalidf("refresh token is required")
	}
	if t.TokenHash == "" || len(t.TokenHash) > maxTokenHashLen {
		return "", domain.Invalidf("refresh token hash is required and at most %d characters", maxTokenHashLen)
	}
	if t.ExpiresAt.IsZero() {
		return "", domain.Invalidf("refresh token expiry is required")
	}
	return newID(t.ID)
}

// insertToken stores t as a new token of family and user, created at, and
// returns the stored row.
func insertToken(ctx context.Context, q querier, t *domain.RefreshToken, id, family, user string, at time.Time) (*domain.RefreshToken, error) {
	out, err := scanRefresh(q.QueryRow(ctx, `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at,
			used_at, replaced_by_id, revoked_at, ip, user_agent, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+refreshCols,
		id, family, user, t.TokenHash, stamp(t.ExpiresAt), optStamp(t.UsedAt), nullID(t.ReplacedByID),
		optStamp(t.RevokedAt), bytea(cut(t.IP, maxClientIPLen)), bytea(cut(t.UserAgent, maxUserAgentLen)), at))
	if err != nil {
		return nil, translate("store refresh token", err)
	}
	return out, nil
}

// Create stores a token: the first of a family, or any the caller built.
// An empty FamilyID starts a family named after the token.
func (st refreshStore) Create(ctx context.Context, t *domain.RefreshToken) error {
	ctx = system(ctx)
	id, err := checkNewToken(t)
	if err != nil {
		return err
	}
	family := t.FamilyID
	if family == "" {
		family = id
	} else if !domain.ValidID(family) {
		return domain.Invalidf("refresh token family %q is not a canonical lower-case UUID", family)
	}
	if !domain.ValidID(t.UserID) {
		return notFound("user")
	}
	if t.ReplacedByID != "" && !domain.ValidID(t.ReplacedByID) {
		return domain.Invalidf("refresh token successor %q is not a canonical lower-case UUID", t.ReplacedByID)
	}
	out, err := insertToken(ctx, st.q, t, id, family, t.UserID, now())
	if err != nil {
		return err
	}
	*t = *out
	return nil
}

// Rotate spends the token and stores its successor in one transaction (a
// savepoint inside InTx). The conditional UPDATE takes the row lock, so of
// several concurrent calls exactly one spends the token; the others wait for
// it, find the token spent and read the winner's row.
func (st refreshStore) Rotate(ctx context.Context, tokenHash string, next *domain.RefreshToken, at time.Time) (*domain.RefreshToken, error) {
	ctx = system(ctx)
	if tokenHash == "" || len(tokenHash) > maxTokenHashLen || !storable(tokenHash) {
		return nil, notFound("refresh token")
	}
	nextID, err := checkNewToken(next)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = now()
	}
	at = stamp(at)
	var spent, stored, refused *domain.RefreshToken
	err = atomically(ctx, st.q, func(q querier) error {
		var err error
		spent, err = scanRefresh(q.QueryRow(ctx, `UPDATE refresh_tokens SET used_at = $2, replaced_by_id = $3
			WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
			RETURNING `+refreshCols, tokenHash, at, nextID))
		if errors.Is(err, pgx.ErrNoRows) {
			refused, err = scanRefresh(q.QueryRow(ctx, "SELECT "+refreshCols+" FROM refresh_tokens WHERE token_hash = $1", tokenHash))
			if errors.Is(err, pgx.ErrNoRows) {
				return notFound("refresh token")
			}
			return translate("rotate refresh token", err)
		}
		if err != nil {
			return translate("rotate refresh token", err)
		}
		stored, err = insertToken(ctx, q, next, nextID, spent.FamilyID, spent.UserID, at)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case refused != nil:
		return refused, refusedToken(refused, at)
	}
	*next = *stored
	return spent, nil
}

// refusedToken says why a stored token cannot be rotated.
func refusedToken(t *domain.RefreshToken, at time.Time) error {
	switch {
	case !t.RevokedAt.IsZero():
		return domain.Conflictf("refresh token was revoked")
	case !t.UsedAt.IsZero():
		return domain.Conflictf("refresh token was already used")
	case !at.Before(t.ExpiresAt):
		return domain.Conflictf("refresh token has expired")
	}
	return domain.Conflictf("refresh token cannot be used") // changed meanwhile
}

// RevokeFamily revokes every unrevoked token of the family, keeping the
// first revocation time of those already revoked.
func (st refreshStore) RevokeFamily(ctx context.Context, familyID string, at time.Time) (int64, error) {
	ctx = system(ctx)
	if !domain.ValidID(familyID) {
		return 0, nil
	}
	return st.revoke(ctx, "family_id", familyID, at)
}

// RevokeUser revokes every unrevoked token of the user.
func (st refreshStore) RevokeUser(ctx context.Context, userID string, at time.Time) (int64, error) {
	ctx = system(ctx)
	if !domain.ValidID(userID) {
		return 0, nil
	}
	return st.revoke(ctx, "user_id", userID, at)
}

func (st refreshStore) revoke(ctx context.Context, col, id string, at time.Time) (int64, error) {
	if at.IsZero() {
		at = now()
	}
	tag, err := st.q.Exec(ctx, "UPDATE refresh_tokens SET revoked_at = $2 WHERE "+col+" = $1 AND revoked_at IS NULL", id, stamp(at))
	if err != nil {
		return 0, translate("revoke refresh tokens", err)
	}
	return tag.RowsAffected(), nil
}

// FamilyActive reports whether the family holds an unrevoked, unexpired token.
func (st refreshStore) FamilyActive(ctx context.Context, familyID string, at time.Time) (bool, error) {
	ctx = system(ctx)
	if !domain.ValidID(familyID) {
		return false, nil
	}
	if at.IsZero() {
		at = now()
	}
	var ok bool
	err := st.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM refresh_tokens
		WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > $2)`, familyID, stamp(at)).Scan(&ok)
	if err != nil {
		return false, translate("check refresh token family", err)
	}
	return ok, nil
}
