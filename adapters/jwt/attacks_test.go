package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// The control: the forging helpers make tokens Verify accepts, so every
// rejection below is caused by the one thing the case changes.
func TestForgedControlIsAccepted(t *testing.T) {
	f := newFixture(t)
	mustAccept(t, f.tokens, forge(t, alg, f.secret, f.goodHeader(), f.goodClaims()))
}

func TestAlgNoneIsRejected(t *testing.T) {
	f := newFixture(t)
	claims := f.goodClaims()

	// Through the library's own "none" method.
	h := f.goodHeader()
	mustReject(t, f.tokens, forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, h, claims), gojwt.ErrTokenSignatureInvalid)

	// Hand-built, with case variants and with an empty or a stolen signature.
	valid := forge(t, alg, f.secret, h, claims)
	stolenSig := valid[strings.LastIndex(valid, ".")+1:]
	for _, a := range []string{"none", "None", "NONE", "nOnE", ""} {
		for _, sig := range []string{"", stolenSig} {
			hdr := map[string]any{"alg": a, "typ": tokenType, "kid": f.keys.CurrentKeyID()}
			mustReject(t, f.tokens, rawToken(t, hdr, claims, sig), nil)
		}
	}
	// A token without any alg header.
	mustReject(t, f.tokens, rawToken(t, map[string]any{"typ": tokenType, "kid": f.keys.CurrentKeyID()}, claims, stolenSig), nil)
}

func TestWrongKeyIsRejected(t *testing.T) {
	f := newFixture(t)
	other := make([]byte, 32)
	rand.Read(other)
	mustReject(t, f.tokens, forge(t, alg, other, f.goodHeader(), f.goodClaims()), gojwt.ErrTokenSignatureInvalid)

	// A token from another deployment (its own key set) is refused too.
	g := newFixture(t)
	g.keys, _ = NewKeySet(other)
	g.tokens, _ = New(Options{Issuer: testIssuer, Audience: testAudience, Keys: g.keys, Clock: g.clock.Now})
	tok, _, err := g.tokens.Issue(t.Context(), accessFor("u", "s"))
	if err != nil {
		t.Fatal(err)
	}
	mustAccept(t, g.tokens, tok)
	mustReject(t, f.tokens, tok, nil)
}

func TestAsymmetricAlgorithmsAreRejected(t *testing.T) {
	f := newFixture(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		m    gojwt.SigningMethod
		key  any
	}{
		{"RS256", gojwt.SigningMethodRS256, rsaKey},
		{"RS512", gojwt.SigningMethodRS512, rsaKey},
		{"PS256", gojwt.SigningMethodPS256, rsaKey},
		{"ES256", gojwt.SigningMethodES256, ecKey},
		{"EdDSA", gojwt.SigningMethodEdDSA, edKey},
		{"HS384", gojwt.SigningMethodHS384, f.secret}, // even with the real secret
		{"HS512", gojwt.SigningMethodHS512, f.secret},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustReject(t, f.tokens, forge(t, c.m, c.key, f.goodHeader(), f.goodClaims()), gojwt.ErrTokenSignatureInvalid)
		})
	}
}

// The classic confusion: sign HS256 with the bytes of a public key, hoping the
// verifier hands its "key" (a public key it trusts) to HMAC.
func TestHMACWithPublicKeyPEMIsRejected(t *testing.T) {
	f := newFixture(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	for _, key := range [][]byte{pubPEM, pkcs1, der} {
		mustReject(t, f.tokens, forge(t, alg, key, f.goodHeader(), f.goodClaims()), gojwt.ErrTokenSignatureInvalid)
	}
}

func TestTimeClaims(t *testing.T) {
	f := newFixture(t)
	tok, exp, err := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(DefaultTTL); !exp.Equal(want) {
		t.Fatalf("expiresAt %v, want %v", exp, want)
	}

	// Still valid inside the leeway, refused one second past it.
	f.clock.Advance(DefaultTTL + DefaultLeeway - time.Second)
	mustAccept(t, f.tokens, tok)
	f.clock.Advance(2 * time.Second)
	mustReject(t, f.tokens, tok, gojwt.ErrTokenExpired)

	// nbf and iat in the future beyond the leeway.
	g := newFixture(t)
	future := t0.Add(DefaultLeeway + 2*time.Second).Unix()
	c := g.goodClaims()
	c["nbf"] = future
	mustReject(t, g.tokens, forge(t, alg, g.secret, g.goodHeader(), c), gojwt.ErrTokenNotValidYet)
	c = g.goodClaims()
	c["iat"] = future
	mustReject(t, g.tokens, forge(t, alg, g.secret, g.goodHeader(), c), gojwt.ErrTokenUsedBeforeIssued)
	// Within the leeway, a slightly fast issuer clock is tolerated.
	c = g.goodClaims()
	c["nbf"], c["iat"] = t0.Add(DefaultLeeway-2*time.Second).Unix(), t0.Add(DefaultLeeway-2*time.Second).Unix()
	mustAccept(t, g.tokens, forge(t, alg, g.secret, g.goodHeader(), c))

	// Expired long ago, even though the signature is fine.
	c = g.goodClaims()
	c["exp"] = t0.Add(-time.Hour).Unix()
	mustReject(t, g.tokens, forge(t, alg, g.secret, g.goodHeader(), c), gojwt.ErrTokenExpired)
}

func TestIssuerAndAudience(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		claim string
		value any
	}{
		{"aud", []string{"other-api"}},
		{"aud", "other-api"},
		{"aud", []string{}},
		{"aud", testAudience + " "},
		{"iss", "https://evil.example"},
		{"iss", ""},
		{"iss", strings.ToUpper(testIssuer)},
	} {
		c := f.goodClaims()
		c[tc.claim] = tc.value
		mustReject(t, f.tokens, forge(t, alg, f.secret, f.goodHeader(), c), gojwt.ErrTokenInvalidClaims)
	}

	// A verifier for another audience or issuer refuses our real tokens.
	tok, _, err := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	if err != nil {
		t.Fatal(err)
	}
	otherAud, _ := New(Options{Issuer: testIssuer, Audience: "agents", Keys: f.keys, Clock: f.clock.Now})
	mustReject(t, otherAud, tok, gojwt.ErrTokenInvalidAudience)
	otherIss, _ := New(Options{Issuer: "https://other.example", Audience: testAudience, Keys: f.keys, Clock: f.clock.Now})
	mustReject(t, otherIss, tok, gojwt.ErrTokenInvalidIssuer)
}

