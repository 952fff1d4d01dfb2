package files

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MaxPath bounds a requested path's length.
const MaxPath = 4096

// checkPath validates a requested path and returns it cleaned.
func checkPath(p string) (string, error) {
	switch {
	case p == "":
		return "", errors.New("path is empty")
	case len(p) > MaxPath:
		return "", fmt.Errorf("path is longer than %d bytes", MaxPath)
	case strings.IndexByte(p, 0) >= 0:
		return "", errors.New("path contains a NUL byte")
	case !filepath.IsAbs(p):
		return "", fmt.Errorf("path %q is not absolute", p)
	}
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == filepath.Separator }) {
		if part == ".." {
			return "", fmt.Errorf("path %q contains ..", p)
		}
	}
	return filepath.Clean(p), nil
}

// roots are the allowed directories, symlinks resolved; none = anywhere.
type roots []string

func resolveRoots(rs []string) (roots, error) {
	var out roots
	for _, r := range rs {
		c, err := checkPath(r)
		if err != nil {
			return nil, fmt.Errorf("file root: %w", err)
		}
		if ev, err := filepath.EvalSymlinks(c); err == nil {
			c = ev
		}
		out = append(out, c)
	}
	return out, nil
}

// within reports whether resolved (symlinks already resolved) is inside a root.
func (rs roots) within(resolved string) bool {
	for _, r := range rs {
		if resolved == r || strings.HasPrefix(resolved, strings.TrimSuffix(r, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// uploadTarget checks an upload's path: with roots, the parent directory,
// symlinks resolved, must be inside one; the returned path is the resolved
// parent joined with the base name.
func (rs roots) uploadTarget(p string) (string, error) {
	c, err := checkPath(p)
	if err != nil {
		return "", err
	}
	dir, base := filepath.Split(c)
	if base == "" {
		return "", fmt.Errorf("path %q names a directory", p)
	}
	rdir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("target directory: %w", err)
	}
	if fi, err := os.Stat(rdir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("target directory %s is not a directory", dir)
	}
	if len(rs) > 0 && !rs.within(rdir) {
		return "", fmt.Errorf("path %q is outside the allowed roots", p)
	}
	target := filepath.Join(rdir, base)
	if len(rs) > 0 {
		// A symlink at the target itself would be replaced, not followed;
		// still, refuse one pointing out of the roots to keep it simple.
		if ev, err := filepath.EvalSymlinks(target); err == nil && !rs.within(ev) {
			return "", fmt.Errorf("path %q is a link outside the allowed roots", p)
		}
	}
	return target, nil
}

// downloadSource checks a download's path; with roots, the file itself,
// symlinks resolved, must be inside one. It returns the resolved path.
func (rs roots) downloadSource(p string) (string, error) {
	c, err := checkPath(p)
	if err != nil {
		return "", err
	}
	ev, err := filepath.EvalSymlinks(c)
	if err != nil {
		return "", fmt.Errorf("source: %w", err)
	}
	if len(rs) > 0 && !rs.within(ev) {
		return "", fmt.Errorf("path %q is outside the allowed roots", p)
	}
	return ev, nil
}
