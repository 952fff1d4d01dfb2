package service

import (
	"context"
	"fmt"
	"time"
)

// WindowsDisplayName is the agent service's name in services.msc.
const WindowsDisplayName = "Breeze RMM agent"

// winServiceConfig is what the installer asks the service manager for.
type winServiceConfig struct {
	DisplayName  string
	Description  string
	Exe          string
	Args         []string
	RestartDelay time.Duration // restart after every failure, this long after it
}

// scm is the part of the Windows service control manager the installer
// uses (winsvc_windows.go implements it on golang.org/x/sys/windows/svc/mgr;
// tests use a fake).
type scm interface {
	// Stop stops the service and waits for it (no error when it is not
	// installed or not running).
	Stop(ctx context.Context, name string) error
	// Ensure creates the service (automatic start) or updates an existing
	// one's command line, and sets its recovery to restart on failure.
	Ensure(name string, c winServiceConfig) (created bool, err error)
	Start(name string) error
	Close() error
}

// winService installs a Windows service. Its fields are the seams tests
// use instead of touching the real system.
type winService struct {
	binPath  string
	elevated func() bool
	connect  func() (scm, error)
	copy     func(src, dst string) error
}

func (w *winService) Install(ctx context.Context, opts Options) error {
	cfg, err := opts.prepare()
	if err != nil {
		return err
	}
	c := winServiceConfig{DisplayName: WindowsDisplayName,
		Description: "Monitors and manages this computer for its technicians (Breeze RMM).",
		Exe:         w.binPath, Args: []string{"run", "--config", cfg}, RestartDelay: 5 * time.Second}
	if opts.DryRun {
		fmt.Fprintf(opts.Out, "# dry run: nothing is changed. Would:\n")
		for _, st := range []string{
			"stop the " + Name + " service (if installed and running)",
			fmt.Sprintf("copy %s to %s", opts.BinaryPath, w.binPath),
			fmt.Sprintf("create or update the %s service (%q, automatic start): %s run --config %s", Name, c.DisplayName, w.binPath, cfg),
			fmt.Sprintf("set its recovery: restart %s after every failure", c.RestartDelay),
			"start it",
		} {
			fmt.Fprintf(opts.Out, "#   %s\n", st)
		}
		return nil
	}
	if !w.elevated() {
		return fmt.Errorf("installing the service needs an elevated prompt: run `%s install` as Administrator", Name)
	}
	m, err := w.connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager: %w", err)
	}
	defer m.Close()
	// A running service holds its executable open: stop it before the copy.
	if err := m.Stop(ctx, Name); err != nil {
		return fmt.Errorf("stop the running %s service: %w", Name, err)
	}
	if err := w.copy(opts.BinaryPath, w.binPath); err != nil {
		return err
	}
	opts.Logger.Info("binary installed", "path", w.binPath)
	created, err := m.Ensure(Name, c)
	if err != nil {
		return fmt.Errorf("register the %s service: %w", Name, err)
	}
	opts.Logger.Info("service registered", "created", created)
	if err := m.Start(Name); err != nil {
		return fmt.Errorf("start the %s service: %w", Name, err)
	}
	fmt.Fprintf(opts.Out, "%s is installed and running. Follow it in the Event Viewer or with: sc query %s\n", Name, Name)
	return nil
}
