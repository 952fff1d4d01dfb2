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

type userStore struct{ s *Store }

const userCols = "id, partner_id, org_id, email, name, status, password_hash, totp_secret, totp_last_step, last_login_at, version, created_at, updated_at," +
	" totp_pending"

var users = &table[*domain.User]{
	name:  "users",
	what:  "user",
	cols:  userCols,
	read:  userScope,
	write: userScope,
	scan:  scanUser,
	idOf:  func(u *domain.User) string { return u.ID },
	failOn: failure{
		unique: "email already in use",
	},
}

func scanUser(r rowScanner) (*domain.User, error) {
	var u domain.User
	var org sql.NullString
	var status string
	var lastLogin sql.NullInt64
	var created, updated int64
	if err := r.Scan(&u.ID, &u.PartnerID, &org, &u.Email, &u.Name, &status, &u.PasswordHash, &u.TOTPSecret,
		&u.TOTPLastStep, &lastLogin, &u.Version, &created, &updated, &u.TOTPPending); err != nil {
		return nil, err
	}
	u.OrgID, u.Status = org.String, domain.UserStatus(status)
	if lastLogin.Valid {
		u.LastLoginAt = fromMicros(lastLogin.Int64)
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

// Create adds a user to a partner the scope covers or, with OrgID set, to
// an org the scope covers at org level; PartnerID is then taken from the org.
func (us userStore) Create(ctx context.Context, s domain.Scope, u *domain.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	id, err := newID("user", u.ID)
	if err != nil {
		return err
	}
	t := micros(now())
	var out *domain.User
	err = us.s.write(ctx, func(q queryer) error {
		partnerID, err := userParent(ctx, q, s, u.PartnerID, u.OrgID)
		if err != nil {
			return err
		}
		out, err = scanUser(q.QueryRowContext(ctx, "INSERT INTO users ("+userCols+")"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING "+userCols,
			id, partnerID, nullString(u.OrgID), u.Email, u.Name, string(u.Status), u.PasswordHash, u.TOTPSecret,
			u.TOTPLastStep, nullMicros(u.LastLoginAt), t, t, u.TOTPPending))
		return failure{
			op:      "create user",
			unique:  "email already in use",
			dup:     fmt.Sprintf("user %s already exists", id),
			missing: "partner or organization not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*u = *out
	return nil
}

// userParent checks where a new user goes and returns its partner: the org's
// when orgID is set (covered at org level), else partnerID (covered).
func userParent(ctx context.Context, q queryer, s domain.Scope, partnerID, orgID string) (string, error) {
	if orgID != "" {
		orgPartnerID, err := orgPartner(ctx, q, s, orgID)
		if err != nil {
			return "", err
		}
		if partnerID != "" && partnerID != orgPartnerID {
			return "", domain.Invalidf("organization is not in partner %s", partnerID)
		}
		return orgPartnerID, nil
	}
	if partnerID == "" {
		return "", domain.Invalidf("user partner is required")
	}
	if err := partnerCovered(ctx, q, s, partnerID); err != nil {
		return "", err
	}
	return partnerID, nil
}

// partnerCovered answers ErrNotFound unless the scope covers the partner.
func partnerCovered(ctx context.Context, q queryer, s domain.Scope, partnerID string) error {
	if !domain.ValidID(partnerID) {
		return notFound("partner")
	}
	args := []any{partnerID}
	where := partnerScope.where(s, "", &args)
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM partners WHERE id = ? AND "+where, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("partner")
	}
	if err != nil {
		return failure{op: "read partner"}.wrap(err)
	}
	return nil
}

func (us userStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.User, error) {
	return users.get(ctx, us.s.read(ctx), s, id)
}

func (us userStore) List(ctx context.Context, s domain.Scope, f ports.UserFilter, page domain.PageRequest) (domain.Page[*domain.User], error) {
	var flt filter
	if f.OrgID != "" {
		flt.tenant("org_id", f.OrgID)
	}
	if f.Query != "" {
		flt.containsAny(f.Query, "email", "name")
	}
	return users.list(ctx, us.s.read(ctx), s, flt, page)
}

// userSet is Update's SET list. While the TOTP secret stays the same the
// stored step never goes back: an Update built from a read taken before a
// sign-in must not reopen the window of a code already used (steps count
// time, so a new secret keeps them growing too).
const userSet = "email = ?, name = ?, status = ?, password_hash = ?, totp_secret = ?," +
	" totp_last_step = CASE WHEN totp_secret = ? THEN max(totp_last_step, ?) ELSE ? END, totp_pending = ?"

func (us userStore) Update(ctx context.Context, s domain.Scope, u *domain.User) (*domain.User, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var out *domain.User
	err := us.s.write(ctx, func(q queryer) (err error) {
		out, err = users.update(ctx, q, s, u.ID, u.Version, userSet, u.Email, u.Name, string(u.Status), u.PasswordHash,
			u.TOTPSecret, u.TOTPSecret, u.TOTPLastStep, u.TOTPLastStep, u.TOTPPending)
		return err
	})
	return out, err
}

// Delete removes the user with its grants, API keys and refresh tokens
// (ON DELETE CASCADE).
func (us userStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return us.s.write(ctx, func(q queryer) error { return users.delete(ctx, q, s, id) })
}

func (us userStore) GetByEmail(ctx context.Context, email string) (*domain.User, error) {
	if email == "" {
		return nil, notFound("user")
	}
	u, err := scanUser(us.s.read(ctx).QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE email = ?", email))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, failure{op: "get user by email"}.wrap(err)
	}
	return u, nil
}

func (us userStore) GetByID(ctx context.Context, id string) (*domain.User, error) {
	return users.get(ctx, us.s.read(ctx), domain.GlobalScope(), id)
}

// RecordLogin is one conditional UPDATE, so two sign-ins racing with the
// same TOTP code cannot both pass. It changes neither Version nor UpdatedAt:
// a sign-in is not an edit, and must not make an admin's edit stale.
func (us userStore) RecordLogin(ctx context.Context, id string, at time.Time, totpStep int64) error {
	if !domain.ValidID(id) {
		return notFound("user")
	}
	if at.IsZero() {
		at = now()
	}
	return us.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE users SET last_login_at = ?,"+
			" totp_last_step = CASE WHEN ? > 0 THEN ? ELSE totp_last_step END"+
			" WHERE id = ? AND (? <= 0 OR totp_last_step < ?)",
			micros(at), totpStep, totpStep, id, totpStep, totpStep)
		if err != nil {
			return failure{op: "record login"}.wrap(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return failure{op: "record login"}.wrap(err)
		}
		if n > 0 {
			return nil
		}
		var one int
		err = q.QueryRowContext(ctx, "SELECT 1 FROM users WHERE id = ?", id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user")
		}
		if err != nil {
			return failure{op: "record login"}.wrap(err)
		}
		return domain.Conflictf("this TOTP code was already used")
	})
}

func (us userStore) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := us.s.read(ctx).QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, failure{op: "count users"}.wrap(err)
	}
	return n, nil
}

var _ ports.UserStore = userStore{}
