//go:build windows

package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// New returns the installer for this platform: a Windows service.
func New() Installer {
	dir := os.Getenv("ProgramFiles")
	if dir == "" {
		dir = `C:\Program Files`
	}
	return &winService{
		binPath:  filepath.Join(dir, "Breeze", Name+".exe"),
		elevated: func() bool { return windows.GetCurrentProcessToken().IsElevated() },
		connect: func() (scm, error) {
			m, err := mgr.Connect()
			if err != nil {
				return nil, err
			}
			return &winSCM{m: m}, nil
		},
		copy: copyBinary,
	}
}

// winSCM is scm on the real service control manager.
type winSCM struct{ m *mgr.Mgr }

func (w *winSCM) Close() error { return w.m.Disconnect() }

func (w *winSCM) Stop(ctx context.Context, name string) error {
	s, err := w.m.OpenService(name)
	if err != nil {
		return nil // not installed
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return err
	}
	if st.State == svc.Stopped {
		return nil
	}
	if st.State != svc.StopPending {
		if _, err := s.Control(svc.Stop); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(45 * time.Second)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return errors.New("it did not stop within 45 s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		if st, err = s.Query(); err != nil {
			return err
		}
	}
	return nil
}

func (w *winSCM) Ensure(name string, c winServiceConfig) (bool, error) {
	s, err := w.m.OpenService(name)
	created := false
	if err != nil {
		s, err = w.m.CreateService(name, c.Exe, mgr.Config{DisplayName: c.DisplayName, Description: c.Description,
			StartType: mgr.StartAutomatic}, c.Args...)
		if err != nil {
			return false, err
		}
		created = true
	} else {
		cur, err := s.Config()
		if err != nil {
			s.Close()
			return false, err
		}
		parts := []string{syscall.EscapeArg(c.Exe)}
		for _, a := range c.Args {
			parts = append(parts, syscall.EscapeArg(a))
		}
		cur.BinaryPathName = strings.Join(parts, " ")
		cur.DisplayName, cur.Description, cur.StartType = c.DisplayName, c.Description, mgr.StartAutomatic
		if err := s.UpdateConfig(cur); err != nil {
			s.Close()
			return false, err
		}
	}
	defer s.Close()
	// Restart after every failure, never giving up (the reset period is a day).
	actions := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: c.RestartDelay},
		{Type: mgr.ServiceRestart, Delay: c.RestartDelay},
		{Type: mgr.ServiceRestart, Delay: c.RestartDelay},
	}
	if err := s.SetRecoveryActions(actions, 86400); err != nil {
		return created, err
	}
	return created, nil
}

func (w *winSCM) Start(name string) error {
	s, err := w.m.OpenService(name)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Start()
}

// RunService runs run under the Windows service manager when the process
// was started by it (handled=true), stopping it on Stop or Shutdown; from a
// console it returns handled=false and the caller runs normally.
func RunService(run func(ctx context.Context) error) (handled bool, err error) {
	isService, err := svc.IsWindowsService()
	if err != nil || !isService {
		return false, err
	}
	h := &svcHandler{run: run}
	if err := svc.Run(Name, h); err != nil {
		return true, err
	}
	return true, h.err
}

type svcHandler struct {
	run func(ctx context.Context) error
	err error
}

func (h *svcHandler) Execute(_ []string, requests <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done: // the agent ended by itself: a failure the recovery restarts
			h.err = err
			if err != nil {
				return false, 1
			}
			return false, 0
		case r := <-requests:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: 30000}
				cancel()
				select {
				case h.err = <-done:
				case <-time.After(30 * time.Second):
				}
				return false, 0
			}
		}
	}
}
