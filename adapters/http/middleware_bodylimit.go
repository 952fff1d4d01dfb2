package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// bodyLimitMiddleware caps every request body: reading past max fails with
// *http.MaxBytesError, which BindJSON and WriteError turn into 413.
func bodyLimitMiddleware(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		}
		c.Next()
	}
}
