package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// schemas turns DTO types into JSON Schema (OpenAPI 3.1 uses JSON Schema
// 2020-12) by reflection, collecting named structs as components. Struct tags
// add to what the json tag says: doc:"..." is the description, enum:"a,b"
// the allowed values.
type schemas struct {
	defs  map[string]map[string]any
	types map[string]reflect.Type // name → type, to catch two types with one name
}

func newSchemas() *schemas {
	return &schemas{defs: map[string]map[string]any{}, types: map[string]reflect.Type{}}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// of returns the schema of t: a $ref for a named struct, inline otherwise.
func (g *schemas) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t, false)
		}
		return g.ref(t, false)
	}
	return map[string]any{} // any value
}

// ref registers the named struct t as a component and refers to it. strict
// marks a request body: unknown properties are refused (BindJSON does).
func (g *schemas) ref(t reflect.Type, strict bool) map[string]any {
	name := schemaName(t)
	if prev, ok := g.types[name]; ok && prev != t {
		panic(fmt.Sprintf("api: two schema types are both named %s: %v and %v", name, prev, t))
	}
	if _, done := g.defs[name]; !done {
		g.types[name] = t
		g.defs[name] = nil // placeholder: a self-reference stops here
		g.defs[name] = g.object(t, strict)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// named registers a schema built by hand (a page wrapper) under name.
func (g *schemas) named(name string, s map[string]any) map[string]any {
	g.defs[name] = s
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// object describes a struct's JSON object; embedded structs are flattened
// like encoding/json does.
func (g *schemas) object(t reflect.Type, strict bool) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	if strict {
		s["additionalProperties"] = false
	}
	return s
}

func (g *schemas) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ps := g.of(f.Type)
		if d, enum := fieldDoc(f.Tag), fieldEnum(f.Tag); d != "" || enum != "" {
			ps = withAnnotations(ps, d, enum)
		}
		props[name] = ps
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") ||
			f.Type.Kind() == reflect.Pointer
		if !optional {
			*required = append(*required, name)
		}
	}
}

// withAnnotations adds a description and an enum. A $ref cannot carry
// siblings in every tool, so it is wrapped in allOf first.
func withAnnotations(s map[string]any, doc, enum string) map[string]any {
	out := map[string]any{}
	if _, isRef := s["$ref"]; isRef {
		out["allOf"] = []any{s}
	} else {
		for k, v := range s {
			out[k] = v
		}
	}
	if doc != "" {
		out["description"] = doc
	}
	if enum != "" {
		out["enum"] = strings.Split(enum, ",")
	}
	return out
}

var genericArgs = regexp.MustCompile(`[\w./-]*\.`)

// schemaName is a type's name without package paths or generic brackets.
func schemaName(t reflect.Type) string {
	n := genericArgs.ReplaceAllString(t.Name(), "")
	return strings.NewReplacer("[", "", "]", "", ",", "", " ", "").Replace(n)
}
