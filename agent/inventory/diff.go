package inventory

import (
	"reflect"

	"github.com/breeze-rmm/breeze/protocol"
)

// Diff compares the last inventory the server got (prev, a full one) with a
// fresh full one (cur) and returns a partial inventory holding only what
// changed: whole sections for hardware, and added/removed packages for
// software. changed is false when there is nothing to send.
//
// An empty section in cur means "could not read" and is never reported as a
// removal (plugin facts included: a withdrawn collector's facts stay until
// the next full inventory); the protocol has no way to say "now empty" for a section, and a
// machine losing every disk or interface is better caught by the next full
// inventory than guessed from a failed read.
func Diff(prev, cur protocol.Inventory) (d protocol.Inventory, changed bool) {
	d = protocol.Inventory{Header: protocol.Header{Type: protocol.TypeInventory}, At: cur.At}
	if cur.OS != nil && (prev.OS == nil || *cur.OS != *prev.OS) {
		d.OS, changed = cur.OS, true
	}
	if cur.CPU != nil && (prev.CPU == nil || *cur.CPU != *prev.CPU) {
		d.CPU, changed = cur.CPU, true
	}
	if cur.MemoryTotal != 0 && cur.MemoryTotal != prev.MemoryTotal {
		d.MemoryTotal, changed = cur.MemoryTotal, true
	}
	if len(cur.Disks) > 0 && !sameSlice(prev.Disks, cur.Disks) {
		d.Disks, changed = cur.Disks, true
	}
	if len(cur.Filesystems) > 0 && !sameSlice(prev.Filesystems, cur.Filesystems) {
		d.Filesystems, changed = cur.Filesystems, true
	}
	if len(cur.Interfaces) > 0 && !sameSlice(prev.Interfaces, cur.Interfaces) {
		d.Interfaces, changed = cur.Interfaces, true
	}
	if len(cur.Facts) > 0 && !sameSlice(prev.Facts, cur.Facts) {
		d.Facts, changed = cur.Facts, true // replaced as a whole
	}
	d.SoftwareAdded, d.SoftwareRemoved = softwareDiff(prev.Software, cur.Software)
	if len(d.SoftwareAdded) > 0 || len(d.SoftwareRemoved) > 0 {
		changed = true
	}
	return d, changed
}

func sameSlice[T any](a, b []T) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// softwareDiff treats a package as (source, name, version): an upgrade is the
// old version removed and the new one added.
func softwareDiff(prev, cur []protocol.SoftwarePackage) (added, removed []protocol.SoftwarePackage) {
	before := make(map[string]struct{}, len(prev))
	for _, p := range prev {
		before[softwareKey(p)] = struct{}{}
	}
	now := make(map[string]struct{}, len(cur))
	for _, p := range cur {
		k := softwareKey(p)
		now[k] = struct{}{}
		if _, ok := before[k]; !ok {
			added = append(added, p)
		}
	}
	for _, p := range prev {
		if _, ok := now[softwareKey(p)]; !ok {
			removed = append(removed, p)
		}
	}
	return added, removed
}
