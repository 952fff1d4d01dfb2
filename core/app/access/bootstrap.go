package access

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// BootstrapInput names the first partner and its administrator.
type BootstrapInput struct {
	PartnerName string // default "Default Partner"
	Email       string
	Name        string // default: the email
	Password    string
	// Orgs and sites to create under the partner, e.g. the demo's
	// "Demo Customer" with site "HQ". Optional.
	Orgs []BootstrapOrg
}

// BootstrapOrg is an org with its sites.
type BootstrapOrg struct {
	Name  string
	Sites []string
}

// BootstrapResult is what Bootstrap created.
type BootstrapResult struct {
	Partner *domain.Partner
	User    *domain.User
	Orgs    []*domain.Organization
	Sites   []*domain.Site
}

// ErrAlreadyBootstrapped: the database already has users; bootstrap never
// runs twice, so no request can ever use it to mint an account.
var ErrAlreadyBootstrapped = domain.Conflictf("Breeze is already set up: users exist")

// Bootstrap creates the first partner and its administrator on an empty
// database, in one transaction. The administrator is the platform owner
// (Platform Admin, global) and the partner's Partner Admin.
func Bootstrap(ctx context.Context, st ports.Store, hasher ports.PasswordHasher, in BootstrapInput) (*BootstrapResult, error) {
	if in.PartnerName == "" {
		in.PartnerName = "Default Partner"
	}
	if in.Name == "" {
		in.Name = in.Email
	}
	if err := CheckPassword(in.Password); err != nil {
		return nil, err
	}
	hash, err := hasher.Hash(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	all := domain.GlobalScope()
	res := &BootstrapResult{}
	err = st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		n, err := tx.Users().Count(ctx)
		if err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if n > 0 {
			return ErrAlreadyBootstrapped
		}
		p := &domain.Partner{Name: in.PartnerName}
		if err := tx.Partners().Create(ctx, all, p); err != nil {
			return fmt.Errorf("create partner: %w", err)
		}
		u := &domain.User{PartnerID: p.ID, Email: in.Email, Name: in.Name, Status: domain.UserActive}
		if err := u.Validate(); err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := tx.Users().Create(ctx, all, u); err != nil {
			return fmt.Errorf("create administrator: %w", err)
		}
		for _, a := range []*domain.RoleAssignment{
			{UserID: u.ID, RoleID: domain.RolePlatformAdmin},
			{UserID: u.ID, RoleID: domain.RolePartnerAdmin, PartnerID: p.ID},
		} {
			if err := tx.RoleAssignments().Create(ctx, all, a); err != nil {
				return fmt.Errorf("grant administrator: %w", err)
			}
		}
		res.Partner, res.User = p, u
		for _, bo := range in.Orgs {
			o := &domain.Organization{PartnerID: p.ID, Name: bo.Name}
			if err := tx.Orgs().Create(ctx, all, o); err != nil {
				return fmt.Errorf("create organization %q: %w", bo.Name, err)
			}
			res.Orgs = append(res.Orgs, o)
			for _, sn := range bo.Sites {
				s := &domain.Site{OrgID: o.ID, Name: sn}
				if err := tx.Sites().Create(ctx, all, s); err != nil {
					return fmt.Errorf("create site %q: %w", sn, err)
				}
				res.Sites = append(res.Sites, s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
