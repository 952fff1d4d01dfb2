package api

import (
	"context"
	"crypto/x509"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
)

// CodeTOTPEnrollmentRequired answers (403) a caller whose partner requires a
// second factor they have not enrolled yet, on every route but those in
// openDuringEnrolment.
const CodeTOTPEnrollmentRequired = "totp_enrollment_required"

// maxBearerBytes refuses oversized credentials before any work.
const maxBearerBytes = 4096

// principalKey stores the request's principal in the gin context;
// agentKey the device id of an authenticated agent.
const (
	principalKey = "breeze.principal"
	agentKey     = "breeze.agent"
)

// AgentAuthenticator identifies agents from their brz_ token (the agents
// service implements it): the device of the token, which must be the one
// the path names; any failure is domain.ErrUnauthenticated.
type AgentAuthenticator interface {
	AuthenticateAgent(ctx context.Context, bearer, pathDeviceID string) (string, error)
}

// AgentCertChecker is what an AgentAuthenticator may also do (the agents
// service does): refuse a device's link without the client certificate
// mutual TLS requires for it (docs/security.md, "Mutual TLS").
type AgentCertChecker interface {
	CheckLinkCert(ctx context.Context, deviceID string, chain []*x509.Certificate) error
}

// AgentDeviceFrom returns the device the guard authenticated on an Agent
// route, or "".
func AgentDeviceFrom(c *gin.Context) string {
	v, _ := c.Get(agentKey)
	id, _ := v.(string)
	return id
}

// openDuringEnrolment are the routes a caller who must enrol a second factor
// may still use: enough to see who they are, enrol, or leave.
var openDuringEnrolment = map[string]bool{
	http.MethodGet + " " + Prefix + "/me":                 true,
	http.MethodPost + " " + Prefix + "/auth/logout":       true,
	http.MethodPost + " " + Prefix + "/auth/totp/enroll":  true,
	http.MethodPost + " " + Prefix + "/auth/totp/confirm": true,
}

// PrincipalFrom returns the caller the guard identified, or nil on a public
// route.
func PrincipalFrom(c *gin.Context) *domain.Principal {
	v, _ := c.Get(principalKey)
	p, _ := v.(*domain.Principal)
	return p
}

// Authenticator returns the edge hook that identifies callers from
// "Authorization: Bearer <access token | bzk_ API key>" and enforces each
// route's rule. Agent routes answer 401: see AuthenticatorWithAgents.
func Authenticator(svc *auth.Service) httpapi.Authenticator {
	return authenticator{svc: svc}
}

// AuthenticatorWithAgents is Authenticator that also accepts agent tokens
// (brz_...) on Agent routes, and only there. agents may be nil (agent
// routes then answer 401).
func AuthenticatorWithAgents(svc *auth.Service, agents AgentAuthenticator) httpapi.Authenticator {
	return authenticator{svc: svc, agents: agents}
}

type authenticator struct {
	svc    *auth.Service
	agents AgentAuthenticator
}

// Authenticate implements httpapi.Authenticator:
//   - Agent routes: the device of the brz_ token, which must be the device
//     the path's :id names; anything else (a user token too) is 401.
//   - no, malformed or invalid credential: 401 (no detail for the caller).
//   - a caller who must enrol a second factor: 403 totp_enrollment_required,
//     except on the enrolment routes, /me and logout.
//   - User(perm) routes: 403 unless the principal holds perm somewhere; the
//     handler then narrows to ScopeFor(perm). Authenticated(): any principal.
//
// The actor goes into the request's audit note as soon as it is known, so a
// refusal after identification is attributed.
func (a authenticator) Authenticate(c *gin.Context, rule httpapi.Rule) error {
	if rule.Kind == httpapi.RuleAgent {
		return a.authenticateAgent(c)
	}
	if rule.Kind != httpapi.RuleUser {
		return domain.Unauthenticatedf("%s credentials are not accepted", rule.Kind)
	}
	bearer, err := bearerToken(c.Request)
	if err != nil {
		return err
	}
	// The request's context, never c itself: gin recycles *gin.Context when
	// the request ends, while database/sql may still watch ctx.Done().
	ctx := c.Request.Context()
	p, err := a.svc.Authenticate(ctx, bearer)
	if err != nil {
		return err
	}
	switch p.Kind {
	case domain.PrincipalAPIKey:
		audit.SetActor(ctx, string(domain.PrincipalAPIKey), p.APIKeyID)
	default:
		audit.SetActor(ctx, string(p.Kind), p.UserID)
	}
	// Until a use case names the resource, the row belongs to the actor's
	// partner, so its admins see their users' refused attempts.
	audit.Annotate(ctx, func(e *domain.AuditEntry) {
		if e.PartnerID == "" && e.OrgID == "" {
			e.PartnerID = p.PartnerID
		}
	})
	c.Set(principalKey, p)

	if p.MustEnrollTOTP && !openDuringEnrolment[c.Request.Method+" "+c.FullPath()] {
		return httpapi.WithCode(domain.Forbiddenf("your partner requires a second factor: enrol one first"),
			CodeTOTPEnrollmentRequired, "")
	}
	if rule.Permission != "" && !p.Can(rule.Permission) {
		return domain.Forbiddenf("you lack the %s permission", rule.Permission)
	}
	return nil
}

// authenticateAgent identifies the agent of an Agent route from its token alone.
func (a authenticator) authenticateAgent(c *gin.Context) error {
	if a.agents == nil {
		return domain.Unauthenticatedf("agent credentials are not accepted")
	}
	bearer, err := bearerToken(c.Request)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	id, err := a.agents.AuthenticateAgent(ctx, bearer, c.Param("id"))
	if err != nil {
		return err
	}
	audit.SetActor(ctx, "agent", id)
	if cc, ok := a.agents.(AgentCertChecker); ok {
		// A header that does not parse counts as no certificate: refused
		// where one is required, ignored where not.
		chain, _ := httpapi.ClientCertificates(c.Request)
		if err := cc.CheckLinkCert(ctx, id, chain); err != nil {
			return err
		}
	}
	c.Set(agentKey, id)
	return nil
}

// bearerToken extracts the credential of a single "Authorization: Bearer x"
// header (the scheme is case-insensitive, RFC 7235).
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", domain.Unauthenticatedf("missing bearer token")
	case len(values) > 1:
		return "", domain.Unauthenticatedf("several Authorization headers")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", domain.Unauthenticatedf("malformed Authorization header")
	}
	if len(token) > maxBearerBytes || strings.ContainsAny(token, " \t") {
		return "", domain.Unauthenticatedf("malformed bearer token")
	}
	return token, nil
}
