package auth

import (
	"context"
	"errors"
	"strconv"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// throttle counts one attempt to prove a password or a code for account
// (a normalised email; "" when the input named none) from ip: against the
// address, then against each of the account's tiers for that address.
// Sign-in, second-factor replacement and password change share it, so a
// stolen session guesses a code no faster than a sign-in form.
func (s *Service) throttle(ctx context.Context, what, account, ip string) error {
	if err := s.limit(ctx, what, "login:ip:"+ip, s.d.Limits.PerIP); err != nil {
		return err
	}
	if account == "" {
		return nil
	}
	for i, l := range s.d.Limits.PerAccountIP {
		if err := s.limit(ctx, what, tierKey(i, account, ip), l); err != nil {
			return err
		}
	}
	return nil
}

// forgive clears the account's tiers for ip after a success.
func (s *Service) forgive(ctx context.Context, account, ip string) {
	for i := range s.d.Limits.PerAccountIP {
		_ = s.d.Limiter.Reset(ctx, tierKey(i, account, ip))
	}
}

// forgiveUnavailable forgives, like a success, a sign-in whose credentials
// were right but whose session could not be written (the database down or
// its disk full): it must not count toward the account's lock-out.
func (s *Service) forgiveUnavailable(ctx context.Context, err error, account, ip string) {
	if errors.Is(err, domain.ErrUnavailable) {
		s.forgive(ctx, account, ip)
	}
}

func tierKey(i int, account, ip string) string {
	return "login:account-ip:" + strconv.Itoa(i) + ":" + ip + "|" + account
}

// limit counts one attempt against key. When the limiter itself fails (Redis
// away) sign-in stays open: the password hash cost still slows guessing, and
// locking every user out is the worse failure.
func (s *Service) limit(ctx context.Context, what, key string, l ports.Limit) error {
	d, err := s.d.Limiter.Allow(ctx, key, l)
	if err != nil {
		return nil
	}
	if !d.Allowed {
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"rate_limited"}`)
		return &domain.RateLimitedError{What: what, RetryAfter: d.RetryAfter}
	}
	return nil
}
