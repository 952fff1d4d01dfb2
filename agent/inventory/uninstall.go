package inventory

import (
	"sort"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

// UninstallEntry is one subkey of a Windows registry Uninstall key, as
// Programs and Features reads it.
type UninstallEntry struct {
	DisplayName     string
	DisplayVersion  string
	SystemComponent bool   // hidden from Programs and Features (runtimes' parts)
	ParentKeyName   string // an update or patch of another entry
	ReleaseType     string // "Update", "Hotfix", "Security Update": not programs
}

// ProgramsOf turns Uninstall entries (the 64- and 32-bit views of HKLM and
// the user's HKCU) into packages the way Programs and Features lists them:
// entries without a name, hidden system components and updates are left
// out, and the same name and version seen in several views is one package.
func ProgramsOf(entries []UninstallEntry) []protocol.SoftwarePackage {
	seen := map[[2]string]bool{}
	var out []protocol.SoftwarePackage
	for _, e := range entries {
		name := strings.TrimSpace(e.DisplayName)
		if name == "" || e.SystemComponent || e.ParentKeyName != "" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(e.ReleaseType)) {
		case "update", "hotfix", "security update", "service pack":
			continue
		}
		k := [2]string{name, strings.TrimSpace(e.DisplayVersion)}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, protocol.SoftwarePackage{Name: k[0], Version: k[1], Source: "registry"})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}
