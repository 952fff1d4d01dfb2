package domain

import (
	"encoding/base64"
	"strings"
)

// MaxPageSize caps every list; DefaultPageSize applies when a caller asks for none.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageRequest asks for one page of a list. Cursor is opaque: pass back the
// NextCursor of the previous page, or empty for the first.
type PageRequest struct {
	Limit  int
	Cursor string
}

// Normalize clamps Limit into [1, MaxPageSize].
func (p PageRequest) Normalize() PageRequest {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	return p
}

// Page is one page of a list, in ascending id (creation) order.
// NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// EncodeCursor makes the opaque cursor that resumes a list after lastID.
func EncodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + lastID))
}

// DecodeCursor returns the id a cursor resumes after; "" for an empty cursor.
// A cursor that was not made by EncodeCursor is ErrInvalid.
func DecodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !strings.HasPrefix(string(raw), "id:") || !ValidID(string(raw[3:])) {
		return "", Invalidf("malformed cursor")
	}
	return string(raw[3:]), nil
}
