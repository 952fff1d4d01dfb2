package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// bodyLimitMiddleware caps every request body: reading past the limit fails
// with *http.MaxBytesError, which BindJSON and WriteError turn into 413.
// The limit is the matched route's MaxBodyBytes, else max.
func (s *Server) bodyLimitMiddleware(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			limit := max
			if r, ok := s.routeFor(c.Request.Method, c.FullPath()); ok && r.MaxBodyBytes > 0 {
				limit = r.MaxBodyBytes
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}
