//go:build linux

package inventory

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
)

// sysBlock is where Linux lists block devices.
var sysBlock = "/sys/block"

// skipBlock are block devices that are not disks: loop devices (snaps),
// RAM disks, zram swap, floppies, optical drives, device-mapper views of
// disks already listed, network block devices.
var skipBlock = []string{"loop", "ram", "zram", "fd", "sr", "dm-", "nbd"}

// blockDisks reads /sys/block: size in 512-byte sectors and the model.
func blockDisks() ([]protocol.Disk, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, err
	}
	var out []protocol.Disk
	for _, e := range entries {
		name := e.Name()
		if hasAnyPrefix(name, skipBlock) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(sysBlock, name, "size"))
		if err != nil {
			continue
		}
		sectors, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
		if err != nil || sectors == 0 {
			continue
		}
		d := protocol.Disk{Name: name, Size: sectors * 512}
		if m, err := os.ReadFile(filepath.Join(sysBlock, name, "device", "model")); err == nil {
			d.Model = strings.TrimSpace(string(m))
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
