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

type refreshStore struct{ s *Store }

const refreshCols = "id, family_id, user_id, token_hash, expires_at, used_at, replaced_by_id, revoked_at, ip, user_agent, created_at"

// Client details are bounded like the audit log's, so a hostile header
// cannot bloat the table.
const (
	maxIPLen        = 64
	maxUserAgentLen = 512
)

func scanRefresh(r rowScanner) (*domain.RefreshToken, error) {
	var t domain.RefreshToken
	var used, revoked sql.NullInt64
	var replacedBy sql.NullString
	var expires, created int64
	if err := r.Scan(&t.ID, &t.FamilyID, &t.UserID, &t.TokenHash, &expires, &used, &replacedBy, &revoked,
		&t.IP, &t.UserAgent, &created); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.UsedAt, t.RevokedAt = fromMicros(expires), optMicros(used), optMicros(revoked)
	t.ReplacedByID, t.CreatedAt = replacedBy.String, fromMicros(created)
	return &t, nil
}

// checkNewToken validates the fields a caller supplies for a new token.
func checkNewToken(t *domain.RefreshToken) (id string, err error) {
	if t == nil {
		return "", domain.Invalidf("refresh token is required")
	}
	if t.TokenHash == "" || len(t.TokenHash) > 128 {
		return "", domain.Invalidf("refresh token hash is required and at most 128 characters")
	}
	if t.ExpiresAt.IsZero() {
		return "", domain.Invalidf("refresh token expiry is required")
	}
	return newID("refresh token", t.ID)
}

// insertToken stores t under id and returns the stored row.
func insertToken(ctx context.Context, q queryer, id, familyID string, t *domain.RefreshToken) (*domain.RefreshToken, error) {
	out, err := scanRefresh(q.QueryRowContext(ctx, "INSERT INTO refresh_tokens ("+refreshCols+")"+
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "+refreshCols,
		id, familyID, t.UserID, t.TokenHash, micros(t.ExpiresAt), nullMicros(t.UsedAt), nullString(t.ReplacedByID),
		nullMicros(t.RevokedAt), cut(t.IP, maxIPLen), cut(t.UserAgent, maxUserAgentLen), micros(now())))
	return out, failure{
		op:      "create refresh token",
		unique:  "a refresh token with that hash already exists",
		dup:     fmt.Sprintf("refresh token %s already exists", id),
		missing: "user not found",
	}.wrap(err)
}

// Create stores the first token of a family, or any token the caller built.
// An empty FamilyID starts a new family named after the token.
func (rs refreshStore) Create(ctx context.Context, t *domain.RefreshToken) error {
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
	var out *domain.RefreshToken
	err = rs.s.write(ctx, func(q queryer) (err error) {
		out, err = insertToken(ctx, q, id, family, t)
		return err
	})
	if err != nil {
		return err
	}
	*t = *out
	return nil
}

// Rotate spends the token with one conditional UPDATE, so of several
// concurrent calls exactly one finds it unspent; the successor is inserted
// in the same transaction with the spent token's family and user.
func (rs refreshStore) Rotate(ctx context.Context, tokenHash string, next *domain.RefreshToken, at time.Time) (*domain.RefreshToken, error) {
	if tokenHash == "" {
		return nil, notFound("refresh token")
	}
	nextID, err := checkNewToken(next)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = now()
	}
	t := micros(at)
	var spent, stored *domain.RefreshToken
	err = rs.s.write(ctx, func(q queryer) error {
		var err error
		spent, err = scanRefresh(q.QueryRowContext(ctx, "UPDATE refresh_tokens SET used_at = ?, replaced_by_id = ?"+
			" WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? RETURNING "+refreshCols,
			t, nextID, tokenHash, t))
		if errors.Is(err, sql.ErrNoRows) {
			stored, err = scanRefresh(q.QueryRowContext(ctx, "SELECT "+refreshCols+" FROM refresh_tokens WHERE token_hash = ?", tokenHash))
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("refresh token")
			}
			if err != nil {
				return failure{op: "read refresh token"}.wrap(err)
			}
			return domain.Conflictf("refresh token was already used, revoked or has expired")
		}
		if err != nil {
			return failure{op: "spend refresh token"}.wrap(err)
		}
		n := *next
		n.UserID, n.UsedAt, n.ReplacedByID, n.RevokedAt = spent.UserID, time.Time{}, "", time.Time{}
		created, err := insertToken(ctx, q, nextID, spent.FamilyID, &n)
		if err != nil {
			return err
		}
		*next = *created
		return nil
	})
	if stored != nil {
		return stored, err
	}
	if err != nil {
		return nil, err
	}
	return spent, nil
}

// RevokeFamily revokes the family's tokens that were not yet revoked.
func (rs refreshStore) RevokeFamily(ctx context.Context, familyID string, at time.Time) (int64, error) {
	return rs.revoke(ctx, "family_id", familyID, at)
}

// RevokeUser revokes every unrevoked token of the user.
func (rs refreshStore) RevokeUser(ctx context.Context, userID string, at time.Time) (int64, error) {
	return rs.revoke(ctx, "user_id", userID, at)
}

func (rs refreshStore) revoke(ctx context.Context, col, id string, at time.Time) (int64, error) {
	if !domain.ValidID(id) {
		return 0, nil
	}
	if at.IsZero() {
		at = now()
	}
	var n int64
	err := rs.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE refresh_tokens SET revoked_at = ? WHERE "+col+" = ? AND revoked_at IS NULL", micros(at), id)
		if err != nil {
			return failure{op: "revoke refresh tokens"}.wrap(err)
		}
		n, err = res.RowsAffected()
		return failure{op: "revoke refresh tokens"}.wrap(err)
	})
	return n, err
}

func (rs refreshStore) FamilyActive(ctx context.Context, familyID string, at time.Time) (bool, error) {
	if !domain.ValidID(familyID) {
		return false, nil
	}
	if at.IsZero() {
		at = now()
	}
	var active bool
	err := rs.s.read(ctx).QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM refresh_tokens"+
		" WHERE family_id = ? AND revoked_at IS NULL AND expires_at > ?)", familyID, micros(at)).Scan(&active)
	if err != nil {
		return false, failure{op: "check refresh family"}.wrap(err)
	}
	return active, nil
}

// cut bounds s to n bytes.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var _ ports.RefreshTokenStore = refreshStore{}
