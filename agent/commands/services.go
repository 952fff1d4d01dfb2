package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionListServices, simple(func(ctx context.Context, e *Executor) (outcome, error) {
		svcs, err := listServices(ctx, e.d.Systemctl)
		return outcome{data: svcs}, err
	}))
	register(protocol.ActionRestartService, withPayload(func(ctx context.Context, e *Executor, p protocol.ServicePayload) (outcome, error) {
		if err := restartService(ctx, e.d.Systemctl, p.Name); err != nil {
			return outcome{}, err
		}
		return outcome{note: "restarted " + p.Name}, nil
	}))
}

// serviceName is what restart_service accepts: a systemd unit name, never
// an option (no leading "-") and never anything a shell would read.
var serviceName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9@._:-]{0,255}$`)

// ValidServiceName reports whether name may be passed to systemctl.
func ValidServiceName(name string) bool { return serviceName.MatchString(name) }

func requireSystemd() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("services are not supported on %s yet", runtime.GOOS)
	}
	return nil
}

func restartService(ctx context.Context, systemctl, name string) error {
	if err := requireSystemd(); err != nil {
		return err
	}
	if !ValidServiceName(name) {
		return fmt.Errorf("service name %q: want letters, digits and @._:- (a systemd unit name)", name)
	}
	// An argument vector, no shell; "--" ends the options for good measure.
	out, err := exec.CommandContext(ctx, systemctl, "restart", "--", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl restart %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// unitJSON is one row of `systemctl list-units --output=json`.
type unitJSON struct {
	Unit        string `json:"unit"`
	Load        string `json:"load"`
	Active      string `json:"active"`
	Sub         string `json:"sub"`
	Description string `json:"description"`
}

func listServices(ctx context.Context, systemctl string) ([]protocol.Service, error) {
	if err := requireSystemd(); err != nil {
		return nil, err
	}
	units, err := listUnits(ctx, systemctl)
	if err != nil {
		return nil, err
	}
	enabled := map[string]bool{}
	if out, err := exec.CommandContext(ctx, systemctl, "list-unit-files", "--type=service", "--no-legend", "--no-pager").Output(); err == nil {
		enabled = parseUnitFiles(out)
	}
	svcs := make([]protocol.Service, 0, len(units))
	for _, u := range units {
		svcs = append(svcs, protocol.Service{
			Name:        strings.TrimSuffix(u.Unit, ".service"),
			Description: u.Description,
			State:       serviceState(u.Active, u.Sub),
			Enabled:     enabled[u.Unit],
		})
	}
	return svcs, nil
}

// listUnits asks for JSON (systemd >= 246) and falls back to plain text.
func listUnits(ctx context.Context, systemctl string) ([]unitJSON, error) {
	out, err := exec.CommandContext(ctx, systemctl, "list-units", "--type=service", "--all", "--no-pager", "--output=json").Output()
	if err == nil {
		var units []unitJSON
		if json.Unmarshal(out, &units) == nil {
			return units, nil
		}
	}
	out, err = exec.CommandContext(ctx, systemctl, "list-units", "--type=service", "--all", "--no-pager", "--no-legend", "--plain").Output()
	if err != nil {
		return nil, fmt.Errorf("systemctl list-units: %w", err)
	}
	return parsePlainUnits(out), nil
}

// parsePlainUnits reads "UNIT LOAD ACTIVE SUB DESCRIPTION..." lines.
func parsePlainUnits(out []byte) []unitJSON {
	var units []unitJSON
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(strings.TrimLeft(sc.Text(), "●* "))
		if len(f) < 4 || !strings.HasSuffix(f[0], ".service") {
			continue
		}
		units = append(units, unitJSON{Unit: f[0], Load: f[1], Active: f[2], Sub: f[3], Description: strings.Join(f[4:], " ")})
	}
	return units
}

// parseUnitFiles reads "UNIT STATE [PRESET]" lines.
func parseUnitFiles(out []byte) map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 {
			m[f[0]] = f[1] == "enabled" || f[1] == "enabled-runtime" || f[1] == "alias"
		}
	}
	return m
}

func serviceState(active, sub string) string {
	switch {
	case active == "active" && sub == "running":
		return "running"
	case active == "active":
		return sub // exited, waiting, ...
	case active == "failed":
		return "failed"
	case active == "inactive":
		return "stopped"
	default:
		return active
	}
}
