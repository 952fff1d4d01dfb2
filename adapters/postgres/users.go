package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type userStore struct{ q querier }

var _ ports.UserStore = userStore{}

const userCols = "id, partner_id, coalesce(org_id::text, ''), email, name, status, password_hash, totp_secret," +
	" totp_last_step, last_login_at, version, created_at, updated_at, totp_pending"

func scanUser(row pgx.Row) (*domain.User, error) {
	var u domain.User
	var lastLogin *time.Time
	if err := row.Scan(&u.ID, &u.PartnerID, &u.OrgID, &u.Email, &u.Name, &u.Status, &u.PasswordHash, &u.TOTPSecret,
		&u.TOTPLastStep, &lastLogin, &u.Version, &u.CreatedAt, &u.UpdatedAt, &u.TOTPPending); err != nil {
		return nil, err
	}
	u.LastLoginAt = fromOpt(lastLogin)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

// Create adds a user to a partner the scope covers, or to an org of that
// partner the scope covers at org level. The row is built from the parent
// selected in scope, so an uncovered parent inserts nothing.
func (st userStore) Create(ctx context.Context, s domain.Scope, u *domain.User) error {
	ctx = tenant(ctx, s)
	if err := u.Validate(); err != nil {
		return err
	}
	if !domain.ValidID(u.PartnerID) {
		return notFound("partner")
	}
	if u.OrgID != "" && !domain.ValidID(u.OrgID) {
		return notFound("organization")
	}
	id, err := newID(u.ID)
	if err != nil {
		return err
	}
	t := now()
	a := args{id, u.PartnerID, u.Email, u.Name, string(u.Status), u.PasswordHash, u.TOTPSecret, u.TOTPLastStep, t, u.TOTPPending}
	const insert = `INSERT INTO users (id, partner_id, org_id, email, name, status, password_hash, totp_secret,
			totp_last_step, version, created_at, updated_at, totp_pending) `
	var sql string
	if u.OrgID == "" {
		sql = insert + `SELECT $1, p.id, NULL, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10 FROM partners p
			WHERE p.id = $2 AND ` + partnerScope.where(s, &a, "p.")
	} else {
		sql = insert + `SELECT $1, o.partner_id, o.id, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10 FROM organizations o
			WHERE o.id = ` + a.add(u.OrgID) + `::uuid AND o.partner_id = $2 AND ` + orgWrite.where(s, &a, "o.")
	}
	tag, err := st.q.Exec(ctx, sql, a...)
	if err != nil {
		return translate("create user", err, u.Email)
	}
	if tag.RowsAffected() == 0 {
		return st.explainParent(ctx, s, u)
	}
	u.ID, u.Version, u.CreatedAt, u.UpdatedAt, u.LastLoginAt = id, 1, t, t, time.Time{}
	return nil
}

// explainParent says why Create found no parent: an org the scope covers
// under another partner is ErrInvalid; anything else is ErrNotFound.
func (st userStore) explainParent(ctx context.Context, s domain.Scope, u *domain.User) error {
	if u.OrgID == "" {
		return notFound("partner")
	}
	o, err := (orgStore{q: st.q}).Get(ctx, s, u.OrgID)
	if err != nil || !s.CoversOrg(o.PartnerID, o.ID) {
		return notFound("organization")
	}
	if o.PartnerID != u.PartnerID {
		return domain.Invalidf("organization %s is not in partner %s", o.ID, u.PartnerID)
	}
	return notFound("organization") // the rows changed meanwhile
}

func (st userStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.User, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("user")
	}
	a := args{id}
	return st.one(ctx, "get user", "SELECT "+userCols+" FROM users WHERE id = $1 AND "+userScope.where(s, &a, ""), a)
}

