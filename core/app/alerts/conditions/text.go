package conditions

import (
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// pluginIDRE is a plugin id as manifests have it (sdk/manifest).
var pluginIDRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)

// checkPluginID checks a plugin id's form (required, or optional and empty).
func checkPluginID(id string, required bool) error {
	if id == "" && !required {
		return nil
	}
	if !pluginIDRE.MatchString(id) {
		return domain.Invalidf("plugin %q is not a plugin id (lower-case letters, digits, '.', '_' and '-', at most 64)", domain.Abbrev(id, 64))
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
