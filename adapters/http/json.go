package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/gin-gonic/gin"
)

// maxEchoedField bounds how much of an attacker-chosen field name an error echoes.
const maxEchoedField = 64

// BindJSON decodes the request body, exactly one JSON value, into v. It
// answers nothing itself; pass its error to WriteError:
//   - a Content-Type other than application/json → 415 (a cross-site form
//     cannot send application/json without a CORS preflight);
//   - an empty, malformed or trailing-garbage body, a wrong type or an
//     unknown field → domain.ErrInvalid (400) with a message saying which;
//   - a body over the size limit → *http.MaxBytesError (413).
func BindJSON(c *gin.Context, v any) error {
	if err := requireJSON(c.Request); err != nil {
		return err
	}
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return domain.Invalidf("request body is empty")
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	// A second value or junk after the first is a malformed request, not something to ignore.
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("httpapi: read body: %w", err)
		}
		return domain.Invalidf("request body must hold a single JSON value")
	}
	return nil
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return fmt.Errorf("httpapi: no content type: %w", errUnsupportedMediaType)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("httpapi: content type %q: %w", ct, errUnsupportedMediaType)
	}
	return nil
}

// jsonError turns a decoder error into a caller-safe ErrInvalid, keeping size
// limits and programmer errors as they are.
func jsonError(err error) error {
	var (
		tooLarge  *http.MaxBytesError
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalidUn *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("httpapi: read body: %w", err)
	case errors.As(err, &invalidUn): // a bug in the handler, not the caller's fault
		return fmt.Errorf("httpapi: bind json: %w", err)
	case errors.Is(err, io.EOF):
		return domain.Invalidf("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Invalidf("malformed JSON: unexpected end of body")
	case errors.As(err, &syntax):
		return domain.Invalidf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return domain.Invalidf("field %q must be %s", domain.Abbrev(typeErr.Field, maxEchoedField), jsonKind(typeErr.Type))
		}
		return domain.Invalidf("request body must be %s", jsonKind(typeErr.Type))
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return domain.Invalidf("unknown field %s", domain.Abbrev(field, maxEchoedField))
	}
	return domain.Invalidf("malformed JSON body")
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "a different type"
	}
}
