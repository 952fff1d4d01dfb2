//go:build unix

package terminal

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/breeze-rmm/breeze/protocol"
)

// start runs the shell in a new PTY (its own session and process group).
func (s *session) start(f protocol.TerminalOpen, idle time.Duration) error {
	shell, err := pickShell(f.Shell)
	if err != nil {
		return err
	}
	cmd := exec.Command(shell)
	home, name := "/", ""
	if u, err := user.Current(); err == nil {
		home, name = u.HomeDir, u.Username
	}
	cmd.Dir = home
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm-256color", "LANG=C.UTF-8", "HOME=" + home, "USER=" + name, "LOGNAME=" + name, "SHELL=" + shell,
	}
	ptmx, err := pty.StartWithSize(cmd, winsize(f.Cols, f.Rows)) // Setsid + Setctty
	if err != nil {
		return fmt.Errorf("start %s in a pty: %w", shell, err)
	}
	s.ptmx, s.cmd = ptmx, cmd
	s.exited, s.pumpDone = make(chan struct{}), make(chan struct{})
	s.lastInput.Store(time.Now().UnixNano())
	out := make(chan []byte, 16)
	go s.reader(out)
	go s.pump(out)
	go s.writer()
	go s.idleWatch(idle)
	go func() {
		_ = cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code >= 0 {
			s.exitCode = &code
		}
		close(s.exited)
		s.close(ReasonExited)
	}()
	return nil
}

func (s *session) resize(cols, rows int) {
	if ws := winsize(cols, rows); s.ptmx != nil {
		_ = pty.Setsize(s.ptmx, ws)
	}
}

func winsize(cols, rows int) *pty.Winsize {
	clamp := func(v, def int) uint16 {
		if v <= 0 {
			return uint16(def)
		}
		return uint16(min(v, 1000))
	}
	return &pty.Winsize{Cols: clamp(cols, 80), Rows: clamp(rows, 24)}
}

// pickShell: the asked shell (absolute, or found on PATH), else $SHELL,
// else /bin/sh.
func pickShell(asked string) (string, error) {
	if asked != "" {
		if filepath.IsAbs(asked) {
			if fi, err := os.Stat(asked); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return "", fmt.Errorf("shell %q is not an executable file", asked)
			}
			return asked, nil
		}
		p, err := exec.LookPath(asked)
		if err != nil {
			return "", fmt.Errorf("shell %q: %w", asked, err)
		}
		return p, nil
	}
	if sh := os.Getenv("SHELL"); filepath.IsAbs(sh) {
		if _, err := os.Stat(sh); err == nil {
			return sh, nil
		}
	}
	return "/bin/sh", nil
}

// signalGroup hangs up (or kills) the shell's process group; the shell is
// a session leader, so its pgid is its pid.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	sig := syscall.SIGHUP
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
