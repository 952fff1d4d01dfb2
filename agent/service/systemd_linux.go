//go:build linux

package service

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// New returns the installer for this platform: systemd.
func New() Installer {
	return &systemd{
		unitPath: "/etc/systemd/system/" + Name + ".service",
		binPath:  "/usr/local/bin/" + Name,
		euid:     os.Geteuid,
		run:      runCommand,
		lookPath: exec.LookPath,
	}
}

// systemd installs a unit. Its fields are the seams tests use instead of
// touching the real system.
type systemd struct {
	unitPath string
	binPath  string
	euid     func() int
	run      func(ctx context.Context, name string, args ...string) error
	lookPath func(string) (string, error)
}

func (s *systemd) Install(ctx context.Context, opts Options) error {
	cfg, err := opts.prepare()
	if err != nil {
		return err
	}
	unit := SystemdUnit(UnitOptions{ExecPath: s.binPath, ConfigPath: cfg})
	steps := []string{
		fmt.Sprintf("copy %s to %s (mode 0755)", opts.BinaryPath, s.binPath),
		fmt.Sprintf("write %s (mode 0644)", s.unitPath),
		"systemctl daemon-reload",
		"systemctl enable " + Name + ".service",
		"systemctl restart " + Name + ".service",
	}
	if opts.DryRun {
		fmt.Fprintf(opts.Out, "# dry run: nothing is changed. Would:\n")
		for _, st := range steps {
			fmt.Fprintf(opts.Out, "#   %s\n", st)
		}
		fmt.Fprintf(opts.Out, "# %s:\n%s", s.unitPath, unit)
		return nil
	}
	if s.euid() != 0 {
		return fmt.Errorf("installing the service needs root: run `sudo %s install`", Name)
	}
	if _, err := s.lookPath("systemctl"); err != nil {
		return fmt.Errorf("systemd (systemctl) not found: run `%s run --config %s` under your service manager", Name, cfg)
	}
	if err := copyBinary(opts.BinaryPath, s.binPath); err != nil {
		return err
	}
	opts.Logger.Info("binary installed", "path", s.binPath)
	if err := writeFile(s.unitPath, []byte(unit), 0o644); err != nil {
		return err
	}
	opts.Logger.Info("unit written", "path", s.unitPath)
	for _, args := range [][]string{{"daemon-reload"}, {"enable", Name + ".service"}, {"restart", Name + ".service"}} {
		if err := s.run(ctx, "systemctl", args...); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.Out, "%s is installed and running. Follow it with: journalctl -u %s -f\n", Name, Name)
	return nil
}
