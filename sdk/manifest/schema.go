package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Schema is the small JSON-Schema subset plugin settings use: one object
// with typed, flat properties.
type Schema struct {
	Type       string               `json:"type"` // always "object"
	Properties map[string]*Property `json:"properties"`
	Required   []string             `json:"required,omitempty"`
}

// Property is one setting.
type Property struct {
	Type        string   `json:"type"` // string, integer, number, boolean
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Secret      bool     `json:"secret,omitempty"` // stored encrypted, never echoed back
	Enum        []any    `json:"enum,omitempty"`
	Minimum     *float64 `json:"minimum,omitempty"`
	Maximum     *float64 `json:"maximum,omitempty"`
	MinLength   *int     `json:"minLength,omitempty"`
	MaxLength   *int     `json:"maxLength,omitempty"`
	Pattern     string   `json:"pattern,omitempty"`
	Format      string   `json:"format,omitempty"` // "uri": absolute http(s) URL
	Default     any      `json:"default,omitempty"`
}

var propNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)

// Check says whether the schema itself is well formed.
func (s *Schema) Check() error {
	if s.Type != "object" {
		return fmt.Errorf("type must be \"object\", got %q", s.Type)
	}
	for name, p := range s.Properties {
		if !propNameRE.MatchString(name) {
			return fmt.Errorf("property name %q: want a letter then letters, digits, _", name)
		}
		if p == nil {
			return fmt.Errorf("property %q is null", name)
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("property %q: %w", name, err)
		}
	}
	for _, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			return fmt.Errorf("required %q is not a property", r)
		}
	}
	return nil
}

func (p *Property) check() error {
	switch p.Type {
	case "string", "integer", "number", "boolean":
	default:
		return fmt.Errorf("type %q: want string, integer, number or boolean", p.Type)
	}
	if p.Minimum != nil && p.Maximum != nil && *p.Minimum > *p.Maximum {
		return errors.New("minimum is greater than maximum")
	}
	if (p.Minimum != nil || p.Maximum != nil) && p.Type != "integer" && p.Type != "number" {
		return errors.New("minimum/maximum apply to numbers only")
	}
	if (p.MinLength != nil || p.MaxLength != nil || p.Pattern != "" || p.Format != "") && p.Type != "string" {
		return errors.New("minLength/maxLength/pattern/format apply to strings only")
	}
	if p.MinLength != nil && p.MaxLength != nil && *p.MinLength > *p.MaxLength {
		return errors.New("minLength is greater than maxLength")
	}
	if p.Pattern != "" {
		if _, err := regexp.Compile(p.Pattern); err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
	}
	if p.Format != "" && p.Format != "uri" {
		return fmt.Errorf("format %q: only \"uri\" is supported", p.Format)
	}
	for _, e := range p.Enum {
		if err := p.typeOK(e); err != nil {
			return fmt.Errorf("enum value %v: %w", e, err)
		}
	}
	if p.Default != nil {
		if err := p.validate(p.Default); err != nil {
			return fmt.Errorf("default: %w", err)
		}
	}
	return nil
}

// ValidateSettings checks settings JSON against the schema: an object, no
// unknown keys, required keys present, each value of its type and in range.
// A nil schema accepts only an empty object (or nothing).
func ValidateSettings(s *Schema, settings json.RawMessage) error {
	values := map[string]any{}
	if trimmed := bytes.TrimSpace(settings); len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&values); err != nil {
			return fmt.Errorf("%w: settings must be a JSON object: %v", ErrInvalid, err)
		}
	}
	var errs []string
	props := map[string]*Property{}
	var required []string
	if s != nil {
		props, required = s.Properties, s.Required
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := props[k]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: unknown setting", k))
			continue
		}
		if err := p.validate(values[k]); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", k, err))
		}
	}
	for _, r := range required {
		if v, ok := values[r]; !ok || v == nil {
			errs = append(errs, fmt.Sprintf("%s: required", r))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: settings: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

func (p *Property) typeOK(v any) error {
	switch p.Type {
	case "string":
		if _, ok := v.(string); !ok {
			return errors.New("want a string")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return errors.New("want true or false")
		}
	case "integer", "number":
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("want a %s", p.Type)
		}
		if p.Type == "integer" && f != math.Trunc(f) {
			return errors.New("want an integer")
		}
	}
	return nil
}

func (p *Property) validate(v any) error {
	if err := p.typeOK(v); err != nil {
		return err
	}
	if len(p.Enum) > 0 && !inEnum(p.Enum, v) {
		return fmt.Errorf("%v is not one of %v", v, p.Enum)
	}
	if f, ok := toFloat(v); ok {
		if p.Minimum != nil && f < *p.Minimum {
			return fmt.Errorf("%v is below the minimum %v", f, *p.Minimum)
		}
		if p.Maximum != nil && f > *p.Maximum {
			return fmt.Errorf("%v is above the maximum %v", f, *p.Maximum)
		}
	}
	if str, ok := v.(string); ok {
		n := utf8.RuneCountInString(str)
		if p.MinLength != nil && n < *p.MinLength {
			return fmt.Errorf("shorter than %d characters", *p.MinLength)
		}
		if p.MaxLength != nil && n > *p.MaxLength {
			return fmt.Errorf("longer than %d characters", *p.MaxLength)
		}
		if p.Pattern != "" && !regexp.MustCompile(p.Pattern).MatchString(str) {
			return fmt.Errorf("does not match %s", p.Pattern)
		}
		if p.Format == "uri" {
			u, err := url.Parse(str)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("want an absolute http(s) URL")
			}
		}
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		ef, eNum := toFloat(e)
		vf, vNum := toFloat(v)
		if eNum && vNum && ef == vf {
			return true
		}
		if !eNum && !vNum && e == v {
			return true
		}
	}
	return false
}

// SecretKeys lists the properties marked secret, sorted; hosts encrypt these
// at rest and redact them in API answers.
func (s *Schema) SecretKeys() []string {
	if s == nil {
		return nil
	}
	var out []string
	for k, p := range s.Properties {
		if p != nil && p.Secret {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
