package httpapi

import "github.com/gin-gonic/gin"

// contentSecurityPolicy allows only same-origin resources: the dashboard is
// served by Breeze itself, with no inline script or style.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

// securityHeadersMiddleware sets the browser hardening headers on every
// answer, errors included. HSTS only over TLS: over plain HTTP it would be
// ignored at best and lock out a test install at worst.
func securityHeadersMiddleware(tls bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		c.Next()
	}
}

// noStore keeps an authenticated answer out of every cache (the browser's,
// a proxy's): it is set before the guard runs, so refusals carry it too.
// Public answers (health, the dashboard's files) stay cacheable.
func noStore(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}
