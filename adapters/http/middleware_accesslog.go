package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/domain"
)

// quietRoutes are polled by probes and scrapers; logging them at Info would
// drown the log.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// maxLoggedPath bounds what an attacker-chosen path costs the log.
const maxLoggedPath = 256

// accessLogMiddleware writes one hclog line per request. The query string is
// never logged: it can carry one-use tickets.
func accessLogMiddleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		completed := false
		defer func() {
			status := finalStatus(c, completed)
			route := routeLabel(c)
			level := hclog.Info
			if quietRoutes[c.FullPath()] && status < 500 {
				level = hclog.Debug
			}
			p := domain.Abbrev(c.Request.URL.Path, maxLoggedPath)
			Logger(c).Log(level, "http request",
				"method", c.Request.Method, "route", route, "path", p,
				"status", status, "duration", time.Since(start),
				"bytes", max(c.Writer.Size(), 0), "client_ip", c.ClientIP())
		}()
		c.Next()
		completed = true
	}
}

// finalStatus is the status the client got or will get. When the chain did
// not complete (a panic on its way to recoverMiddleware) and nothing was
// written yet, the answer will be 500.
func finalStatus(c *gin.Context, completed bool) int {
	if !completed && !c.Writer.Written() {
		return http.StatusInternalServerError
	}
	return c.Writer.Status()
}

// routeLabel is the route template, never the raw path, so labels and log
// fields stay bounded; "unmatched" for 404/405.
func routeLabel(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}
