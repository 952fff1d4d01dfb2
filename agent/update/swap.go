package update

import (
	"fmt"
	"runtime"
)

// hardLinks: where the running executable may be replaced by a rename
// after linking it (Unix). Windows refuses to rename over a running
// executable but lets it be renamed away.
var hardLinks = runtime.GOOS != "windows"

// PrevSuffix names the previous build kept next to the executable.
const PrevSuffix = ".prev"

// NewSuffix names a build being staged next to the executable.
const NewSuffix = ".new"

// Swap makes staged the executable exe, keeping exe's build as
// exe+PrevSuffix. exe is replaced by one rename, so at every instant it is
// a complete build: the old one when Swap fails, the new one after. Where
// the running executable cannot be hard-linked (Windows), it is renamed
// away first and renamed back when the second rename fails.
func Swap(fsys FS, exe, staged string) error {
	prev := exe + PrevSuffix
	if err := fsys.Remove(prev); err != nil {
		return fmt.Errorf("remove the older %s: %w", prev, err)
	}
	if hardLinks && fsys.Link(exe, prev) == nil {
		if err := fsys.Rename(staged, exe); err != nil {
			_ = fsys.Remove(prev)
			return fmt.Errorf("install the new build: %w", err)
		}
		return nil
	}
	// No hard link: rename the running build away, then the new one in.
	if err := fsys.Rename(exe, prev); err != nil {
		return fmt.Errorf("keep the running build as %s: %w", prev, err)
	}
	if err := fsys.Rename(staged, exe); err != nil {
		if rerr := fsys.Rename(prev, exe); rerr != nil {
			return fmt.Errorf("install the new build: %w (and putting the old one back failed: %v)", err, rerr)
		}
		return fmt.Errorf("install the new build: %w", err)
	}
	return nil
}

// FailedSuffix names a build moved away by a rollback where it could not
// be replaced in place.
const FailedSuffix = ".failed"

// Rollback puts exe+PrevSuffix back as exe: one rename, or (where the
// running build cannot be replaced, Windows) the running build renamed
// to exe+FailedSuffix first.
func Rollback(fsys FS, exe string) error {
	err := fsys.Rename(exe+PrevSuffix, exe)
	if err == nil {
		return nil
	}
	_ = fsys.Remove(exe + FailedSuffix)
	if aerr := fsys.Rename(exe, exe+FailedSuffix); aerr != nil {
		return fmt.Errorf("roll back to %s: %w", exe+PrevSuffix, err)
	}
	if err := fsys.Rename(exe+PrevSuffix, exe); err != nil {
		_ = fsys.Rename(exe+FailedSuffix, exe)
		return fmt.Errorf("roll back to %s: %w", exe+PrevSuffix, err)
	}
	return nil
}
