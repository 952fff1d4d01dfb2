package access

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// NewUser is the input of CreateUser. PartnerID defaults to the caller's
// partner; OrgID makes the user one of that customer's own staff.
type NewUser struct {
	PartnerID, OrgID string
	Email, Name      string
	Password         string
}

// CreateUser adds a user in a unit the caller holds users:write over.
// The user has no role until a grant gives one.
func (s *Service) CreateUser(ctx context.Context, p *domain.Principal, in NewUser) (*domain.User, error) {
	unit, err := s.resolveUnit(ctx, p, domain.Unit{PartnerID: in.PartnerID, OrgID: in.OrgID}, domain.PermUsersWrite)
	if err != nil {
		return nil, err
	}
	u := &domain.User{PartnerID: unit.PartnerID, OrgID: unit.OrgID, Email: in.Email, Name: in.Name, Status: domain.UserActive}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := CheckPassword(in.Password); err != nil {
		return nil, err
	}
	if u.PasswordHash, err = s.d.Hasher.Hash(in.Password); err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if err := s.d.Store.Users().Create(ctx, p.ScopeFor(domain.PermUsersWrite), u); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	return u, nil
}

// UserPatch lists the fields UpdateUser may change; nil leaves one alone.
type UserPatch struct {
	Email    *string
	Name     *string
	Status   *domain.UserStatus
	Password *string
	// Version must match the stored one (optimistic concurrency); required.
	Version int64
}

// UpdateUser edits a user. Disabling a user or changing their password ends
// every session they have. Nobody edits a user who holds more than they do.
func (s *Service) UpdateUser(ctx context.Context, p *domain.Principal, id string, patch UserPatch) (*domain.User, error) {
	if err := domain.RequireVersion(patch.Version); err != nil {
		return nil, err
	}
	scope := p.ScopeFor(domain.PermUsersWrite)
	u, err := s.d.Store.Users().Get(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	// Editing yourself needs no rank check, but an API key is never "you":
	// a narrow key must not reset its owner's password and become the owner.
	if u.ID != p.UserID || p.Kind != domain.PrincipalUser {
		if higher, err := s.outranks(ctx, p, u.ID); err != nil {
			return nil, err
		} else if higher {
			return nil, domain.Forbiddenf("this user holds permissions you do not hold")
		}
	}
	endSessions := false
	if patch.Version != 0 {
		u.Version = patch.Version
	}
	if patch.Email != nil {
		u.Email = *patch.Email
	}
	if patch.Name != nil {
		u.Name = *patch.Name
	}
	if patch.Status != nil {
		if *patch.Status != u.Status && u.ID == p.UserID {
			return nil, domain.Invalidf("you cannot change your own status")
		}
		endSessions = endSessions || *patch.Status == domain.UserDisabled
		u.Status = *patch.Status
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if patch.Password != nil {
		if u.ID == p.UserID {
			// Never without the current password (a stolen session or a key
			// must not take the account over): auth.ChangePassword asks.
			return nil, domain.Invalidf("change your own password with POST /auth/password, which asks for the current one")
		}
		if err := CheckPassword(*patch.Password); err != nil {
			return nil, err
		}
		if u.PasswordHash, err = s.d.Hasher.Hash(*patch.Password); err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
		endSessions = true
	}
	nu, err := s.d.Store.Users().Update(ctx, scope, u)
	if err != nil {
		return nil, err
	}
	if endSessions {
		if _, err := s.d.Store.RefreshTokens().RevokeUser(ctx, u.ID, s.d.Clock.Now()); err != nil {
			return nil, fmt.Errorf("end sessions: %w", err)
		}
		s.userEnded(ctx, u.ID)
	}
	s.accessChanged(ctx, u.ID)
	return nu, nil
}

// DeleteUser removes a user, their grants and sessions.
func (s *Service) DeleteUser(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(domain.PermUsersWrite)
	u, err := s.d.Store.Users().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	if u.ID == p.UserID {
		return domain.Invalidf("you cannot delete yourself")
	}
	if higher, err := s.outranks(ctx, p, u.ID); err != nil {
		return err
	} else if higher {
		return domain.Forbiddenf("this user holds permissions you do not hold")
	}
	if _, err := s.d.Store.RefreshTokens().RevokeUser(ctx, u.ID, s.d.Clock.Now()); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	s.userEnded(ctx, u.ID)
	if err := s.d.Store.Users().Delete(ctx, scope, id); err != nil {
		return err
	}
	s.accessChanged(ctx, u.ID) // its API keys' principals
	return nil
}

func (s *Service) userEnded(ctx context.Context, userID string) {
	if s.d.Revocations != nil {
		s.d.Revocations.UserEnded(ctx, userID)
	}
}

// accessChanged is called after a change to what userID may do is stored
// ("" for anyone's), so no node keeps a principal built before it.
func (s *Service) accessChanged(ctx context.Context, userID string) {
	if s.d.Revocations != nil {
		s.d.Revocations.AccessChanged(ctx, userID)
	}
}
