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
	ptmx, err := pty.StartWithSize(cmd, winsize(clampSize(f.Cols, f.Rows))) // Setsid + Setctty
	if err != nil {
		return fmt.Errorf("start %s in a pty: %w", shell, err)
	}
	s.begin(ptyConsole{File: ptmx, cmd: cmd}, func() *int {
		_ = cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code >= 0 {
			return &code
		}
		return nil
	}, idle)
	return nil
}

// ptyConsole is the PTY's master side and the shell in it.
type ptyConsole struct {
	*os.File
	cmd *exec.Cmd
}

func (p ptyConsole) resize(cols, rows int) { _ = pty.Setsize(p.File, winsize(cols, rows)) }

// hangup hangs up (or kills) the shell's process group; the shell is a
// session leader, so its pgid is its pid.
func (p ptyConsole) hangup(kill bool) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	sig := syscall.SIGHUP
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

func winsize(cols, rows int) *pty.Winsize {
	return &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}
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

// Supported reports whether this machine can run terminals: always on Unix.
func Supported() bool { return true }
