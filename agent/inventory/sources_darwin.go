//go:build darwin

package inventory

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// DefaultSources on macOS: application bundles (system_profiler) and
// installer receipts (pkgutil).
func DefaultSources() []SoftwareSource {
	return []SoftwareSource{AppsSource{}, PkgutilSource{}}
}

// AppsSource lists application bundles through system_profiler.
type AppsSource struct{}

// Name implements SoftwareSource.
func (AppsSource) Name() string { return "app" }

// List implements SoftwareSource.
func (AppsSource) List(ctx context.Context) ([]protocol.SoftwarePackage, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	out, err := output(ctx, "system_profiler", "-json", "-detailLevel", "mini", "SPApplicationsDataType")
	if err != nil {
		return nil, err
	}
	return ParseSystemProfilerApps(out)
}

// PkgutilSource lists installer receipts (pkgutil --pkgs, then each one's
// version; at most maxReceipts of them).
type PkgutilSource struct{}

const maxReceipts = 2000

// Name implements SoftwareSource.
func (PkgutilSource) Name() string { return "pkgutil" }

// List implements SoftwareSource.
func (PkgutilSource) List(ctx context.Context) ([]protocol.SoftwarePackage, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	ids, err := output(ctx, "pkgutil", "--pkgs")
	if err != nil {
		return nil, err
	}
	var pkgs []protocol.SoftwarePackage
	sc := bufio.NewScanner(bytes.NewReader(ids))
	for sc.Scan() && len(pkgs) < maxReceipts {
		id := strings.TrimSpace(sc.Text())
		if id == "" {
			continue
		}
		info, err := output(ctx, "pkgutil", "--pkg-info", id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			pkgs = append(pkgs, protocol.SoftwarePackage{Name: id, Source: "pkgutil"}) // forgotten meanwhile
			continue
		}
		if p, ok := ParsePkgInfo(info); ok {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

func output(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
