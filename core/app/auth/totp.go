package auth

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// TOTPEnrolment is a fresh secret for the user's authenticator app.
type TOTPEnrolment struct {
	Secret     string
	OTPAuthURL string
}

// BeginTOTP makes a secret for the signed-in user. Nothing is stored until
// ConfirmTOTP proves the authenticator produces its codes.
func (s *Service) BeginTOTP(ctx context.Context, p *domain.Principal) (*TOTPEnrolment, error) {
	secret, url, err := s.d.TOTP.Generate(p.Email)
	if err != nil {
		return nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	return &TOTPEnrolment{Secret: secret, OTPAuthURL: url}, nil
}

// ConfirmTOTP stores secret as the user's second factor when code matches it.
// A user who already has one must present a code of the current secret too
// (replacing a factor needs the old factor).
func (s *Service) ConfirmTOTP(ctx context.Context, p *domain.Principal, secret, code, currentCode string) error {
	if p.Kind != domain.PrincipalUser {
		return domain.Forbiddenf("only a signed-in user can enrol a second factor")
	}
	u, err := s.d.Store.Users().GetByID(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	now := s.d.Clock.Now()
	if u.TOTPEnabled() {
		if _, ok := s.d.TOTP.ValidateStep(currentCode, u.TOTPSecret, now); !ok {
			return domain.Invalidf("the code of your current authenticator is wrong")
		}
	}
	step, ok := s.d.TOTP.ValidateStep(code, secret, now)
	if !ok {
		return domain.Invalidf("the code does not match the new secret")
	}
	u.TOTPSecret, u.TOTPLastStep = secret, step
	if _, err := s.d.Store.Users().Update(ctx, domain.GlobalScope(), u); err != nil {
		return fmt.Errorf("store second factor: %w", err)
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	return nil
}
