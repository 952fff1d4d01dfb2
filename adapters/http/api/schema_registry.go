package api

import (
	"reflect"
	"strings"

	"github.com/breeze-rmm/breeze/core/app/commands/actions"
)

// A field tagged enumFrom:"name" or docFrom:"name" takes its enum or
// description from a registry at build time instead of a literal tag, so
// the reference follows the registry (a new action needs no edit here).
var (
	enumSources = map[string]func() []string{"actions": actions.Names}
	docSources  = map[string]func() string{"actionPayloads": actions.PayloadDocs}
)

func fieldEnum(tag reflect.StructTag) string {
	if src := tag.Get("enumFrom"); src != "" {
		return strings.Join(enumSources[src](), ",")
	}
	return tag.Get("enum")
}

func fieldDoc(tag reflect.StructTag) string {
	if src := tag.Get("docFrom"); src != "" {
		return docSources[src]()
	}
	return tag.Get("doc")
}
