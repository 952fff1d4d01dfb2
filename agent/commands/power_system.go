package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/service"
)

// SystemPower really reboots and uninstalls.
type SystemPower struct {
	ConfigPath string   // removed by Uninstall
	StateFiles []string // also removed (id cache, inventory cache, ...)
	Logger     hclog.Logger
}

func (p SystemPower) Reboot(ctx context.Context, delay time.Duration) (string, error) {
	switch runtime.GOOS {
	case "windows":
		secs := max(10, int(delay/time.Second))
		if err := run(ctx, "shutdown", "/r", "/t", strconv.Itoa(secs), "/c", "Breeze: reboot requested"); err != nil {
			return "", err
		}
		return fmt.Sprintf("reboot scheduled in %ds", secs), nil
	default:
		mins := max(1, int((delay+time.Minute-1)/time.Minute)) // at least a minute: the result goes out first
		if err := run(ctx, "shutdown", "-r", "+"+strconv.Itoa(mins), "Breeze: reboot requested"); err != nil {
			return "", err
		}
		return fmt.Sprintf("reboot scheduled in %d min", mins), nil
	}
}

// Uninstall disables the service and removes its unit, the config (with
// the agent token) and the state, then stops the service a few seconds
// later, so the result can still be sent.
func (p SystemPower) Uninstall(ctx context.Context) (string, error) {
	if runtime.GOOS != "linux" {
		return "", fmt.Errorf("uninstall is not supported on %s yet", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return "", errors.New("uninstall needs the agent to run as root (the service)")
	}
	unit := service.Name + ".service"
	if err := run(ctx, "systemctl", "disable", unit); err != nil {
		return "", err
	}
	var errs []error
	for _, f := range append([]string{"/etc/systemd/system/" + unit, p.ConfigPath}, p.StateFiles...) {
		if f == "" {
			continue
		}
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	_ = run(ctx, "systemctl", "daemon-reload")
	time.AfterFunc(5*time.Second, func() {
		if p.Logger != nil {
			p.Logger.Warn("uninstalled; stopping the service")
		}
		_ = exec.Command("systemctl", "stop", unit).Run()
	})
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("service disabled, but: %w", err)
	}
	return "service disabled, unit and config removed; stopping in 5 s", nil
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
