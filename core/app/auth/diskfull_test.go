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

// fullStore reads but cannot write sign-ins, as a database on a full disk.
type fullStore struct {
	ports.Store
	full *atomic.Bool
}

func (s fullStore) Users() ports.UserStore { return fullUsers{s.Store.Users(), s.full} }

type fullUsers struct {
	ports.UserStore
	full *atomic.Bool
}

func (u fullUsers) RecordLogin(ctx context.Context, id string, at time.Time, step int64) error {
	if u.full.Load() {
		return errors.Join(domain.ErrUnavailable, errors.New("database or disk is full"))
	}
	return u.UserStore.RecordLogin(ctx, id, at, step)
}

// Right-password sign-ins that could not be written (disk full) answer
// ErrUnavailable and do not lock the account out (issue 13: the admin was
// locked out after the disk was freed).
func TestDiskFullDoesNotLockTheAccountOut(t *testing.T) {
	ts := apitest.NewServer(t)
	var full atomic.Bool
	limiter := memory.NewRateLimiter(memory.RateLimiterOptions{Clock: ts.Clock})
	t.Cleanup(func() { _ = limiter.Close() })
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.New(auth.Deps{
		Store: fullStore{ts.Store, &full}, Tokens: ts.Tokens, Hasher: ts.Hasher, TOTP: ts.TOTP,
		Limiter: limiter, Sealer: box, Clock: ts.Clock,
		Limits: auth.Limits{PerAccountIP: []ports.Limit{{N: 3, Window: 15 * time.Minute}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := ts.Seed.A.Admin
	in := auth.LoginInput{Email: admin.Email, Password: admin.Password, Client: auth.Client{IP: "192.0.2.8"}}
	ctx := context.Background()
	full.Store(true)
	for i := 0; i < 10; i++ {
		if _, err := svc.Login(ctx, in); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("sign-in %d with the disk full: %v, want ErrUnavailable", i+1, err)
		}
	}
	full.Store(false)
	if _, err := svc.Login(ctx, in); err != nil {
		t.Fatalf("sign-in right after space was freed: %v", err)
	}
	// Wrong passwords still count.
	bad := in
	bad.Password = "wrong"
	for i := 0; i < 3; i++ {
		_, _ = svc.Login(ctx, bad)
	}
	var rl *domain.RateLimitedError
	if _, err := svc.Login(ctx, in); !errors.As(err, &rl) {
		t.Fatalf("after 3 wrong passwords: %v, want rate limited", err)
	}
}
