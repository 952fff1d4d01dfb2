package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

// ParseSystemProfilerApps reads `system_profiler -json SPApplicationsDataType`:
// every application bundle macOS knows (in /Applications and elsewhere),
// with its version. The same name and version in two places is one package.
func ParseSystemProfilerApps(out []byte) ([]protocol.SoftwarePackage, error) {
	var doc struct {
		Apps []struct {
			Name    string `json:"_name"`
			Version string `json:"version"`
		} `json:"SPApplicationsDataType"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("system_profiler output: %w", err)
	}
	seen := map[[2]string]bool{}
	var pkgs []protocol.SoftwarePackage
	for _, a := range doc.Apps {
		k := [2]string{strings.TrimSpace(a.Name), strings.TrimSpace(a.Version)}
		if k[0] == "" || seen[k] {
			continue
		}
		seen[k] = true
		pkgs = append(pkgs, protocol.SoftwarePackage{Name: k[0], Version: k[1], Source: "app"})
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if pkgs[i].Name != pkgs[j].Name {
			return pkgs[i].Name < pkgs[j].Name
		}
		return pkgs[i].Version < pkgs[j].Version
	})
	return pkgs, nil
}

// ParsePkgInfo reads one `pkgutil --pkg-info ID` answer ("package-id: …",
// "version: …", …) into a package named by its receipt id.
func ParsePkgInfo(out []byte) (protocol.SoftwarePackage, bool) {
	p := protocol.SoftwarePackage{Source: "pkgutil"}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "package-id":
			p.Name = strings.TrimSpace(v)
		case "version":
			p.Version = strings.TrimSpace(v)
		}
	}
	return p, p.Name != ""
}
