package api

import (
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Query parameter names shared by the list routes.
const (
	qLimit  = "limit"
	qCursor = "cursor"
	qSearch = "q"
)

// maxSearchLen bounds a ?q= search string.
const maxSearchLen = 200

// listQuery is a validated list request: its page and its filters.
type listQuery struct {
	page domain.PageRequest
	v    url.Values
}

// parseList validates ?limit=&cursor= (a domain.EncodeCursor cursor) and
// the named filters. Unknown or
// repeated parameters are 400 rather than ignored: a typo in a filter name
// must not silently widen a list.
func parseList(c *gin.Context, filters ...string) (listQuery, error) {
	v, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return listQuery{}, domain.Invalidf("malformed query string")
	}
	allowed := map[string]bool{qLimit: true, qCursor: true}
	for _, f := range filters {
		allowed[f] = true
	}
	for k, vs := range v {
		if !allowed[k] {
			return listQuery{}, domain.Invalidf("unknown query parameter %q", domain.Abbrev(k, 64))
		}
		if len(vs) > 1 {
			return listQuery{}, domain.Invalidf("query parameter %q is given more than once", k)
		}
	}
	q := listQuery{v: v}
	if s := v.Get(qLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > domain.MaxPageSize {
			return listQuery{}, domain.Invalidf("limit must be a whole number from 1 to %d", domain.MaxPageSize)
		}
		q.page.Limit = n
	}
	q.page.Cursor = v.Get(qCursor)
	if _, err := domain.DecodeCursor(q.page.Cursor); err != nil {
		return listQuery{}, err
	}
	q.page = q.page.Normalize()
	return q, nil
}

// id returns filter name as an id; "" when absent.
func (q listQuery) id(name string) (string, error) {
	s := q.v.Get(name)
	if s != "" && !domain.ValidID(s) {
		return "", domain.Invalidf("%s must be an id", name)
	}
	return s, nil
}

// text returns filter name as free text of at most maxSearchLen characters.
func (q listQuery) text(name string) (string, error) {
	s := q.v.Get(name)
	if utf8.RuneCountInString(s) > maxSearchLen || !utf8.ValidString(s) {
		return "", domain.Invalidf("%s must be valid text of at most %d characters", name, maxSearchLen)
	}
	return s, nil
}

// time returns filter name as an RFC 3339 time; zero when absent.
func (q listQuery) time(name string) (time.Time, error) {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.Invalidf("%s must be an RFC 3339 time such as 2024-05-01T12:00:00Z", name)
	}
	return t.UTC(), nil
}

// Documentation of the shared query parameters.
var (
	pLimit  = httpapi.Param{Name: qLimit, Type: "integer", Description: "Page size, 1 to 500 (default 50)."}
	pCursor = httpapi.Param{Name: qCursor, Description: "The nextCursor of the previous page."}
	pSearch = httpapi.Param{Name: qSearch, Description: "Case-insensitive substring of the name."}
)

// idParam documents an id filter.
func idParam(name, what string) httpapi.Param {
	return httpapi.Param{Name: name, Format: "uuid", Description: "Only " + what + "."}
}

// listParams documents the paging parameters followed by filters.
func listParams(filters ...httpapi.Param) []httpapi.Param {
	return append([]httpapi.Param{pLimit, pCursor}, filters...)
}

// Page is one page of a list: {"items": [...], "nextCursor": "..."};
// nextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// pageOf converts a store page; items is [] (never null) when empty.
func pageOf[S, T any](p domain.Page[S], conv func(S) T) Page[T] {
	out := Page[T]{Items: make([]T, 0, len(p.Items)), NextCursor: p.NextCursor}
	for _, it := range p.Items {
		out.Items = append(out.Items, conv(it))
	}
	return out
}

// optTime is a JSON time that is absent when zero.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// requireVersion checks the optimistic-concurrency version of a PATCH
// whose use case does not check it itself.
func requireVersion(v int64) error { return domain.RequireVersion(v) }

// noQuery refuses query parameters on a route that takes none.
func noQuery(c *gin.Context) error {
	if c.Request.URL.RawQuery != "" {
		return domain.Invalidf("this route takes no query parameters")
	}
	return nil
}
