package collect

import (
	"context"
	"runtime"
	"sort"
	"strings"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/breeze-rmm/breeze/protocol"
)

// pseudoFS are filesystem types that hold no user data; reporting their
// "usage" would only add noise (and thousands of rows per fleet).
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "tmpfs": true, "devtmpfs": true, "devpts": true,
	"overlay": true, "squashfs": true, "cgroup": true, "cgroup2": true,
	"securityfs": true, "debugfs": true, "tracefs": true, "configfs": true,
	"fusectl": true, "mqueue": true, "hugetlbfs": true, "pstore": true,
	"bpf": true, "autofs": true, "binfmt_misc": true, "rpc_pipefs": true,
	"nsfs": true, "efivarfs": true, "ramfs": true, "selinuxfs": true,
	"fuse.lxcfs": true, "fuse.gvfsd-fuse": true, "fuse.portal": true,
	"devfs": true, "nullfs": true, "none": true, "iso9660": true, "udf": true,
}

// IsPseudoFS reports whether fstype is a virtual filesystem to skip.
func IsPseudoFS(fstype string) bool {
	t := strings.ToLower(fstype)
	return pseudoFS[t] || strings.HasPrefix(t, "cgroup")
}

// skipMount drops mount points that are system plumbing even when their type
// looks real (macOS's sealed system volumes; snaps on Linux).
func skipMount(mount string) bool {
	switch runtime.GOOS {
	case "darwin":
		return strings.HasPrefix(mount, "/System/Volumes/") && mount != "/System/Volumes/Data" ||
			strings.HasPrefix(mount, "/private/var/vm")
	case "windows":
		return false
	default:
		for _, p := range []string{"/proc", "/sys", "/dev", "/run", "/snap"} {
			if mount == p || strings.HasPrefix(mount, p+"/") {
				return true
			}
		}
		return false
	}
}

// Mounts lists the real mounted filesystems, one per device (bind mounts of
// the same device, as containers have, are reported once: the shortest
// mount point wins), sorted by mount point.
func Mounts(ctx context.Context) ([]disk.PartitionStat, error) {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil && len(parts) == 0 {
		return nil, err
	}
	byDevice := map[string]disk.PartitionStat{}
	var noDevice []disk.PartitionStat
	for _, p := range parts {
		if IsPseudoFS(p.Fstype) || skipMount(p.Mountpoint) {
			continue
		}
		if p.Device == "" {
			noDevice = append(noDevice, p)
			continue
		}
		if old, ok := byDevice[p.Device]; !ok || len(p.Mountpoint) < len(old.Mountpoint) {
			byDevice[p.Device] = p
		}
	}
	out := noDevice
	for _, p := range byDevice {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mountpoint < out[j].Mountpoint })
	return out, nil
}

// DiskUsage reports usage of every real filesystem. A filesystem that cannot
// be read (a hung NFS mount, a removed USB stick) is skipped, not fatal.
func DiskUsage(ctx context.Context) ([]protocol.DiskUsage, error) {
	mounts, err := Mounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.DiskUsage, 0, len(mounts))
	for _, m := range mounts {
		u, err := disk.UsageWithContext(ctx, m.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		out = append(out, protocol.DiskUsage{Mount: m.Mountpoint, FSType: m.Fstype, Total: u.Total, Used: min(u.Used, u.Total)})
	}
	return out, nil
}
