package jwt

import (
	"context"
	"errors"
	"fmt"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	// DefaultTTL is an access token's life (docs/architecture.md §4).
	DefaultTTL = 15 * time.Minute
	// DefaultLeeway absorbs clock skew between the nodes that issue and verify.
	DefaultLeeway = 30 * time.Second
	// maxLeeway keeps a misconfiguration from quietly extending every token.
	maxLeeway = 5 * time.Minute
	// maxTokenBytes refuses oversized input before any decoding; real tokens
	// are about 400 bytes.
	maxTokenBytes = 4096
	// tokenType is the "typ" header (RFC 9068), so no other JWT signed with
	// the same key could pass for an access token.
	tokenType = "at+jwt"
)

var alg = gojwt.SigningMethodHS256

// Options configure Tokens.
type Options struct {
	Issuer   string // required: the "iss" minted and expected
	Audience string // required: the "aud" minted and expected
	TTL      time.Duration
	Keys     *KeySet // required
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Leeway for exp/nbf/iat: zero means DefaultLeeway, negative means none,
	// at most five minutes.
	Leeway time.Duration
}

// Tokens implements ports.AccessTokens. It is safe for concurrent use.
type Tokens struct {
	issuer, audience string
	ttl              time.Duration
	keys             *KeySet
	clock            func() time.Time
	parser           *gojwt.Parser
}

var _ ports.AccessTokens = (*Tokens)(nil)

// New checks opts and returns Tokens.
func New(opts Options) (*Tokens, error) {
	switch {
	case opts.Issuer == "":
		return nil, errors.New("jwt: Options.Issuer is required")
	case opts.Audience == "":
		return nil, errors.New("jwt: Options.Audience is required")
	case opts.Keys == nil || len(opts.Keys.KeyIDs()) == 0:
		return nil, errors.New("jwt: Options.Keys is required (NewKeySet or LoadOrCreateKeySet)")
	case opts.TTL < 0:
		return nil, errors.New("jwt: Options.TTL is negative")
	case opts.Leeway > maxLeeway:
		return nil, fmt.Errorf("jwt: Options.Leeway is above %s", maxLeeway)
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TTL < time.Second {
		return nil, errors.New("jwt: Options.TTL is below one second")
	}
	switch {
	case opts.Leeway == 0:
		opts.Leeway = DefaultLeeway
	case opts.Leeway < 0:
		opts.Leeway = 0
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Tokens{
		issuer:   opts.Issuer,
		audience: opts.Audience,
		ttl:      opts.TTL,
		keys:     opts.Keys,
		clock:    opts.Clock,
		parser: gojwt.NewParser(
			gojwt.WithValidMethods([]string{alg.Alg()}),
			gojwt.WithIssuer(opts.Issuer),
			gojwt.WithAudience(opts.Audience),
			gojwt.WithExpirationRequired(),
			gojwt.WithNotBeforeRequired(),
			gojwt.WithIssuedAt(),
			gojwt.WithLeeway(opts.Leeway),
			gojwt.WithTimeFunc(opts.Clock),
			gojwt.WithStrictDecoding(),
		),
	}, nil
}

// Issue signs an access token with the current key. See ports.AccessTokens.
func (t *Tokens) Issue(ctx context.Context, c ports.AccessClaims) (string, time.Time, error) {
	if c.UserID == "" || c.SessionID == "" {
		return "", time.Time{}, domain.Invalidf("access token: user id and session id are required")
	}
	// JWT times are whole seconds: truncate now so what we return is what
	// Verify will read back.
	now := t.clock().UTC().Truncate(time.Second)
	exp := now.Add(t.ttl)
	if !c.ExpiresAt.IsZero() {
		if limit := c.ExpiresAt.UTC().Truncate(time.Second); limit.Before(exp) {
			exp = limit
		}
	}
	if !exp.After(now) {
		return "", time.Time{}, domain.Invalidf("access token: expiry %s is not after now", exp.Format(time.RFC3339))
	}
	if c.TokenID == "" {
		c.TokenID = domain.NewID()
	}
	kid, secret := t.keys.signing()
	tok := gojwt.NewWithClaims(alg, accessClaims{
		RegisteredClaims: gojwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   c.UserID,
			Audience:  gojwt.ClaimStrings{t.audience},
			ExpiresAt: gojwt.NewNumericDate(exp),
			NotBefore: gojwt.NewNumericDate(now),
			IssuedAt:  gojwt.NewNumericDate(now),
			ID:        c.TokenID,
		},
		SessionID: c.SessionID,
	})
	tok.Header["kid"] = kid
	tok.Header["typ"] = tokenType
	s, err := tok.SignedString(secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("access token: sign: %w", err)
	}
	return s, exp, nil
}

// Verify checks signature, algorithm, key, type and every claim. Any failure
// wraps domain.ErrUnauthenticated (and the golang-jwt cause, for logs).
func (t *Tokens) Verify(ctx context.Context, token string) (ports.AccessClaims, error) {
	if token == "" {
		return ports.AccessClaims{}, fmt.Errorf("%w: access token: empty", domain.ErrUnauthenticated)
	}
	if len(token) > maxTokenBytes {
		return ports.AccessClaims{}, fmt.Errorf("%w: access token: longer than %d bytes", domain.ErrUnauthenticated, maxTokenBytes)
	}
	var claims accessClaims
	if _, err := t.parser.ParseWithClaims(token, &claims, t.keyFor); err != nil {
		return ports.AccessClaims{}, fmt.Errorf("%w: access token: %w", domain.ErrUnauthenticated, err)
	}
	return ports.AccessClaims{
		UserID:    claims.Subject,
		SessionID: claims.SessionID,
		IssuedAt:  claims.IssuedAt.UTC(),
		ExpiresAt: claims.ExpiresAt.UTC(),
		TokenID:   claims.ID,
	}, nil
}

// keyFor picks the verification key named by the header. The parser has
// already refused any algorithm but HS256; the check is repeated here so the
// key is never handed to another method even if the options change.
func (t *Tokens) keyFor(tok *gojwt.Token) (any, error) {
	if tok.Method != alg {
		return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
	}
	if typ, _ := tok.Header["typ"].(string); typ != tokenType {
		return nil, errors.New(`header "typ" is not ` + tokenType)
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New(`header "kid" is missing`)
	}
	secret, ok := t.keys.lookup(kid)
	if !ok {
		return nil, errors.New("unknown key id")
	}
	return secret, nil
}
