package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// Limits bound what Unpack accepts.
type Limits struct {
	MaxFileSize  int64 // one entry; default 256 MiB
	MaxTotalSize int64 // all entries; default 512 MiB
	MaxFiles     int   // default 256
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = 256 << 20
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = 512 << 20
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 256
	}
	return l
}

// Unpack extracts a plugin .tar.gz into dest, which must not exist yet or be
// empty. Only regular files and directories are accepted; absolute paths,
// "..", symlinks, hard links, devices and oversized entries are refused. On
// error dest is removed.
func Unpack(r io.Reader, dest string, lim Limits) (err error) {
	lim = lim.withDefaults()
	if err := prepareDest(dest); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dest)
		}
	}()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	tr := tar.NewReader(gz)
	var total int64
	files := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
		if hdr.Typeflag == tar.TypeDir && name == "" || name == "." {
			continue
		}
		if err := manifest.CheckPath(name); err != nil {
			return fmt.Errorf("unpack: %w: %v", ErrUnsafeEntry, err)
		}
		target := filepath.Join(dest, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("unpack: %w", err)
			}
		case tar.TypeReg:
			files++
			if files > lim.MaxFiles {
				return fmt.Errorf("unpack: %w: more than %d files", ErrTooLarge, lim.MaxFiles)
			}
			if hdr.Size < 0 || hdr.Size > lim.MaxFileSize {
				return fmt.Errorf("unpack: %w: %s is %d bytes (limit %d)", ErrTooLarge, name, hdr.Size, lim.MaxFileSize)
			}
			total += hdr.Size
			if total > lim.MaxTotalSize {
				return fmt.Errorf("unpack: %w: more than %d bytes in all", ErrTooLarge, lim.MaxTotalSize)
			}
			if err := writeFile(target, hdr, tr); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unpack: %w: %s has type %q (only files and directories)", ErrUnsafeEntry, name, hdr.Typeflag)
		}
	}
}

func prepareDest(dest string) error {
	entries, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dest, 0o755)
	case err != nil:
		return fmt.Errorf("unpack: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("unpack: %s is not empty", dest)
	}
	return nil
}

func writeFile(target string, hdr *tar.Header, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	mode := os.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		mode = 0o755
	}
	// O_EXCL: a duplicate entry cannot overwrite a file already checked.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("unpack: %w: %v", ErrUnsafeEntry, err)
	}
	_, err = io.CopyN(f, r, hdr.Size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unpack %s: %w", hdr.Name, err)
	}
	return nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
