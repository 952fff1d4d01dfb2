package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
)

// CodeTOTPRequired answers (401) a right password of a user with a second
// factor when no code was sent: the dashboard asks for it and signs in again.
const CodeTOTPRequired = "totp_required"

const (
	resSession = "session"
	tokenType  = "Bearer"
)

func (h *handlers) authRoutes(r *registrar) {
	const tag = "Authentication"
	r.add(http.MethodPost, "/auth/login", httpapi.Public(), "auth.login", resSession, httpapi.Doc{
		Summary: "Sign in with email and password (and a second-factor code)", Tag: tag,
		Description: "The same 401 answers an unknown email, a wrong password and a disabled user; " +
			"401 totp_required asks for the code; 429 with Retry-After follows too many attempts. " +
			"Also sets the refresh token as the HttpOnly cookie breeze_refresh (Path=/api/v1/auth, SameSite=Strict).",
		Request: LoginRequest{}, Response: LoginResponse{},
	}, h.login)
	r.add(http.MethodPost, "/auth/refresh", httpapi.Public(), "auth.refresh", resSession, httpapi.Doc{
		Summary: "Trade a refresh token for new tokens", Tag: tag,
		Description: "The refresh token comes from the body or, without one, the breeze_refresh cookie. " +
			"It is spent: presenting it again later revokes the whole session.",
		Request: RefreshRequest{}, Response: TokenResponse{},
	}, h.refresh)
	r.add(http.MethodPost, "/auth/logout", httpapi.Authenticated(), "auth.logout", resSession, httpapi.Doc{
		Summary: "End the session (revoke its refresh tokens)", Tag: tag, Status: http.StatusNoContent,
	}, h.logout)
	r.add(http.MethodPost, "/auth/totp/enroll", httpapi.Authenticated(), "auth.totp.enroll", resUser, httpapi.Doc{
		Summary: "Start enrolling a second factor", Tag: tag, Response: TOTPEnrollment{},
	}, h.beginTOTP)
	r.add(http.MethodPost, "/auth/totp/confirm", httpapi.Authenticated(), "auth.totp.confirm", resUser, httpapi.Doc{
		Summary: "Confirm a second factor with a code of it", Tag: tag,
		Description: "Makes the secret of the last enroll the factor. Codes count against the sign-in limits (429).",
		Request:     TOTPConfirmRequest{}, Status: http.StatusNoContent,
	}, h.confirmTOTP)
	r.add(http.MethodPost, "/auth/password", httpapi.Authenticated(), "auth.password", resUser, httpapi.Doc{
		Summary: "Change your own password", Tag: tag,
		Description: "Needs the current password (attempts count against the sign-in limits: 429). " +
			"Every session of the user ends, this one too: the answer is a fresh session " +
			"(and breeze_refresh cookie). API keys stay valid.",
		Request: ChangePasswordRequest{}, Response: TokenResponse{},
	}, h.changePassword)
}

func client(c *gin.Context) auth.Client {
	return auth.Client{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
}

func (h *handlers) login(c *gin.Context) error {
	ctx := c.Request.Context()
	var in LoginRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	sess, err := h.d.Auth.Login(ctx, auth.LoginInput{Email: in.Email, Password: in.Password, TOTP: in.TOTP, Client: client(c)})
	if errors.Is(err, auth.ErrTOTPRequired) {
		return httpapi.WithCode(err, CodeTOTPRequired, "a second-factor code is required")
	}
	if err != nil {
		return err
	}
	noStore(c)
	h.setRefreshCookie(c, sess.RefreshToken)
	c.JSON(http.StatusOK, LoginResponse{
		AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken, TokenType: tokenType,
		ExpiresIn: sess.ExpiresIn(h.d.Clock.Now()), User: userOut(sess.User), MustEnrollTOTP: sess.MustEnrollTOTP,
	})
	return nil
}

func (h *handlers) refresh(c *gin.Context) error {
	ctx := c.Request.Context()
	var in RefreshRequest
	if hasBody(c.Request) {
		if err := httpapi.BindJSON(c, &in); err != nil {
			return err
		}
	}
	token, fromCookie := in.RefreshToken, false
	if token == "" {
		token, _ = c.Cookie(RefreshCookie)
		fromCookie = true
	}
	if token == "" {
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"no_refresh_token"}`)
		return domain.Unauthenticatedf("no refresh token")
	}
	sess, err := h.d.Auth.Refresh(ctx, token, client(c))
	if err != nil {
		if fromCookie && errors.Is(err, domain.ErrUnauthenticated) {
			h.clearRefreshCookie(c) // a dead cookie: stop the dashboard retrying it
		}
		return err
	}
	h.sendTokens(c, sess)
	return nil
}

// sendTokens answers with a session's new tokens: never cached, and the
// refresh token also as the cookie.
func (h *handlers) sendTokens(c *gin.Context, sess *auth.Session) {
	noStore(c)
	h.setRefreshCookie(c, sess.RefreshToken)
	c.JSON(http.StatusOK, TokenResponse{
		AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken, TokenType: tokenType,
		ExpiresIn: sess.ExpiresIn(h.d.Clock.Now()),
	})
}

// hasBody reports whether the request carries a body to decode.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

func (h *handlers) logout(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := h.d.Auth.Logout(ctx, p); err != nil {
		return err
	}
	h.clearRefreshCookie(c)
	c.Status(http.StatusNoContent)
	return nil
}

func (h *handlers) beginTOTP(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if p.Kind != domain.PrincipalUser {
		return domain.Forbiddenf("only a signed-in user can enrol a second factor")
	}
	audit.SetResource(ctx, resUser, p.UserID, p.PartnerID, "")
	enr, err := h.d.Auth.BeginTOTP(ctx, p)
	if err != nil {
		return err
	}
	noStore(c)
	c.JSON(http.StatusOK, TOTPEnrollment{Secret: enr.Secret, OTPAuthURL: enr.OTPAuthURL})
	return nil
}

func (h *handlers) confirmTOTP(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in TOTPConfirmRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	audit.SetResource(ctx, resUser, p.UserID, p.PartnerID, "")
	if err := h.d.Auth.ConfirmTOTP(ctx, p, in.Code, in.CurrentCode, client(c)); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *handlers) changePassword(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in ChangePasswordRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	sess, err := h.d.Auth.ChangePassword(ctx, p, in.CurrentPassword, in.NewPassword, client(c))
	if err != nil {
		return err
	}
	h.sendTokens(c, sess)
	return nil
}
