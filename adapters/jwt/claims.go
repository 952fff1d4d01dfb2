package jwt

import (
	"fmt"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// accessClaims is the token payload: the registered claims plus "sid".
type accessClaims struct {
	gojwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// Validate is called by the parser after the standard checks (exp, nbf, iat,
// iss, aud). It makes the claims golang-jwt treats as optional mandatory.
func (c accessClaims) Validate() error {
	switch {
	case c.Subject == "":
		return fmt.Errorf("%w: sub", gojwt.ErrTokenRequiredClaimMissing)
	case c.SessionID == "":
		return fmt.Errorf("%w: sid", gojwt.ErrTokenRequiredClaimMissing)
	case c.ID == "":
		return fmt.Errorf("%w: jti", gojwt.ErrTokenRequiredClaimMissing)
	case c.IssuedAt == nil:
		return fmt.Errorf("%w: iat", gojwt.ErrTokenRequiredClaimMissing)
	}
	return nil
}
