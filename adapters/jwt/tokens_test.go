package jwt

import (
	"errors"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func accessFor(user, session string) ports.AccessClaims {
	return ports.AccessClaims{UserID: user, SessionID: session}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.clock.now = t0.Add(700 * time.Millisecond) // sub-second part must vanish
	in := ports.AccessClaims{UserID: "u-1", SessionID: "s-1", IssuedAt: t0.Add(-time.Hour)}
	tok, exp, err := f.tokens.Issue(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.tokens.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "u-1" || got.SessionID != "s-1" {
		t.Fatalf("claims %+v", got)
	}
	if !domain.ValidID(got.TokenID) {
		t.Fatalf("generated jti %q is not an id", got.TokenID)
	}
	if !got.IssuedAt.Equal(t0) || !got.ExpiresAt.Equal(exp) || !exp.Equal(t0.Add(DefaultTTL)) {
		t.Fatalf("times iat=%v exp=%v returned exp=%v", got.IssuedAt, got.ExpiresAt, exp)
	}
	if got.IssuedAt.Location() != time.UTC {
		t.Fatal("times are not UTC")
	}

	// Header and payload carry exactly the documented fields.
	h := decodePart(t, tok, 0)
	if h["alg"] != "HS256" || h["typ"] != tokenType || h["kid"] != f.keys.CurrentKeyID() {
		t.Fatalf("header %v", h)
	}
	p := decodePart(t, tok, 1)
	for _, k := range []string{"iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp"} {
		if _, ok := p[k]; !ok {
			t.Errorf("payload lacks %q: %v", k, p)
		}
	}
	if p["nbf"] != p["iat"] {
		t.Errorf("nbf %v differs from iat %v", p["nbf"], p["iat"])
	}

	// A caller-chosen jti is kept; two tokens otherwise get distinct ones.
	tok2, _, _ := f.tokens.Issue(t.Context(), ports.AccessClaims{UserID: "u", SessionID: "s", TokenID: "jti-x"})
	if c, _ := f.tokens.Verify(t.Context(), tok2); c.TokenID != "jti-x" {
		t.Fatalf("jti %q", c.TokenID)
	}
	a, _, _ := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	b, _, _ := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	ca, _ := f.tokens.Verify(t.Context(), a)
	cb, _ := f.tokens.Verify(t.Context(), b)
	if ca.TokenID == cb.TokenID {
		t.Fatal("two tokens share a jti")
	}
}

func TestIssueExpiryAndValidation(t *testing.T) {
	f := newFixture(t)
	// A session ending sooner caps the token.
	_, exp, err := f.tokens.Issue(t.Context(), ports.AccessClaims{UserID: "u", SessionID: "s", ExpiresAt: t0.Add(5 * time.Minute)})
	if err != nil || !exp.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("exp %v err %v", exp, err)
	}
	// A later one does not extend it beyond the TTL.
	_, exp, err = f.tokens.Issue(t.Context(), ports.AccessClaims{UserID: "u", SessionID: "s", ExpiresAt: t0.Add(48 * time.Hour)})
	if err != nil || !exp.Equal(t0.Add(DefaultTTL)) {
		t.Fatalf("exp %v err %v", exp, err)
	}
	for _, c := range []ports.AccessClaims{
		{SessionID: "s"},
		{UserID: "u"},
		{UserID: "u", SessionID: "s", ExpiresAt: t0},
		{UserID: "u", SessionID: "s", ExpiresAt: t0.Add(-time.Minute)},
	} {
		if _, _, err := f.tokens.Issue(t.Context(), c); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Issue(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}

func TestCustomTTLAndNoLeeway(t *testing.T) {
	f := newFixture(t)
	tk, err := New(Options{Issuer: testIssuer, Audience: testAudience, Keys: f.keys, Clock: f.clock.Now, TTL: time.Minute, Leeway: -1})
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := tk.Issue(t.Context(), accessFor("u", "s"))
	if err != nil || !exp.Equal(t0.Add(time.Minute)) {
		t.Fatalf("exp %v err %v", exp, err)
	}
	f.clock.Advance(time.Minute - time.Second)
	mustAccept(t, tk, tok)
	f.clock.Advance(time.Second) // exp == now: expired without leeway
	mustReject(t, tk, tok, gojwt.ErrTokenExpired)
}

func TestNewValidatesOptions(t *testing.T) {
	ks, _ := NewKeySet(make([]byte, 32))
	good := Options{Issuer: "i", Audience: "a", Keys: ks}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Options){
		"no issuer":   func(o *Options) { o.Issuer = "" },
		"no audience": func(o *Options) { o.Audience = "" },
		"no keys":     func(o *Options) { o.Keys = nil },
		"empty keys":  func(o *Options) { o.Keys = &KeySet{} },
		"neg TTL":     func(o *Options) { o.TTL = -time.Second },
		"tiny TTL":    func(o *Options) { o.TTL = time.Millisecond },
		"huge leeway": func(o *Options) { o.Leeway = time.Hour },
	} {
		o := good
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
}

// Issue and Verify from many goroutines while keys rotate (run with -race).
func TestConcurrentIssueVerifyAndRotate(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				tok, _, err := f.tokens.Issue(t.Context(), accessFor("u", "s"))
				if err != nil {
					errs <- err
					return
				}
				c, err := f.tokens.Verify(t.Context(), tok)
				if err != nil {
					errs <- err
					return
				}
				if c.UserID != "u" {
					errs <- errors.New("wrong user")
					return
				}
				if g == 0 && i%25 == 0 {
					if err := f.keys.Rotate(); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(f.keys.KeyIDs()); n != maxKeys {
		t.Fatalf("%d keys after 4 rotations, want %d", n, maxKeys)
	}
}
