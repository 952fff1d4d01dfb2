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

// BeginTOTP makes a secret for the signed-in user and keeps it, sealed, as
// the user's pending enrolment: the server chooses every secret, so a
// client cannot plant one it shares with someone else. The secret is shown
// this once; ConfirmTOTP makes it the factor when a code of it is right.
// Beginning again replaces a pending secret.
func (s *Service) BeginTOTP(ctx context.Context, p *domain.Principal) (*TOTPEnrolment, error) {
	if p.Kind != domain.PrincipalUser {
		return nil, domain.Forbiddenf("only a signed-in user can enrol a second factor")
	}
	u, err := s.d.Store.Users().GetByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	secret, url, err := s.d.TOTP.Generate(p.Email)
	if err != nil {
		return nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	if u.TOTPPending, err = s.sealTOTP(u.ID, secret); err != nil {
		return nil, err
	}
	if _, err := s.d.Store.Users().Update(ctx, domain.GlobalScope(), u); err != nil {
		return nil, fmt.Errorf("store the pending second factor: %w", err)
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	return &TOTPEnrolment{Secret: secret, OTPAuthURL: url}, nil
}

// ConfirmTOTP makes the pending secret the user's second factor when code
// is a code of it. A user who already has a factor must present a code of
// the current one too (replacing a factor needs the old factor). Every
// check counts against the sign-in limits of the account from c.IP.
func (s *Service) ConfirmTOTP(ctx context.Context, p *domain.Principal, code, currentCode string, c Client) error {
	if p.Kind != domain.PrincipalUser {
		return domain.Forbiddenf("only a signed-in user can enrol a second factor")
	}
	if err := s.throttle(ctx, "totp", p.Email, c.IP); err != nil {
		return err
	}
	u, err := s.d.Store.Users().GetByID(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)
	if u.TOTPPending == "" {
		return domain.Invalidf("no enrolment in progress: begin one with POST /auth/totp/enroll")
	}
	now := s.d.Clock.Now()
	if u.TOTPEnabled() {
		current, err := s.openTOTP(u.ID, u.TOTPSecret)
		if err != nil {
			return err
		}
		if _, ok := s.d.TOTP.ValidateStep(currentCode, current, now); !ok {
			audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"wrong_current_totp"}`)
			return domain.Invalidf("the code of your current authenticator is wrong")
		}
	}
	pending, err := s.openTOTP(u.ID, u.TOTPPending)
	if err != nil {
		return err
	}
	step, ok := s.d.TOTP.ValidateStep(code, pending, now)
	if !ok {
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"wrong_new_totp"}`)
		return domain.Invalidf("the code does not match the new secret")
	}
	u.TOTPSecret, u.TOTPLastStep, u.TOTPPending = u.TOTPPending, step, ""
	if _, err := s.d.Store.Users().Update(ctx, domain.GlobalScope(), u); err != nil {
		return fmt.Errorf("store second factor: %w", err)
	}
	s.forgive(ctx, p.Email, c.IP)
	if s.d.Revocations != nil {
		s.d.Revocations.AccessChanged(ctx, u.ID) // no longer bound to enrol
	}
	return nil
}
