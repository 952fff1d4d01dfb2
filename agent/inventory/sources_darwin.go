//go:build darwin

package inventory

// DefaultSources on macOS: application bundles and installer receipts are
// planned.
func DefaultSources() []SoftwareSource {
	return []SoftwareSource{plannedSource{name: "macos", plan: "bundles in /Applications (Info.plist) and `pkgutil --pkgs` receipts"}}
}
