//go:build windows

package scripts

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
)

type account struct{ name, home string }

// resolveRunAs: switching users is not supported on Windows yet.
func resolveRunAs(name string) (account, error) {
	cur, err := user.Current()
	if err != nil {
		return account{}, fmt.Errorf("who is the agent's user: %w", err)
	}
	if name != "" && !strings.EqualFold(name, cur.Username) {
		return account{}, fmt.Errorf("runAs %q: running as another user is not supported on Windows yet", name)
	}
	return account{name: cur.Username, home: cur.HomeDir}, nil
}

func (a account) switches() bool { return false }

func (a account) own(...string) error { return nil }

func addPlatformEnv(env map[string]string) {
	env["PATH"] = os.Getenv("PATH")
	for _, k := range []string{"SystemRoot", "ComSpec", "PATHEXT", "windir"} {
		env[k] = os.Getenv(k)
	}
}

func setProcess(cmd *exec.Cmd, _ account) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
