//go:build windows

package inventory

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"

	"github.com/breeze-rmm/breeze/protocol"
)

// DefaultSources on Windows: the registry's Uninstall keys.
func DefaultSources() []SoftwareSource { return []SoftwareSource{RegistrySource{}} }

// RegistrySource lists installed programs from the Uninstall keys Programs
// and Features reads: HKLM in the 64- and 32-bit views, and the current
// user's HKCU (the agent's own account when it runs as a service).
type RegistrySource struct{}

// Name implements SoftwareSource.
func (RegistrySource) Name() string { return "registry" }

const uninstallPath = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`

// List implements SoftwareSource.
func (RegistrySource) List(ctx context.Context) ([]protocol.SoftwarePackage, error) {
	var entries []UninstallEntry
	var firstErr error
	for _, v := range []struct {
		root   registry.Key
		access uint32
	}{
		{registry.LOCAL_MACHINE, registry.WOW64_64KEY},
		{registry.LOCAL_MACHINE, registry.WOW64_32KEY},
		{registry.CURRENT_USER, 0},
	} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		got, err := readUninstall(v.root, v.access)
		if err != nil && firstErr == nil && !errors.Is(err, registry.ErrNotExist) {
			firstErr = err
		}
		entries = append(entries, got...)
	}
	if len(entries) == 0 && firstErr != nil {
		return nil, fmt.Errorf("read the Uninstall keys: %w", firstErr)
	}
	return ProgramsOf(entries), nil
}

func readUninstall(root registry.Key, view uint32) ([]UninstallEntry, error) {
	k, err := registry.OpenKey(root, uninstallPath, registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE|view)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadSubKeyNames(-1)
	if err != nil {
		return nil, err
	}
	out := make([]UninstallEntry, 0, len(names))
	for _, n := range names {
		sk, err := registry.OpenKey(k, n, registry.QUERY_VALUE|view)
		if err != nil {
			continue // removed meanwhile, or not readable: skip it
		}
		var e UninstallEntry
		e.DisplayName, _, _ = sk.GetStringValue("DisplayName")
		e.DisplayVersion, _, _ = sk.GetStringValue("DisplayVersion")
		e.ParentKeyName, _, _ = sk.GetStringValue("ParentKeyName")
		e.ReleaseType, _, _ = sk.GetStringValue("ReleaseType")
		if v, _, err := sk.GetIntegerValue("SystemComponent"); err == nil && v == 1 {
			e.SystemComponent = true
		}
		sk.Close()
		out = append(out, e)
	}
	return out, nil
}
