package pluginhost

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// isolateNetwork makes cmd start in a new user and network namespace: the
// plugin sees only a loopback device that is down, so it can open no
// connection at all (go-plugin talks over a unix socket, a file, which
// crosses network namespaces). The user namespace maps the server's own
// uid and gid to themselves: files stay as accessible as before, and a
// plugin of a server running as root holds no capability outside its
// namespaces, so it cannot setns back into the host's network.
func isolateNetwork(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	a := cmd.SysProcAttr
	uid, gid := os.Geteuid(), os.Getegid()
	a.Cloneflags |= syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
}

// NetworkIsolation reports whether plugins can be started without a
// network here (nil) or why not (a kernel without user namespaces, a
// sysctl or seccomp profile forbidding them, ...). The answer is cached.
var NetworkIsolation = sync.OnceValue(func() error {
	// The namespaces are made by clone, before exec: starting a program
	// that does not exist fails with ENOENT once they were made, and with
	// clone's own error otherwise. Nothing runs either way.
	cmd := exec.Command("/nonexistent/breeze-netns-probe")
	isolateNetwork(cmd)
	err := cmd.Start()
	if err == nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("pluginhost: cannot start plugins in their own network namespace: %w", err)
})
