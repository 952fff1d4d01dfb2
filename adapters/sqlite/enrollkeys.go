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

type enrollKeyStore struct{ s *Store }

const enrollKeyCols = "id, partner_id, org_id, site_id, group_id, name, prefix, key_hash, expires_at, max_uses, uses, revoked_at, created_by, created_at"

// A key is visible when the scope covers its site.
var enrollKeys = &table[*domain.EnrollmentKey]{
	name:  "enrollment_keys",
	what:  "enrollment key",
	cols:  enrollKeyCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanEnrollKey,
	idOf:  func(k *domain.EnrollmentKey) string { return k.ID },
}

func scanEnrollKey(r rowScanner) (*domain.EnrollmentKey, error) {
	var k domain.EnrollmentKey
	var group sql.NullString
	var revoked sql.NullInt64
	var expires, created int64
	if err := r.Scan(&k.ID, &k.PartnerID, &k.OrgID, &k.SiteID, &group, &k.Name, &k.Prefix, &k.KeyHash,
		&expires, &k.MaxUses, &k.Uses, &revoked, &k.CreatedBy, &created); err != nil {
		return nil, err
	}
	k.GroupID, k.ExpiresAt, k.RevokedAt, k.CreatedAt = group.String, fromMicros(expires), optMicros(revoked), fromMicros(created)
	return &k, nil
}

// Create stores a new, unused, unrevoked key at a site the scope covers.
// The key's tenant ids come from the site row; an OrgID or PartnerID the
// caller sent must agree with it.
func (ks enrollKeyStore) Create(ctx context.Context, s domain.Scope, k *domain.EnrollmentKey) error {
	if k == nil {
		return domain.Invalidf("enrollment key is required")
	}
	if err := domain.ValidateName("enrollment key", k.Name); err != nil {
		return err
	}
	if k.KeyHash == "" || len(k.KeyHash) > 128 || len(k.Prefix) > 64 || len(k.CreatedBy) > 64 {
		return domain.Invalidf("enrollment key hash is required (at most 128 characters), its prefix and creator at most 64")
	}
	if k.MaxUses < 0 {
		return domain.Invalidf("enrollment key max uses must be 0 (unlimited) or more")
	}
	t := now()
	if !k.ExpiresAt.After(t) {
		return domain.Invalidf("enrollment key expiry must be in the future")
	}
	if k.SiteID == "" {
		return domain.Invalidf("enrollment key site is required")
	}
	id, err := newID("enrollment key", k.ID)
	if err != nil {
		return err
	}
	var out *domain.EnrollmentKey
	err = ks.s.write(ctx, func(q queryer) error {
		partnerID, orgID, err := sitePlace(ctx, q, s, k.SiteID)
		if err != nil {
			return err
		}
		if (k.OrgID != "" && k.OrgID != orgID) || (k.PartnerID != "" && k.PartnerID != partnerID) {
			return domain.Invalidf("site is not in the enrollment key's organization")
		}
		if k.GroupID != "" {
			if err := keyGroupFits(ctx, q, s, k.GroupID, orgID, k.SiteID); err != nil {
				return err
			}
		}
		out, err = scanEnrollKey(q.QueryRowContext(ctx, "INSERT INTO enrollment_keys ("+enrollKeyCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?) RETURNING "+enrollKeyCols,
			id, partnerID, orgID, k.SiteID, nullString(k.GroupID), k.Name, k.Prefix, k.KeyHash,
			micros(k.ExpiresAt), k.MaxUses, k.CreatedBy, micros(t)))
		return failure{
			op:      "create enrollment key",
			unique:  "an enrollment key with that hash already exists",
			dup:     fmt.Sprintf("enrollment key %s already exists", id),
			missing: "site or device group not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*k = *out
	return nil
}

// keyGroupFits checks that the group is visible, in org and org-wide or in
// site. Every failure reads the same (ErrInvalid), so a group outside the
// scope cannot be told from one that does not exist.
func keyGroupFits(ctx context.Context, q queryer, s domain.Scope, groupID, orgID, siteID string) error {
	bad := domain.Invalidf("device group not found in the enrollment key's organization and site")
	if !domain.ValidID(groupID) {
		return bad
	}
	args := []any{groupID, orgID, siteID}
	where := tenantScope.where(s, "", &args)
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM device_groups WHERE id = ? AND org_id = ?"+
		" AND (site_id IS NULL OR site_id = ?) AND "+where, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return bad
	}
	return failure{op: "read device group"}.wrap(err)
}

func (ks enrollKeyStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.EnrollmentKey, error) {
	return enrollKeys.get(ctx, ks.s.read(ctx), s, id)
}

func (ks enrollKeyStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.EnrollmentKey], error) {
	return enrollKeys.list(ctx, ks.s.read(ctx), s, filter{}, page)
}

// Revoke keeps the first revocation time when called again.
func (ks enrollKeyStore) Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error {
	if !domain.ValidID(id) {
		return notFound("enrollment key")
	}
	if at.IsZero() {
		at = now()
	}
	args := []any{micros(at), id}
	where := tenantScope.where(s, "", &args)
	return ks.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE enrollment_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND "+where, args...)
		return oneRow(res, err, "revoke enrollment key", "enrollment key")
	})
}

// Use spends one use with a single conditional UPDATE. Writes are serialised
// on the one writer connection, so each call sees the uses of the previous
// one: MaxUses concurrent calls succeed and the rest find no usable row.
func (ks enrollKeyStore) Use(ctx context.Context, keyHash string, at time.Time) (*domain.EnrollmentKey, error) {
	if keyHash == "" || len(keyHash) > 128 {
		return nil, notFound("enrollment key")
	}
	if at.IsZero() {
		at = now()
	}
	var out *domain.EnrollmentKey
	err := ks.s.write(ctx, func(q queryer) (err error) {
		out, err = scanEnrollKey(q.QueryRowContext(ctx, "UPDATE enrollment_keys SET uses = uses + 1"+
			" WHERE key_hash = ? AND revoked_at IS NULL AND expires_at > ? AND (max_uses = 0 OR uses < max_uses)"+
			" RETURNING "+enrollKeyCols, keyHash, micros(at)))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("enrollment key")
		}
		return failure{op: "use enrollment key"}.wrap(err)
	})
	return out, err
}

var _ ports.EnrollmentKeyStore = enrollKeyStore{}
