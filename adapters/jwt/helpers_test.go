package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	testIssuer   = "https://breeze.example"
	testAudience = "breeze-api"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeClock is a settable clock shared by an issuer and a verifier.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	tokens *Tokens
	keys   *KeySet
	secret []byte
	clock  *fakeClock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	secret := bytes.Repeat([]byte("k3y!"), 8) // 32 bytes
	ks, err := NewKeySet(secret)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: t0}
	tok, err := New(Options{Issuer: testIssuer, Audience: testAudience, Keys: ks, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{tokens: tok, keys: ks, secret: secret, clock: clk}
}

// goodClaims is a payload Verify accepts at the fixture's clock.
func (f *fixture) goodClaims() gojwt.MapClaims {
	now := f.clock.Now()
	return gojwt.MapClaims{
		"iss": testIssuer,
		"aud": []string{testAudience},
		"sub": "user-1",
		"sid": "family-1",
		"jti": "token-1",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(10 * time.Minute).Unix(),
	}
}

// goodHeader is a header Verify accepts.
func (f *fixture) goodHeader() map[string]any {
	return map[string]any{"kid": f.keys.CurrentKeyID(), "typ": tokenType}
}

// forge signs claims with an arbitrary method, key and header fields.
func forge(t testing.TB, m gojwt.SigningMethod, key any, header map[string]any, claims gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(m, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawToken builds a token by hand, with signature sig (base64url, no padding).
func rawToken(t testing.TB, header, claims map[string]any, sig string) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + sig
}

// decodePart decodes segment i of a token as JSON.
func decodePart(t testing.TB, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// mustReject asserts Verify fails with ErrUnauthenticated and, when cause is
// non-nil, for that golang-jwt reason.
func mustReject(t *testing.T, tk *Tokens, token string, cause error) {
	t.Helper()
	c, err := tk.Verify(t.Context(), token)
	if err == nil {
		t.Fatalf("Verify accepted the token: %+v", c)
	}
	if !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("error %v does not wrap ErrUnauthenticated", err)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Fatalf("error %v is not caused by %v", err, cause)
	}
	if c != (ports.AccessClaims{}) {
		t.Fatalf("claims returned with an error: %+v", c)
	}
}

// mustAccept asserts Verify accepts the token (the control for each attack).
func mustAccept(t *testing.T, tk *Tokens, token string) {
	t.Helper()
	if _, err := tk.Verify(t.Context(), token); err != nil {
		t.Fatalf("Verify refused a valid token: %v", err)
	}
}
