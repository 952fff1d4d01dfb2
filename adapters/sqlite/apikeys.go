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

type apiKeyStore struct{ s *Store }

const apiKeyCols = "id, user_id, partner_id, org_id, site_id, name, prefix, secret_hash, permissions, expires_at, last_used_at, revoked_at, created_at"

// A key is visible when the scope covers its unit (see grants).
var apiKeys = &table[*domain.APIKey]{
	name:  "api_keys",
	what:  "API key",
	cols:  apiKeyCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanAPIKey,
	idOf:  func(k *domain.APIKey) string { return k.ID },
}

func scanAPIKey(r rowScanner) (*domain.APIKey, error) {
	var k domain.APIKey
	var partner, org, site sql.NullString
	var perms string
	var expires, used, revoked sql.NullInt64
	var created int64
	if err := r.Scan(&k.ID, &k.UserID, &partner, &org, &site, &k.Name, &k.Prefix, &k.SecretHash, &perms,
		&expires, &used, &revoked, &created); err != nil {
		return nil, err
	}
	p, err := decodePerms(perms)
	if err != nil {
		return nil, err
	}
	k.PartnerID, k.OrgID, k.SiteID, k.Permissions = partner.String, org.String, site.String, p
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = optMicros(expires), optMicros(used), optMicros(revoked)
	k.CreatedAt = fromMicros(created)
	return &k, nil
}

// optMicros reads a nullable time column: NULL is the zero time.
func optMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// Create stores a key at a unit the scope covers. The owner must exist; that
// the key holds no more than its owner is the caller's rule (it needs the
// principal), and is checked again on every use.
func (ks apiKeyStore) Create(ctx context.Context, s domain.Scope, k *domain.APIKey) error {
	if err := domain.ValidateName("API key", k.Name); err != nil {
		return err
	}
	perms, err := domain.ValidatePermissions(k.Permissions)
	if err != nil {
		return err
	}
	if k.SecretHash == "" || len(k.SecretHash) > 128 || len(k.Prefix) > 64 {
		return domain.Invalidf("API key secret hash is required (at most 128 characters) and its prefix at most 64")
	}
	if !domain.ValidID(k.UserID) {
		return notFound("user")
	}
	id, err := newID("API key", k.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.APIKey
	err = ks.s.write(ctx, func(q queryer) error {
		u, err := resolveUnit(ctx, q, s, k.PartnerID, k.OrgID, k.SiteID)
		if err != nil {
			return err
		}
		var one int
		err = q.QueryRowContext(ctx, "SELECT 1 FROM users WHERE id = ?", k.UserID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user")
		}
		if err != nil {
			return failure{op: "read user"}.wrap(err)
		}
		out, err = scanAPIKey(q.QueryRowContext(ctx, "INSERT INTO api_keys ("+apiKeyCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "+apiKeyCols,
			id, k.UserID, nullString(u.PartnerID), nullString(u.OrgID), nullString(u.SiteID), k.Name, k.Prefix,
			k.SecretHash, encodePerms(perms), nullMicros(k.ExpiresAt), nullMicros(k.LastUsedAt), nullMicros(k.RevokedAt), t))
		return failure{
			op:      "create API key",
			unique:  "an API key with that secret already exists",
			dup:     fmt.Sprintf("API key %s already exists", id),
			missing: "user or unit not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*k = *out
	return nil
}

func (ks apiKeyStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.APIKey, error) {
	return apiKeys.get(ctx, ks.s.read(ctx), s, id)
}

func (ks apiKeyStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.APIKey], error) {
	return apiKeys.list(ctx, ks.s.read(ctx), s, filter{}, page)
}

// Revoke keeps the first revocation time when called again.
func (ks apiKeyStore) Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error {
	if !domain.ValidID(id) {
		return notFound("API key")
	}
	if at.IsZero() {
		at = now()
	}
	args := []any{micros(at), id}
	where := tenantScope.where(s, "", &args)
	return ks.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND "+where, args...)
		return oneRow(res, err, "revoke API key", "API key")
	})
}

func (ks apiKeyStore) GetByHash(ctx context.Context, secretHash string) (*domain.APIKey, error) {
	if secretHash == "" {
		return nil, notFound("API key")
	}
	k, err := scanAPIKey(ks.s.read(ctx).QueryRowContext(ctx, "SELECT "+apiKeyCols+" FROM api_keys WHERE secret_hash = ?", secretHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API key")
	}
	if err != nil {
		return nil, failure{op: "get API key by hash"}.wrap(err)
	}
	return k, nil
}

// Touch records a use; LastUsedAt never goes back when uses are reported
// out of order.
func (ks apiKeyStore) Touch(ctx context.Context, id string, at time.Time) error {
	if !domain.ValidID(id) {
		return notFound("API key")
	}
	if at.IsZero() {
		at = now()
	}
	return ks.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?",
			micros(at), id)
		return oneRow(res, err, "touch API key", "API key")
	})
}

// oneRow checks the result of an Exec that must hit a row: none is
// ErrNotFound (what).
func oneRow(res sql.Result, err error, op, what string) error {
	if err != nil {
		return failure{op: op}.wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return failure{op: op}.wrap(err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

var _ ports.APIKeyStore = apiKeyStore{}
