//go:build !linux

package pluginhost

import (
	"errors"
	"os/exec"
)

func isolateNetwork(*exec.Cmd) {}

// NetworkIsolation: network namespaces are Linux's.
func NetworkIsolation() error {
	return errors.New("pluginhost: plugins run in their own network namespace on Linux only")
}
