//go:build linux

package inventory

import (
	"os"
	"os/exec"
)

// DefaultSources are the package databases present on this machine. Other
// Linux package managers (apk, pacman) are planned.
func DefaultSources() []SoftwareSource {
	var s []SoftwareSource
	if _, err := os.Stat(DpkgStatusPath); err == nil {
		s = append(s, DpkgSource{})
	}
	if _, err := exec.LookPath("rpm"); err == nil {
		s = append(s, RPMSource{})
	}
	return s
}
