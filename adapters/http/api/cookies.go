package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// RefreshCookie holds the refresh token for the dashboard: HttpOnly (no
// script can read it), SameSite=Strict (no other site can make the browser
// send it) and sent only to /api/v1/auth (never with ordinary API calls).
const RefreshCookie = "breeze_refresh"

// refreshCookiePath limits the cookie to the session routes.
const refreshCookiePath = Prefix + "/auth"

func (h *handlers) setRefreshCookie(c *gin.Context, token string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: RefreshCookie, Value: token, Path: refreshCookiePath,
		MaxAge: int(h.d.RefreshTTL.Seconds()), HttpOnly: true, Secure: h.d.SecureCookies,
		SameSite: http.SameSiteStrictMode,
	})
}

func (h *handlers) clearRefreshCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: RefreshCookie, Value: "", Path: refreshCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
}
