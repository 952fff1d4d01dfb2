package files

import (
	"path"
	"strings"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
)

// MaxPathBytes bounds a device path.
const MaxPathBytes = 4096

// CleanPath checks a path for a device running deviceOS and returns it
// cleaned. It must be absolute and name a file: no ".." segment, no NUL or
// other control character, valid UTF-8, at most MaxPathBytes. On Windows it
// must be a drive path (C:\dir\file or C:/dir/file, returned with
// backslashes); UNC and device paths (\\server\share, \\?\...) are refused,
// and so is a ':' past the drive (alternate data streams). Elsewhere it
// must start with '/'. The agent checks again on its side.
func CleanPath(p, deviceOS string) (string, error) {
	if p == "" {
		return "", domain.Invalidf("path is required")
	}
	if len(p) > MaxPathBytes {
		return "", domain.Invalidf("path is longer than %d bytes", MaxPathBytes)
	}
	if !utf8.ValidString(p) {
		return "", domain.Invalidf("path is not valid UTF-8")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "", domain.Invalidf("path contains a NUL or control character")
		}
	}
	if strings.EqualFold(deviceOS, "windows") {
		return cleanWindows(p)
	}
	return cleanPosix(p)
}

func cleanPosix(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", domain.Invalidf("path must be absolute (start with /)")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", domain.Invalidf(`path must not contain ".."`)
		}
	}
	c := path.Clean(p)
	if c == "/" || strings.HasSuffix(p, "/") {
		return "", domain.Invalidf("path must name a file, not a directory")
	}
	return c, nil
}

func cleanWindows(p string) (string, error) {
	if len(p) < 3 || !isLetter(p[0]) || p[1] != ':' || (p[2] != '\\' && p[2] != '/') {
		return "", domain.Invalidf(`path must be absolute with a drive (C:\dir\file)`)
	}
	rest := strings.ReplaceAll(p[3:], "/", `\`)
	if strings.ContainsAny(rest, `:<>"|?*`) {
		return "", domain.Invalidf(`path contains a character Windows does not allow (:<>"|?*)`)
	}
	var segs []string
	for _, seg := range strings.Split(rest, `\`) {
		switch seg {
		case "..":
			return "", domain.Invalidf(`path must not contain ".."`)
		case "", ".":
			continue
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 || strings.HasSuffix(rest, `\`) {
		return "", domain.Invalidf("path must name a file, not a directory")
	}
	return strings.ToUpper(p[:1]) + `:\` + strings.Join(segs, `\`), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
