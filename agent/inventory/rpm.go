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

// rpmQueryFormat prints name, [epoch:]version-release and arch, tab
// separated, one package per line.
const rpmQueryFormat = `%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\n`

// RPMSource asks rpm for its database (the format is not stable enough to
// read directly: BerkeleyDB, then SQLite, then ndb).
type RPMSource struct {
	Binary  string        // "rpm" from PATH when empty
	Timeout time.Duration // 2 minutes when zero
}

// Name implements SoftwareSource.
func (RPMSource) Name() string { return "rpm" }

// List implements SoftwareSource.
func (r RPMSource) List(ctx context.Context) ([]protocol.SoftwarePackage, error) {
	bin := r.Binary
	if bin == "" {
		bin = "rpm"
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-qa", "--qf", rpmQueryFormat)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("rpm -qa: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return ParseRPMList(out), nil
}

// ParseRPMList reads the output of rpm -qa with rpmQueryFormat. The
// gpg-pubkey pseudo-packages are keys, not software, and are skipped.
func ParseRPMList(out []byte) []protocol.SoftwarePackage {
	var pkgs []protocol.SoftwarePackage
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 2 || fields[0] == "" || fields[1] == "" || fields[0] == "gpg-pubkey" {
			continue
		}
		pkgs = append(pkgs, protocol.SoftwarePackage{Name: fields[0], Version: fields[1], Source: "rpm"})
	}
	return pkgs
}
