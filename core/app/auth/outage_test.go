package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// failingStore makes one step of a sign-in fail as an unavailable database
// does while fail is set: the user look-up (the database is down) or the
// write of the sign-in (the disk is full).
type failingStore struct {
	ports.Store
	fail  *atomic.Bool
	write bool // fail RecordLogin rather than GetByEmail
}

func (s failingStore) Users() ports.UserStore { return failingUsers{s.Store.Users(), s} }

type failingUsers struct {
	ports.UserStore
	s failingStore
}

func (u failingUsers) GetByEmail(ctx context.Context, email string) (*domain.User, error) {
	if !u.s.write && u.s.fail.Load() {
		return nil, errors.Join(domain.ErrUnavailable, errors.New("connection refused"))
	}
	return u.UserStore.GetByEmail(ctx, email)
}

func (u failingUsers) RecordLogin(ctx context.Context, id string, at time.Time, step int64) error {
	if u.s.write && u.s.fail.Load() {
		return errors.Join(domain.ErrUnavailable, errors.New("database or disk is full"))
	}
	return u.UserStore.RecordLogin(ctx, id, at, step)
}

// Sign-ins that failed because the database was unavailable — down, or a
// right password whose sign-in could not be written on a full disk — say
// so (ErrUnavailable) and never count toward the account's lock-out: right
// after recovery the right password works. Wrong passwords still count.
func TestUnavailableDoesNotLockTheAccountOut(t *testing.T) {
	for _, c := range []struct {
		name  string
		write bool
	}{{"database down", false}, {"disk full", true}} {
		t.Run(c.name, func(t *testing.T) {
			ts := apitest.NewServer(t)
			var fail atomic.Bool
			limiter := memory.NewRateLimiter(memory.RateLimiterOptions{Clock: ts.Clock})
			t.Cleanup(func() { _ = limiter.Close() })
			box, err := secretbox.New(make([]byte, secretbox.KeySize))
			if err != nil {
				t.Fatal(err)
			}
			svc, err := auth.New(auth.Deps{
				Store: failingStore{ts.Store, &fail, c.write}, Tokens: ts.Tokens, Hasher: ts.Hasher, TOTP: ts.TOTP,
				Limiter: limiter, Sealer: box, Clock: ts.Clock,
				Limits: auth.Limits{PerAccountIP: []ports.Limit{{N: 3, Window: 15 * time.Minute}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			admin := ts.Seed.A.Admin
			in := auth.LoginInput{Email: admin.Email, Password: admin.Password, Client: auth.Client{IP: "192.0.2.7"}}
			ctx := context.Background()
			fail.Store(true)
			for i := 0; i < 10; i++ {
				if _, err := svc.Login(ctx, in); !errors.Is(err, domain.ErrUnavailable) {
					t.Fatalf("sign-in %d while unavailable: %v, want ErrUnavailable", i+1, err)
				}
			}
			fail.Store(false)
			if _, err := svc.Login(ctx, in); err != nil {
				t.Fatalf("sign-in right after recovery: %v", err)
			}
			bad := in
			bad.Password = "wrong"
			for i := 0; i < 3; i++ {
				_, _ = svc.Login(ctx, bad)
			}
			var rl *domain.RateLimitedError
			if _, err := svc.Login(ctx, in); !errors.As(err, &rl) {
				t.Fatalf("after 3 wrong passwords: %v, want rate limited", err)
			}
		})
	}
}
