//go:build !linux

package inventory

import (
	"fmt"
	"runtime"

	"github.com/breeze-rmm/breeze/protocol"
)

// blockDisks: physical disk listing is planned for Windows (WMI
// Win32_DiskDrive) and macOS (IOKit); filesystems are reported meanwhile.
func blockDisks() ([]protocol.Disk, error) {
	return nil, fmt.Errorf("disk inventory is %w on %s (filesystems are reported)", ErrUnsupported, runtime.GOOS)
}
