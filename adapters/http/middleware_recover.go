package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
)

// recoverMiddleware turns a panic into a logged stack and a 500 JSON answer
// that says nothing about the panic, and keeps the server serving.
func recoverMiddleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler { // a deliberate abort: net/http handles it quietly
				panic(r)
			}
			Logger(c).Error("panic serving request",
				"method", c.Request.Method, "route", routeLabel(c),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			if c.Writer.Written() { // too late for a clean answer
				c.Abort()
				return
			}
			writeErrorJSON(c, http.StatusInternalServerError, CodeInternal, msgInternal)
		}()
		c.Next()
	}
}
