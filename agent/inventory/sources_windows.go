//go:build windows

package inventory

// DefaultSources on Windows: the registry's Uninstall keys (HKLM, both
// views, and per-user) are planned.
func DefaultSources() []SoftwareSource {
	return []SoftwareSource{plannedSource{name: "registry", plan: `the registry's Uninstall keys under HKLM\Software (64- and 32-bit views) and HKCU`}}
}
