package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// ErrTOTPRequired: the password was right and the user has a second factor;
// the client must ask for the code and sign in again with it.
var ErrTOTPRequired = fmt.Errorf("%w: a second-factor code is required", domain.ErrUnauthenticated)

// errBadCredentials is the one answer for an unknown email, a wrong password,
// a disabled user or a wrong code, so nothing tells them apart.
var errBadCredentials = domain.Unauthenticatedf("invalid email, password or code")

// LoginInput is a sign-in attempt.
type LoginInput struct {
	Email    string
	Password string
	TOTP     string
	Client   Client
}

// Login checks the credentials and opens a session (a new refresh family).
func (s *Service) Login(ctx context.Context, in LoginInput) (*Session, error) {
	audit.SetActor(ctx, "anonymous", "")
	email, emailErr := domain.NormalizeEmail(in.Email)
	account := email
	if emailErr != nil {
		account = ""
	}

	u, err := s.findUser(ctx, email, emailErr)
	if err != nil {
		return nil, err
	}
	// Counted only once the look-up answered: an attempt that failed because
	// the database was down (ErrUnavailable) must not lock the account out.
	if err := s.throttle(ctx, "login", account, in.Client.IP); err != nil {
		return nil, err
	}
	if u == nil {
		s.d.Hasher.DummyVerify(in.Password) // same time as a real check
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"unknown_email"}`)
		return nil, errBadCredentials
	}
	audit.SetActor(ctx, "user", u.ID)
	audit.SetResource(ctx, "user", u.ID, u.PartnerID, u.OrgID)

	ok, rehash, err := s.d.Hasher.Verify(in.Password, u.PasswordHash)
	if err != nil && !errors.Is(err, domain.ErrInvalid) {
		return nil, fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"wrong_password"}`)
		return nil, errBadCredentials
	}
	if u.Status != domain.UserActive {
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"user_disabled"}`)
		return nil, errBadCredentials
	}

	var step int64
	if u.TOTPEnabled() {
		if in.TOTP == "" {
			audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"totp_required"}`)
			return nil, ErrTOTPRequired
		}
		secret, err := s.openTOTP(u.ID, u.TOTPSecret)
		if err != nil {
			return nil, err
		}
		st, valid := s.d.TOTP.ValidateStep(in.TOTP, secret, s.d.Clock.Now())
		if !valid || st <= u.TOTPLastStep {
			audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"wrong_or_replayed_totp"}`)
			return nil, errBadCredentials
		}
		step = st
	}

	if rehash {
		if h, err := s.d.Hasher.Hash(in.Password); err == nil {
			u.PasswordHash = h
			if nu, err := s.d.Store.Users().Update(ctx, domain.GlobalScope(), u); err == nil {
				u = nu
			}
		}
	}
	if err := s.d.Store.Users().RecordLogin(ctx, u.ID, s.d.Clock.Now(), step); err != nil {
		if errors.Is(err, domain.ErrConflict) { // the same code won a concurrent sign-in
			audit.SetOutcome(ctx, domain.OutcomeFailure, `{"reason":"replayed_totp"}`)
			return nil, errBadCredentials
		}
		s.forgiveUnavailable(ctx, err, email, in.Client.IP)
		return nil, fmt.Errorf("record login: %w", err)
	}
	s.forgive(ctx, email, in.Client.IP)

	sess, err := s.open(ctx, u, in.Client)
	if err != nil {
		s.forgiveUnavailable(ctx, err, email, in.Client.IP)
		return nil, err
	}
	audit.SetOutcome(ctx, domain.OutcomeSuccess, "")
	return sess, nil
}

func (s *Service) findUser(ctx context.Context, email string, emailErr error) (*domain.User, error) {
	if emailErr != nil {
		return nil, nil
	}
	u, err := s.d.Store.Users().GetByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}
