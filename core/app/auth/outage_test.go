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

// downStore fails user look-ups as an unreachable database does while down is set.
type downStore struct {
	ports.Store
	down *atomic.Bool
}

func (s downStore) Users() ports.UserStore { return downUsers{s.Store.Users(), s.down} }

type downUsers struct {
	ports.UserStore
	down *atomic.Bool
}

func (u downUsers) GetByEmail(ctx context.Context, email string) (*domain.User, error) {
	if u.down.Load() {
		return nil, errors.Join(domain.ErrUnavailable, errors.New("connection refused"))
	}
	return u.UserStore.GetByEmail(ctx, email)
}

// Sign-ins that failed because the database was down say so (ErrUnavailable)
// and never count toward the account's lock-out: right after recovery the
// right password works.
func TestOutageDoesNotLockTheAccountOut(t *testing.T) {
	ts := apitest.NewServer(t)
	var down atomic.Bool
	limiter := memory.NewRateLimiter(memory.RateLimiterOptions{Clock: ts.Clock})
	t.Cleanup(func() { _ = limiter.Close() })
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.New(auth.Deps{
		Store: downStore{ts.Store, &down}, Tokens: ts.Tokens, Hasher: ts.Hasher, TOTP: ts.TOTP,
		Limiter: limiter, Sealer: box, Clock: ts.Clock,
		Limits: auth.Limits{PerAccountIP: []ports.Limit{{N: 3, Window: 15 * time.Minute}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := ts.Seed.A.Admin
	in := auth.LoginInput{Email: admin.Email, Password: admin.Password, Client: auth.Client{IP: "192.0.2.7"}}
	ctx := context.Background()
	down.Store(true)
	for i := 0; i < 10; i++ {
		if _, err := svc.Login(ctx, in); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("sign-in %d during the outage: %v, want ErrUnavailable", i+1, err)
		}
	}
	down.Store(false)
	if _, err := svc.Login(ctx, in); err != nil {
		t.Fatalf("sign-in right after recovery: %v", err)
	}
}
