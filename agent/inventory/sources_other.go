//go:build !linux && !windows && !darwin

package inventory

// DefaultSources elsewhere: none yet.
func DefaultSources() []SoftwareSource {
	return []SoftwareSource{plannedSource{name: "packages", plan: "the platform's package database"}}
}
