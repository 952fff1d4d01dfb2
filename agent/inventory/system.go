package inventory

import (
	"context"
	"fmt"
	"net"
	"sort"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/breeze-rmm/breeze/agent/collect"
	"github.com/breeze-rmm/breeze/protocol"
)

func osInfo(ctx context.Context) (*protocol.OSInfo, error) {
	h, err := host.InfoWithContext(ctx)
	if err != nil && h == nil {
		return nil, err
	}
	return &protocol.OSInfo{
		Name:          h.OS,
		Platform:      h.Platform,
		Version:       h.PlatformVersion,
		KernelVersion: h.KernelVersion,
		Hostname:      h.Hostname,
	}, nil
}

func cpuInfo(ctx context.Context) (*protocol.CPUInfo, error) {
	infos, err := cpu.InfoWithContext(ctx)
	if err != nil || len(infos) == 0 {
		return nil, fmt.Errorf("cpu info: %w", err)
	}
	cores, err := cpu.CountsWithContext(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("cpu cores: %w", err)
	}
	threads, err := cpu.CountsWithContext(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("cpu threads: %w", err)
	}
	return &protocol.CPUInfo{Model: infos[0].ModelName, Cores: cores, Threads: threads}, nil
}

func memoryTotal(ctx context.Context) (uint64, error) {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return 0, err
	}
	return vm.Total, nil
}

func filesystems(ctx context.Context) ([]protocol.Filesystem, error) {
	mounts, err := collect.Mounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.Filesystem, 0, len(mounts))
	for _, m := range mounts {
		u, err := disk.UsageWithContext(ctx, m.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		out = append(out, protocol.Filesystem{Mount: m.Mountpoint, Device: m.Device, FSType: m.Fstype, Total: u.Total})
	}
	return out, nil // Mounts sorts by mount point
}

// interfaces lists the non-loopback interfaces with MAC and addresses, sorted
// so that an unchanged machine yields an identical list.
func interfaces() ([]protocol.NetInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]protocol.NetInterface, 0, len(ifs))
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 || collect.IsLoopback(ifc.Name) {
			continue
		}
		ni := protocol.NetInterface{Name: ifc.Name, MAC: ifc.HardwareAddr.String()}
		if addrs, err := ifc.Addrs(); err == nil {
			for _, a := range addrs {
				ni.Addresses = append(ni.Addresses, a.String())
			}
			sort.Strings(ni.Addresses)
		}
		out = append(out, ni)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