func (st userStore) List(ctx context.Context, s domain.Scope, f ports.UserFilter, page domain.PageRequest) (domain.Page[*domain.User], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{userScope.where(s, &a, "")}
	where = filterID(where, &a, "org_id", f.OrgID)
	if f.Query != "" {
		p := a.add(likePattern(f.Query))
		where = append(where, `(email ILIKE `+p+` ESCAPE '\' OR name ILIKE `+p+` ESCAPE '\')`)
	}
	tail, page, err := pageQuery(page, &a, where)
	if err != nil {
		return domain.Page[*domain.User]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+userCols+" FROM users"+tail, a, scanUser)
	if err != nil {
		return domain.Page[*domain.User]{}, translate("list users", err)
	}
	return finishPage(items, page.Limit, func(u *domain.User) string { return u.ID }), nil
}

// Update changes Email, Name, Status, PasswordHash, TOTPSecret,
// TOTPLastStep and TOTPPending when u.Version is the stored one. PartnerID and OrgID are
// ignored: a user never moves between tenants.
func (st userStore) Update(ctx context.Context, s domain.Scope, u *domain.User) (*domain.User, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(u.ID) {
		return nil, notFound("user")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	a := args{u.ID, u.Version, u.Email, u.Name, string(u.Status), u.PasswordHash, u.TOTPSecret, u.TOTPLastStep, now(), u.TOTPPending}
	out, err := scanUser(st.q.QueryRow(ctx, `UPDATE users SET email = $3, name = $4, status = $5, password_hash = $6,
			totp_secret = $7, totp_pending = $10,
			totp_last_step = CASE WHEN totp_secret = $7 THEN GREATEST(totp_last_step, $8) ELSE $8 END, version = version + 1, updated_at = $9
		WHERE id = $1 AND version = $2 AND `+userScope.where(s, &a, "")+" RETURNING "+userCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missedUpdate(ctx, st.q, "users", userScope, s, u.ID, u.Version, "user")
	}
	if err != nil {
		return nil, translate("update user", err, u.Email)
	}
	return out, nil
}

// Delete removes a user; its grants, API keys and refresh tokens go with it
// (ON DELETE CASCADE).
func (st userStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	ctx = tenant(ctx, s)
	return deleteRow(ctx, st.q, "users", userScope, s, id, "user")
}

// GetByEmail matches the address case-insensitively, as the unique index
// does (and so uses that index); the caller normalises it anyway.
func (st userStore) GetByEmail(ctx context.Context, email string) (*domain.User, error) {
	ctx = system(ctx)
	if email == "" || !storable(email) {
		return nil, notFound("user")
	}
	return st.one(ctx, "get user by email", "SELECT "+userCols+" FROM users WHERE lower(email) = lower($1)", args{email})
}

func (st userStore) GetByID(ctx context.Context, id string) (*domain.User, error) {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return nil, notFound("user")
	}
	return st.one(ctx, "get user", "SELECT "+userCols+" FROM users WHERE id = $1", args{id})
}

// RecordLogin is one conditional UPDATE, so of several sign-ins racing with
// the same TOTP step exactly one passes. It changes neither Version nor
// UpdatedAt: a sign-in is not an edit and must not make an admin's edit stale.
func (st userStore) RecordLogin(ctx context.Context, id string, at time.Time, totpStep int64) error {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return notFound("user")
	}
	if at.IsZero() {
		at = now()
	}
	sql, a := "UPDATE users SET last_login_at = $2 WHERE id = $1", args{id, stamp(at)}
	if totpStep > 0 {
		sql, a = "UPDATE users SET last_login_at = $2, totp_last_step = $3 WHERE id = $1 AND totp_last_step < $3",
			append(a, totpStep)
	}
	tag, err := st.q.Exec(ctx, sql, a...)
	if err != nil {
		return translate("record login", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var exists bool
	if err := st.q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", id).Scan(&exists); err != nil {
		return translate("record login", err)
	}
	if !exists {
		return notFound("user")
	}
	return domain.Conflictf("this TOTP code was already used")
}

func (st userStore) Count(ctx context.Context) (int64, error) {
	ctx = system(ctx)
	var n int64
	if err := st.q.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, translate("count users", err)
	}
	return n, nil
}

// one reads a single user; no row is ErrNotFound.
func (st userStore) one(ctx context.Context, op, sql string, a args) (*domain.User, error) {
	u, err := scanUser(st.q.QueryRow(ctx, sql, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, translate(op, err)
	}
	return u, nil
}
