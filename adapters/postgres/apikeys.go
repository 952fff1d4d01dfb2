package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type apiKeyStore struct{ q querier }

var _ ports.APIKeyStore = apiKeyStore{}

const apiKeyCols = "id, user_id, coalesce(partner_id::text, ''), coalesce(org_id::text, ''), coalesce(site_id::text, '')," +
	" name, prefix, secret_hash, permissions, expires_at, last_used_at, revoked_at, created_at"

// Bounds on the caller's strings; a hex SHA-256 is 64 characters.
const (
	maxSecretHashLen = 128
	maxKeyPrefixLen  = 32
)

func scanAPIKey(row pgx.Row) (*domain.APIKey, error) {
	var k domain.APIKey
	var expires, used, revoked *time.Time
	if err := row.Scan(&k.ID, &k.UserID, &k.PartnerID, &k.OrgID, &k.SiteID, &k.Name, &k.Prefix, &k.SecretHash,
		&k.Permissions, &expires, &used, &revoked, &k.CreatedAt); err != nil {
		return nil, err
	}
	if k.Permissions == nil {
		k.Permissions = []domain.Permission{}
	}
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromOpt(expires), fromOpt(used), fromOpt(revoked)
	k.CreatedAt = k.CreatedAt.UTC()
	return &k, nil
}

// Create stores a key at a unit the scope covers. The owner need not be
// visible to the scope (a site technician mints their own key); whether the
// owner may hand the key these permissions is the caller's rule.
func (st apiKeyStore) Create(ctx context.Context, s domain.Scope, k *domain.APIKey) error {
	ctx = tenant(ctx, s)
	if err := domain.ValidateName("API key", k.Name); err != nil {
		return err
	}
	if k.SecretHash == "" || len(k.SecretHash) > maxSecretHashLen {
		return domain.Invalidf("API key secret hash is required and at most %d characters", maxSecretHashLen)
	}
	if len(k.Prefix) > maxKeyPrefixLen {
		return domain.Invalidf("API key prefix is longer than %d characters", maxKeyPrefixLen)
	}
	ps, err := domain.ValidatePermissions(k.Permissions)
	if err != nil {
		return err
	}
	if !domain.ValidID(k.UserID) {
		return notFound("user")
	}
	id, err := newID(k.ID)
	if err != nil {
		return err
	}
	if err := checkUnit(ctx, st.q, s, k.PartnerID, k.OrgID, k.SiteID); err != nil {
		return err
	}
	t := now()
	out, err := scanAPIKey(st.q.QueryRow(ctx, `INSERT INTO api_keys (id, user_id, partner_id, org_id, site_id, name, prefix,
			secret_hash, permissions, expires_at, last_used_at, revoked_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING `+apiKeyCols,
		id, k.UserID, nullID(k.PartnerID), nullID(k.OrgID), nullID(k.SiteID), k.Name, k.Prefix, k.SecretHash,
		perms(ps), optStamp(k.ExpiresAt), optStamp(k.LastUsedAt), optStamp(k.RevokedAt), t))
	if err != nil {
		return translate("create API key", err)
	}
	*k = *out
	return nil
}

func (st apiKeyStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.APIKey, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("API key")
	}
	a := args{id}
	return st.one(ctx, "get API key", "SELECT "+apiKeyCols+" FROM api_keys WHERE id = $1 AND "+unitScope.where(s, &a, ""), a)
}

func (st apiKeyStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.APIKey], error) {
	ctx = tenant(ctx, s)
	var a args
	tail, page, err := pageQuery(page, &a, []string{unitScope.where(s, &a, "")})
	if err != nil {
		return domain.Page[*domain.APIKey]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+apiKeyCols+" FROM api_keys"+tail, a, scanAPIKey)
	if err != nil {
		return domain.Page[*domain.APIKey]{}, translate("list API keys", err)
	}
	return finishPage(items, page.Limit, func(k *domain.APIKey) string { return k.ID }), nil
}

// Revoke sets RevokedAt once; revoking again keeps the first time.
func (st apiKeyStore) Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return notFound("API key")
	}
	if at.IsZero() {
		at = now()
	}
	a := args{id, stamp(at)}
	tag, err := st.q.Exec(ctx, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 AND "+
		unitScope.where(s, &a, ""), a...)
	if err != nil {
		return translate("revoke API key", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("API key")
	}
	return nil
}

// GetByHash finds a key by the SHA-256 of its secret, revoked or not.
func (st apiKeyStore) GetByHash(ctx context.Context, secretHash string) (*domain.APIKey, error) {
	ctx = system(ctx)
	if secretHash == "" || len(secretHash) > maxSecretHashLen || !storable(secretHash) {
		return nil, notFound("API key")
	}
	return st.one(ctx, "get API key by hash", "SELECT "+apiKeyCols+" FROM api_keys WHERE secret_hash = $1", args{secretHash})
}

// Touch records a use of the key.
func (st apiKeyStore) Touch(ctx context.Context, id string, at time.Time) error {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return notFound("API key")
	}
	if at.IsZero() {
		at = now()
	}
	tag, err := st.q.Exec(ctx, "UPDATE api_keys SET last_used_at = $2 WHERE id = $1", id, stamp(at))
	if err != nil {
		return translate("touch API key", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("API key")
	}
	return nil
}

// one reads a single key; no row is ErrNotFound.
func (st apiKeyStore) one(ctx context.Context, op, sql string, a args) (*domain.APIKey, error) {
	k, err := scanAPIKey(st.q.QueryRow(ctx, sql, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("API key")
	}
	if err != nil {
		return nil, translate(op, err)
	}
	return k, nil
}
