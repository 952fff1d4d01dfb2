package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// IdentityStore holds users, roles, grants, API keys, refresh tokens and the
// audit log. Same rules as Store: scoped methods behave as if rows outside
// the scope did not exist. Methods without a scope serve authentication and
// system jobs only; the HTTP edge never exposes them directly.
type IdentityStore interface {
	Users() UserStore
	Roles() RoleStore
	RoleAssignments() RoleAssignmentStore
	APIKeys() APIKeyStore
	RefreshTokens() RefreshTokenStore
	Audit() AuditStore
}

// UserFilter narrows a user list.
type UserFilter struct {
	OrgID string
	Query string // case-insensitive substring of email or name
}

// UserStore keeps users. A user is visible when the scope covers its org
// (OrgID set) or its partner (OrgID empty). Email is unique across Breeze.
type UserStore interface {
	Create(ctx context.Context, s domain.Scope, u *domain.User) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.User, error)
	List(ctx context.Context, s domain.Scope, f UserFilter, page domain.PageRequest) (domain.Page[*domain.User], error)
	// Update changes Email, Name, Status, PasswordHash, TOTPSecret,
	// TOTPPending and TOTPLastStep — but while the secret is unchanged it never lowers the
	// stored step (an edit built from a stale read must not reopen a code).
	Update(ctx context.Context, s domain.Scope, u *domain.User) (*domain.User, error)
	Delete(ctx context.Context, s domain.Scope, id string) error

	// GetByEmail finds a user for sign-in (unscoped). Email is normalised by the caller.
	GetByEmail(ctx context.Context, email string) (*domain.User, error)
	// GetByID reads a user for authentication (unscoped).
	GetByID(ctx context.Context, id string) (*domain.User, error)
	// RecordLogin sets LastLoginAt, and TOTPLastStep when step > the stored
	// one; a step not greater than the stored one is ErrConflict (a replayed code).
	RecordLogin(ctx context.Context, id string, at time.Time, totpStep int64) error
	// Count returns the number of users (bootstrap runs on an empty database only).
	Count(ctx context.Context) (int64, error)
}

// RoleStore keeps roles. Built-in roles are visible to every non-empty scope
// and immutable (Update/Delete → ErrInvalid). A custom role is readable when
// the scope touches its partner (the partner, or one of its orgs or sites),
// writable when the scope covers the partner. Names are unique per partner.
type RoleStore interface {
	Create(ctx context.Context, s domain.Scope, r *domain.Role) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Role, error)
	List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.Role], error)
	// Update changes Name, Description, Permissions.
	Update(ctx context.Context, s domain.Scope, r *domain.Role) (*domain.Role, error)
	// Delete fails with ErrConflict while the role is assigned.
	Delete(ctx context.Context, s domain.Scope, id string) error
}

// RoleAssignmentFilter narrows a grant list.
type RoleAssignmentFilter struct {
	UserID string
	RoleID string
}

// RoleAssignmentStore keeps grants. A grant is visible when the scope covers
// its unit; creating one needs the unit covered, the user and role visible,
// and the unit inside the user's partner (ErrInvalid otherwise). The same
// (user, role, unit) twice is ErrConflict.
type RoleAssignmentStore interface {
	Create(ctx context.Context, s domain.Scope, a *domain.RoleAssignment) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.RoleAssignment, error)
	List(ctx context.Context, s domain.Scope, f RoleAssignmentFilter, page domain.PageRequest) (domain.Page[*domain.RoleAssignment], error)
	Delete(ctx context.Context, s domain.Scope, id string) error

	// GrantsOf returns every grant of a user with its role's permissions
	// (unscoped: it builds the principal of a request).
	GrantsOf(ctx context.Context, userID string) ([]domain.Grant, error)
}

// APIKeyStore keeps API keys. A key is visible when the scope covers its unit.
type APIKeyStore interface {
	Create(ctx context.Context, s domain.Scope, k *domain.APIKey) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.APIKey, error)
	List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.APIKey], error)
	// Revoke sets RevokedAt (idempotent: revoking twice keeps the first time).
	Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error

	// GetByHash finds a key for authentication (unscoped), revoked or not.
	GetByHash(ctx context.Context, secretHash string) (*domain.APIKey, error)
	// Touch records a use; callers may throttle it.
	Touch(ctx context.Context, id string, at time.Time) error
}

// RefreshTokenStore keeps refresh-token families. All methods are unscoped:
// a refresh token is its own credential.
type RefreshTokenStore interface {
	Create(ctx context.Context, t *domain.RefreshToken) error
	// Rotate spends the unspent, unrevoked, unexpired token with tokenHash
	// and stores next (same family) in one transaction. Exactly one of
	// several concurrent Rotate calls on one token wins. Otherwise it returns
	// the token as stored with ErrConflict when it was already spent or
	// revoked or has expired (the caller decides replay or grace), or
	// ErrNotFound when no token has that hash.
	Rotate(ctx context.Context, tokenHash string, next *domain.RefreshToken, now time.Time) (*domain.RefreshToken, error)
	// RevokeFamily revokes every token of the family; it returns how many
	// were still unrevoked.
	RevokeFamily(ctx context.Context, familyID string, at time.Time) (int64, error)
	// RevokeUser revokes every family of the user (disable, password change).
	RevokeUser(ctx context.Context, userID string, at time.Time) (int64, error)
	// FamilyActive reports whether the family has an unrevoked, unexpired token.
	FamilyActive(ctx context.Context, familyID string, now time.Time) (bool, error)
}

// AuditFilter narrows an audit list. Zero fields do not filter.
type AuditFilter struct {
	ActorID      string
	Action       string
	ResourceType string
	ResourceID   string
	OrgID        string
	From, To     time.Time // [From, To)
}

// AuditStore is the append-only, hash-chained audit log.
type AuditStore interface {
	// Append fills ID (when empty), Seq, At (when zero), PrevHash and Hash
	// (domain.AuditEntry.ComputeHash) and stores the row. Appends are
	// serialised so the chain has no forks, even across server nodes.
	Append(ctx context.Context, e *domain.AuditEntry) error
	// List returns rows visible to the scope, newest first. A row is visible
	// when the scope covers its org (OrgID set), else its partner (PartnerID
	// set), else only to the global scope.
	List(ctx context.Context, s domain.Scope, f AuditFilter, page domain.PageRequest) (domain.Page[*domain.AuditEntry], error)
	// Verify walks the chain in Seq order and returns the first broken link
	// (nil when intact) and how many rows it checked.
	Verify(ctx context.Context) (broken *domain.AuditBreak, checked int64, err error)
}
