package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type enrollKeyStore struct{ q querier }

var _ ports.EnrollmentKeyStore = enrollKeyStore{}

const enrollKeyCols = "id, partner_id, org_id, site_id, coalesce(group_id::text, ''), name, prefix, key_hash," +
	" expires_at, max_uses, uses, revoked_at, created_by, created_at"

// maxCreatedByLen bounds the creator reference (a user or API key id).
const maxCreatedByLen = 200

func scanEnrollKey(row pgx.Row) (*domain.EnrollmentKey, error) {
	var k domain.EnrollmentKey
	var revoked *time.Time
	if err := row.Scan(&k.ID, &k.PartnerID, &k.OrgID, &k.SiteID, &k.GroupID, &k.Name, &k.Prefix, &k.KeyHash,
		&k.ExpiresAt, &k.MaxUses, &k.Uses, &revoked, &k.CreatedBy, &k.CreatedAt); err != nil {
		return nil, err
	}
	k.ExpiresAt, k.CreatedAt, k.RevokedAt = k.ExpiresAt.UTC(), k.CreatedAt.UTC(), fromOpt(revoked)
	return &k, nil
}

// Create stores a new, unused, unrevoked key in a site the scope covers.
// Partner and org come from the site; naming others is ErrInvalid. A group
// must be visible, in the same org, and org-wide or in the same site.
func (st enrollKeyStore) Create(ctx context.Context, s domain.Scope, k *domain.EnrollmentKey) error {
	ctx = tenant(ctx, s)
	if err := domain.ValidateName("enrollment key", k.Name); err != nil {
		return err
	}
	if k.KeyHash == "" || len(k.KeyHash) > maxSecretHashLen || !storable(k.KeyHash) {
		return domain.Invalidf("enrollment key hash is required and at most %d characters", maxSecretHashLen)
	}
	if len(k.Prefix) > maxKeyPrefixLen || !storable(k.Prefix) {
		return domain.Invalidf("enrollment key prefix is longer than %d characters or not text", maxKeyPrefixLen)
	}
	if len(k.CreatedBy) > maxCreatedByLen || !storable(k.CreatedBy) {
		return domain.Invalidf("enrollment key creator is longer than %d characters or not text", maxCreatedByLen)
	}
	if k.MaxUses < 0 {
		return domain.Invalidf("enrollment key max uses must not be negative")
	}
	t := now()
	if !stamp(k.ExpiresAt).After(t) {
		return domain.Invalidf("enrollment key must expire in the future")
	}
	id, err := newID(k.ID)
	if err != nil {
		return err
	}
	site, err := (siteStore{q: st.q}).Get(ctx, s, k.SiteID)
	if err != nil {
		return err
	}
	if (k.OrgID != "" && k.OrgID != site.OrgID) || (k.PartnerID != "" && k.PartnerID != site.PartnerID) {
		return domain.Invalidf("site %s is not in the named organization or partner", site.ID)
	}
	if k.GroupID != "" {
		g, err := (groupStore{q: st.q}).Get(ctx, s, k.GroupID)
		if err != nil || g.OrgID != site.OrgID || (g.SiteID != "" && g.SiteID != site.ID) {
			return domain.Invalidf("device group %s is not a group of site %s", k.GroupID, site.ID)
		}
	}
	out, err := scanEnrollKey(st.q.QueryRow(ctx, `INSERT INTO enrollment_keys (id, partner_id, org_id, site_id, group_id,
			name, prefix, key_hash, expires_at, max_uses, uses, revoked_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, NULL, $11, $12) RETURNING `+enrollKeyCols,
		id, site.PartnerID, site.OrgID, site.ID, nullID(k.GroupID), k.Name, k.Prefix, k.KeyHash,
		stamp(k.ExpiresAt), k.MaxUses, k.CreatedBy, t))
	if err != nil {
		// A foreign key failing here means the site or group vanished meanwhile.
		return translate("create enrollment key", err)
	}
	*k = *out
	return nil
}

func (st enrollKeyStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.EnrollmentKey, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("enrollment key")
	}
	a := args{id}
	k, err := scanEnrollKey(st.q.QueryRow(ctx,
		"SELECT "+enrollKeyCols+" FROM enrollment_keys WHERE id = $1 AND "+tenantScope.where(s, &a, ""), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("enrollment key")
	}
	if err != nil {
		return nil, translate("get enrollment key", err)
	}
	return k, nil
}

func (st enrollKeyStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.EnrollmentKey], error) {
	ctx = tenant(ctx, s)
	var a args
	tail, page, err := pageQuery(page, &a, []string{tenantScope.where(s, &a, "")})
	if err != nil {
		return domain.Page[*domain.EnrollmentKey]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+enrollKeyCols+" FROM enrollment_keys"+tail, a, scanEnrollKey)
	if err != nil {
		return domain.Page[*domain.EnrollmentKey]{}, translate("list enrollment keys", err)
	}
	return finishPage(items, page.Limit, func(k *domain.EnrollmentKey) string { return k.ID }), nil
}

// Revoke sets RevokedAt once; revoking again keeps the first time.
func (st enrollKeyStore) Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return notFound("enrollment key")
	}
	if at.IsZero() {
		at = now()
	}
	a := args{id, stamp(at)}
	tag, err := st.q.Exec(ctx, "UPDATE enrollment_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 AND "+
		tenantScope.where(s, &a, ""), a...)
	if err != nil {
		return translate("revoke enrollment key", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("enrollment key")
	}
	return nil
}

// Use spends one use in a single UPDATE. Concurrent calls queue on the row
// lock and each re-checks the condition against the row as the previous
// one left it (READ COMMITTED re-evaluation), so uses never pass max_uses.
func (st enrollKeyStore) Use(ctx context.Context, keyHash string, at time.Time) (*domain.EnrollmentKey, error) {
	ctx = system(ctx)
	if keyHash == "" || len(keyHash) > maxSecretHashLen || !storable(keyHash) {
		return nil, notFound("enrollment key")
	}
	if at.IsZero() {
		at = now()
	}
	k, err := scanEnrollKey(st.q.QueryRow(ctx, `UPDATE enrollment_keys SET uses = uses + 1
		WHERE key_hash = $1 AND revoked_at IS NULL AND expires_at > $2 AND (max_uses = 0 OR uses < max_uses)
		RETURNING `+enrollKeyCols, keyHash, stamp(at)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("enrollment key")
	}
	if err != nil {
		return nil, translate("use enrollment key", err)
	}
	return k, nil
}