func TestMissingClaimsAreRejected(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"exp", "nbf", "iat", "iss", "aud", "sub", "sid", "jti"} {
		t.Run(name, func(t *testing.T) {
			c := f.goodClaims()
			delete(c, name)
			mustReject(t, f.tokens, forge(t, alg, f.secret, f.goodHeader(), c), gojwt.ErrTokenInvalidClaims)
			c[name] = "" // present but empty is no better
			mustReject(t, f.tokens, forge(t, alg, f.secret, f.goodHeader(), c), nil)
		})
	}
}

func TestHeaderChecks(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		header map[string]any
	}{
		{"unknown kid", map[string]any{"kid": "no-such-key", "typ": tokenType}},
		{"missing kid", map[string]any{"kid": nil, "typ": tokenType}},
		{"empty kid", map[string]any{"kid": "", "typ": tokenType}},
		{"numeric kid", map[string]any{"kid": 1, "typ": tokenType}},
		{"missing typ", map[string]any{"kid": f.keys.CurrentKeyID(), "typ": nil}},
		{"plain JWT typ", map[string]any{"kid": f.keys.CurrentKeyID(), "typ": "JWT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustReject(t, f.tokens, forge(t, alg, f.secret, tc.header, f.goodClaims()), gojwt.ErrTokenUnverifiable)
		})
	}
}

func TestTamperingIsRejected(t *testing.T) {
	f := newFixture(t)
	tok, _, err := f.tokens.Issue(t.Context(), accessFor("user-1", "family-1"))
	if err != nil {
		t.Fatal(err)
	}
	mustAccept(t, f.tokens, tok)
	parts := strings.Split(tok, ".")
	enc := base64.RawURLEncoding

	// Payload: become another user, or extend the expiry, keeping the signature.
	for _, edit := range []func(map[string]any){
		func(m map[string]any) { m["sub"] = "admin" },
		func(m map[string]any) { m["sid"] = "family-2" },
		func(m map[string]any) { m["exp"] = m["exp"].(float64) + 3600 },
	} {
		m := decodePart(t, tok, 1)
		edit(m)
		b, _ := json.Marshal(m)
		mustReject(t, f.tokens, parts[0]+"."+enc.EncodeToString(b)+"."+parts[2], gojwt.ErrTokenSignatureInvalid)
	}
	// Header: any added field breaks the signature.
	h := decodePart(t, tok, 0)
	h["x"] = "y"
	hb, _ := json.Marshal(h)
	mustReject(t, f.tokens, enc.EncodeToString(hb)+"."+parts[1]+"."+parts[2], gojwt.ErrTokenSignatureInvalid)

	// Signature: flipped, truncated, removed, or padded base64.
	sig, _ := enc.DecodeString(parts[2])
	sig[0] ^= 1
	mustReject(t, f.tokens, parts[0]+"."+parts[1]+"."+enc.EncodeToString(sig), gojwt.ErrTokenSignatureInvalid)
	mustReject(t, f.tokens, parts[0]+"."+parts[1]+"."+parts[2][:len(parts[2])-2], nil)
	mustReject(t, f.tokens, parts[0]+"."+parts[1]+".", nil)
	mustReject(t, f.tokens, parts[0]+"."+parts[1], gojwt.ErrTokenMalformed)
	mustReject(t, f.tokens, tok+"=", nil)
}

func TestMalformedInput(t *testing.T) {
	f := newFixture(t)
	for _, s := range []string{
		"", ".", "..", "a.b.c", "Bearer x.y.z", strings.Repeat("a", maxTokenBytes+1),
		"eyJhbGciOiJIUzI1NiJ9.%%%.abc", "eyJ.eyJ.eyJ.eyJ",
	} {
		mustReject(t, f.tokens, s, nil)
	}
	// A valid token padded to beyond the size limit is refused before parsing.
	tok, _, _ := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	mustReject(t, f.tokens, tok+strings.Repeat("A", maxTokenBytes), nil)
	// So is a correctly signed but oversized one (it would otherwise pass).
	c := f.goodClaims()
	c["pad"] = strings.Repeat("x", 100)
	mustAccept(t, f.tokens, forge(t, alg, f.secret, f.goodHeader(), c))
	c["pad"] = strings.Repeat("x", maxTokenBytes)
	mustReject(t, f.tokens, forge(t, alg, f.secret, f.goodHeader(), c), nil)
}
