package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the readiness check so a hung store answers 503, not a hung probe.
const readyTimeout = 2 * time.Second

// HealthStatus is the body of /healthz ("ok") and /readyz ("ready").
type HealthStatus struct {
	Status string `json:"status"`
}

// registerHealth adds the operational routes. /metrics is public here: the
// production proxy must not expose it beyond the monitoring network.
func (s *Server) registerHealth(ready func(context.Context) error, reg *prometheus.Registry) {
	s.HandleRoute(Route{Method: http.MethodGet, Path: "/healthz", Rule: Public(), Name: "health.live",
		Doc: Doc{Summary: "Liveness: the process answers", Tag: "Operations", Response: HealthStatus{}}},
		func(c *gin.Context) { c.JSON(http.StatusOK, HealthStatus{Status: "ok"}) })
	s.HandleRoute(Route{Method: http.MethodGet, Path: "/readyz", Rule: Public(), Name: "health.ready",
		Doc: Doc{Summary: "Readiness: every dependency answers", Tag: "Operations", Response: HealthStatus{},
			Description: "503 with error code not_ready while the database cannot take a write or Redis (when configured) does not answer."}},
		func(c *gin.Context) {
			ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
			defer cancel()
			if err := ready(ctx); err != nil {
				Logger(c).Warn("not ready", "error", err)
				writeErrorJSON(c, http.StatusServiceUnavailable, CodeNotReady, "not ready")
				return
			}
			c.JSON(http.StatusOK, HealthStatus{Status: "ready"})
		})
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: s.logger.Named("metrics").StandardLogger(nil),
		Registry: reg, // counts its own scrape errors
	})
	s.HandleRoute(Route{Method: http.MethodGet, Path: "/metrics", Rule: Public(), Name: "metrics.scrape",
		Doc: Doc{Summary: "Prometheus metrics", Tag: "Operations", ContentType: "text/plain"}},
		gin.WrapH(metrics))
}
