package httpapi

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

type requestIDKey struct{}
type loggerKey struct{}

// requestIDMiddleware adopts a well-formed incoming X-Request-ID (so a
// proxy's id joins the logs) or makes a new one, echoes it, and puts it and a
// request-scoped logger in the request context.
func requestIDMiddleware(base hclog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			id = domain.NewID()
		}
		c.Header(HeaderRequestID, id)
		ctx := context.WithValue(c.Request.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, loggerKey{}, base.With("request_id", id))
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// validRequestID accepts ^[A-Za-z0-9._-]{1,64}$: nothing that could forge a
// log line or a header.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// RequestID returns the request id carried by ctx (a request context or a
// *gin.Context), or "".
func RequestID(ctx context.Context) string {
	id, _ := requestContext(ctx).Value(requestIDKey{}).(string)
	return id
}

// Logger returns the request-scoped logger (it carries request_id), or the
// default hclog logger outside a request.
func Logger(ctx context.Context) hclog.Logger {
	if l, ok := requestContext(ctx).Value(loggerKey{}).(hclog.Logger); ok {
		return l
	}
	return hclog.Default()
}

// requestContext looks through a *gin.Context to its request's context, so the
// lookups work whatever the engine's ContextWithFallback setting.
func requestContext(ctx context.Context) context.Context {
	if c, ok := ctx.(*gin.Context); ok && c.Request != nil {
		return c.Request.Context()
	}
	return ctx
}
