package update

import "fmt"

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
	if err := fsys.Link(exe, prev); err == nil {
		if err := fsys.Rename(staged, exe); err != nil {
			_ = fsys.Remove(prev)
			return fmt.Errorf("install the new build: %w", err)
		}
		return nil
	}
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

// Rollback puts exe+PrevSuffix back as exe (one rename).
func Rollback(fsys FS, exe string) error {
	if err := fsys.Rename(exe+PrevSuffix, exe); err != nil {
		return fmt.Errorf("roll back to %s: %w", exe+PrevSuffix, err)
	}
	return nil
}
