package httpapi

import (
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

// Authenticator is the hook the identity layer plugs in (Deps.Auth) to guard
// Agent and User routes. Authenticate runs before the route's handlers. It
// returns nil to let the request through — having stored the caller's
// identity in the context for the handlers — or an error that WriteError
// answers: domain.ErrUnauthenticated → 401, domain.ErrForbidden → 403 (also
// use it for an agent calling a user route or the reverse), anything else
// follows the usual mapping.
//
// For RuleUser it must check that the caller is a user (not an agent) holding
// rule.Permission; an empty Permission (Authenticated routes) means any
// signed-in user.
type Authenticator interface {
	Authenticate(c *gin.Context, rule Rule) error
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(c *gin.Context, rule Rule) error

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(c *gin.Context, rule Rule) error { return f(c, rule) }

// guard enforces rule before a route's handlers. Without an authenticator it
// fails closed: nobody gets in.
func (s *Server) guard(rule Rule) gin.HandlerFunc {
	auth := s.auth
	private := rule.Kind != RulePublic
	return func(c *gin.Context) {
		if private {
			noStore(c)
		}
		if auth == nil {
			WriteError(c, domain.Unauthenticatedf("no authenticator configured"))
			return
		}
		if err := auth.Authenticate(c, rule); err != nil {
			WriteError(c, err)
			return
		}
		c.Next()
	}
}
