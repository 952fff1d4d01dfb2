package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
)

// The REST shape most resources share — list, create, get, update, delete —
// as generic handlers around one use-case call each. A handler here does the
// edge's part only: it finds the caller, decodes the query or body, calls
// the service (which scopes, checks versions and notes the audit resource)
// and encodes the answer through the resource's DTO mapper. Errors go back
// to the registrar, which maps them to HTTP status (httpapi.WriteError).

// listFunc is a use case listing one page of T under filter F.
type listFunc[F, T any] func(ctx context.Context, p *domain.Principal, f F, page domain.PageRequest) (domain.Page[T], error)

// idFunc is a use case acting on the resource of one id.
type idFunc[T any] func(ctx context.Context, p *domain.Principal, id string) (T, error)

// bodyFunc is a use case taking a decoded request body I.
type bodyFunc[I, T any] func(ctx context.Context, p *domain.Principal, in I) (T, error)

// listOf answers GET /things: the paging parameters and the named filters
// (parsed by filter) in, one page of DTOs out. A nil filter takes none.
func listOf[F, T, O any](filter func(listQuery) (F, error), list listFunc[F, T], out func(T) O, names ...string) handlerFunc {
	return func(c *gin.Context) error {
		p, err := principal(c)
		if err != nil {
			return err
		}
		q, err := parseList(c, names...)
		if err != nil {
			return err
		}
		var f F
		if filter != nil {
			if f, err = filter(q); err != nil {
				return err
			}
		}
		page, err := list(c.Request.Context(), p, f, q.page)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, pageOf(page, out))
		return nil
	}
}

// listAll answers GET /things for a list without filters.
func listAll[T, O any](list func(ctx context.Context, p *domain.Principal, page domain.PageRequest) (domain.Page[T], error), out func(T) O) handlerFunc {
	return listOf(nil, func(ctx context.Context, p *domain.Principal, _ struct{}, page domain.PageRequest) (domain.Page[T], error) {
		return list(ctx, p, page)
	}, out)
}

// listUnder answers GET /things/:id/children: a page of what belongs to
// the thing (a run's results, a schedule's fires, an asset's events).
func listUnder[T, O any](list func(ctx context.Context, p *domain.Principal, id string, page domain.PageRequest) (domain.Page[T], error), out func(T) O) handlerFunc {
	return func(c *gin.Context) error {
		p, err := principal(c)
		if err != nil {
			return err
		}
		q, err := parseList(c)
		if err != nil {
			return err
		}
		page, err := list(c.Request.Context(), p, c.Param("id"), q.page)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, pageOf(page, out))
		return nil
	}
}

// getOne answers GET /things/:id.
func getOne[T, O any](get idFunc[T], out func(T) O) handlerFunc {
	return func(c *gin.Context) error {
		p, err := principal(c)
		if err != nil {
			return err
		}
		v, err := get(c.Request.Context(), p, c.Param("id"))
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, out(v))
		return nil
	}
}

// createOne answers POST /things (mounted at path) with 201, the new
// resource and its Location.
func createOne[I, T any, O identified](path string, create bodyFunc[I, T], out func(T) O) handlerFunc {
	return func(c *gin.Context) error {
		p, in, err := callerAndBody[I](c)
		if err != nil {
			return err
		}
		v, err := create(c.Request.Context(), p, in)
		if err != nil {
			return err
		}
		o := out(v)
		created(c, path, o.resourceID(), o)
		return nil
	}
}

// identified is a DTO that knows its id (for the Location of a 201).
type identified interface{ resourceID() string }

// updateOne answers PATCH /things/:id: the body I and the id in, the
// stored resource out.
func updateOne[I, T, O any](update func(ctx context.Context, p *domain.Principal, id string, in I) (T, error), out func(T) O) handlerFunc {
	return func(c *gin.Context) error {
		p, in, err := callerAndBody[I](c)
		if err != nil {
			return err
		}
		v, err := update(c.Request.Context(), p, c.Param("id"), in)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, out(v))
		return nil
	}
}

// callerAndBody finds the caller, then decodes the JSON body.
func callerAndBody[I any](c *gin.Context) (*domain.Principal, I, error) {
	var in I
	p, err := principal(c)
	if err != nil {
		return nil, in, err
	}
	// Bind before returning in: Go leaves unspecified whether a plain operand
	// is read before or after a call in the same return list.
	err = httpapi.BindJSON(c, &in)
	return p, in, err
}

// deleteOne answers DELETE /things/:id with 204.
func deleteOne(del func(ctx context.Context, p *domain.Principal, id string) error) handlerFunc {
	return func(c *gin.Context) error {
		p, err := principal(c)
		if err != nil {
			return err
		}
		if err := del(c.Request.Context(), p, c.Param("id")); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	}
}

// refuseQuery answers 400 to a request with a query string before next
// runs: for routes whose answer no parameter could change.
func refuseQuery(next handlerFunc) handlerFunc {
	return func(c *gin.Context) error {
		if err := noQuery(c); err != nil {
			return err
		}
		return next(c)
	}
}
