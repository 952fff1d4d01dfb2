//go:build unix

package scripts

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// account is who a script runs as.
type account struct {
	name, home string
	switchTo   bool // run with cred instead of the agent's identity
	cred       syscall.Credential
}

// resolveRunAs maps RunAs to an account. Only root can switch users.
func resolveRunAs(name string) (account, error) {
	cur, err := user.Current()
	if err != nil {
		return account{}, fmt.Errorf("who is the agent's user: %w", err)
	}
	if name == "" || name == cur.Username {
		return account{name: cur.Username, home: cur.HomeDir}, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, fmt.Errorf("runAs %q: %w", name, err)
	}
	if os.Geteuid() != 0 {
		return account{}, fmt.Errorf("runAs %q: the agent runs as %q, not root, and cannot switch users", name, cur.Username)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return account{}, fmt.Errorf("runAs %q: non-numeric uid/gid", name)
	}
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				groups = append(groups, uint32(n))
			}
		}
	}
	return account{name: u.Username, home: u.HomeDir, switchTo: true,
		cred: syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}, nil
}

func (a account) switches() bool { return a.switchTo }

// own hands the private directory and script to the account that runs it.
func (a account) own(paths ...string) error {
	if !a.switchTo {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(a.cred.Uid), int(a.cred.Gid)); err != nil {
			return fmt.Errorf("hand %s to %s: %w", p, a.name, err)
		}
	}
	return nil
}

func addPlatformEnv(map[string]string) {}

// setProcess puts the child in its own process group (so a timeout kills
// everything it started) under the account's credentials.
func setProcess(cmd *exec.Cmd, a account) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if a.switchTo {
		c := a.cred
		cmd.SysProcAttr.Credential = &c
	}
	cmd.Cancel = func() error {
		killGroup(cmd)
		return nil
	}
}

// killGroup SIGKILLs the child's process group (its pgid is its pid).
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
