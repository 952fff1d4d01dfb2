package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// totpAAD binds a sealed second-factor secret to its user: a value copied
// to another user's row does not open.
func totpAAD(userID string) []byte { return []byte("breeze.totp|" + userID) }

func (s *Service) sealTOTP(userID, secret string) (string, error) {
	sealed, err := s.d.Sealer.Seal([]byte(secret), totpAAD(userID))
	if err != nil {
		return "", fmt.Errorf("seal a second-factor secret: %w", err)
	}
	return sealed, nil
}

// openTOTP returns the base32 secret of a stored value: sealed, or clear
// when it was stored before sealing and the start-up pass has not run.
func (s *Service) openTOTP(userID, stored string) (string, error) {
	if stored == "" || clearBase32(stored) {
		return stored, nil
	}
	plain, err := s.d.Sealer.Open(stored, totpAAD(userID))
	if err != nil {
		return "", fmt.Errorf("open the second-factor secret of user %s (wrong BREEZE_PLUGIN_SECRET_KEY?): %w", userID, err)
	}
	return string(plain), nil
}

// clearBase32 reports a secret as TOTP apps take it (RFC 4648 base32); a
// sealed value always holds other characters.
func clearBase32(v string) bool {
	return strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") == ""
}

// SealTOTPSecrets seals every second-factor secret still stored in clear
// (rows from before sealing) and returns how many it sealed. The server
// runs it at start-up right after the SQL migrations: SQL cannot seal with
// a key it does not hold. It is idempotent (a sealed row is left alone) and
// forward-only; a row edited meanwhile is sealed at the next start.
func (s *Service) SealTOTPSecrets(ctx context.Context) (int, error) {
	all := domain.GlobalScope()
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	var clear []*domain.User
	for {
		pg, err := s.d.Store.Users().List(ctx, all, ports.UserFilter{}, page)
		if err != nil {
			return 0, fmt.Errorf("list users: %w", err)
		}
		for _, u := range pg.Items {
			if u.TOTPSecret != "" && clearBase32(u.TOTPSecret) {
				clear = append(clear, u)
			}
		}
		if pg.NextCursor == "" {
			break
		}
		page.Cursor = pg.NextCursor
	}
	n := 0
	for _, u := range clear {
		var err error
		if u.TOTPSecret, err = s.sealTOTP(u.ID, u.TOTPSecret); err != nil {
			return n, err
		}
		if _, err := s.d.Store.Users().Update(ctx, all, u); err != nil {
			if errors.Is(err, domain.ErrConflict) {
				continue // edited meanwhile: the next start seals it
			}
			return n, fmt.Errorf("seal the second factor of user %s: %w", u.ID, err)
		}
		n++
	}
	return n, nil
}
