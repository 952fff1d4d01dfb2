package inventory

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

// DpkgStatusPath is where dpkg keeps its database of installed packages.
const DpkgStatusPath = "/var/lib/dpkg/status"

// DpkgSource reads dpkg's status file directly: no exec, no dpkg-query.
type DpkgSource struct {
	Path string // DpkgStatusPath when empty
}

// Name implements SoftwareSource.
func (DpkgSource) Name() string { return "dpkg" }

// List implements SoftwareSource.
func (d DpkgSource) List(ctx context.Context) ([]protocol.SoftwarePackage, error) {
	path := d.Path
	if path == "" {
		path = DpkgStatusPath
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dpkg: %w", err)
	}
	defer f.Close()
	return ParseDpkgStatus(ctx, f)
}

// ParseDpkgStatus returns the installed packages in a dpkg status file:
// stanzas separated by blank lines, "Field: value" lines, continuation lines
// starting with a space. Only packages whose Status ends in "installed" are
// kept (not removed-but-configured ones).
func ParseDpkgStatus(ctx context.Context, r io.Reader) ([]protocol.SoftwarePackage, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20) // descriptions can have long lines
	var out []protocol.SoftwarePackage
	var name, version, status string
	flush := func() {
		if name != "" && version != "" && dpkgInstalled(status) {
			out = append(out, protocol.SoftwarePackage{Name: name, Version: version, Source: "dpkg"})
		}
		name, version, status = "", "", ""
	}
	for n := 0; sc.Scan(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Package":
			name = val
		case "Version":
			version = val
		case "Status":
			status = val
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dpkg status: %w", err)
	}
	flush()
	return out, nil
}

// dpkgInstalled reads "want flag state" (e.g. "install ok installed",
// "hold ok installed", "deinstall ok config-files").
func dpkgInstalled(status string) bool {
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}
