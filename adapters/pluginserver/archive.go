package pluginserver

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// ArchiveDir writes dir as an archive unchanged: plugin.json, its signature
// when present, and every executable the manifest lists. Nothing is
// re-signed or re-hashed: Unpack verifies the result like any upload.
func (p *Packages) ArchiveDir(_ context.Context, dir string, w io.Writer) error {
	m, _, err := manifest.Load(dir)
	if err != nil {
		return plugins.Refuse(reasonFor(err), err)
	}
	names := []string{manifest.FileName}
	if _, err := os.Lstat(filepath.Join(dir, pack.SignatureFile)); err == nil {
		names = append(names, pack.SignatureFile)
	}
	seen := map[string]bool{}
	var exes []string
	for _, exe := range m.Executables {
		if !seen[exe.Path] {
			seen[exe.Path] = true
			exes = append(exes, exe.Path)
		}
	}
	sort.Strings(exes)
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, name := range append(names, exes...) {
		if err := addEntry(tw, dir, name); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("pluginserver: archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("pluginserver: archive: %w", err)
	}
	return nil
}

func addEntry(tw *tar.Writer, dir, rel string) error {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(path)
	if err != nil {
		return plugins.Refuse(plugins.ReasonHashMismatch, fmt.Errorf("%s: %w", rel, err))
	}
	if !fi.Mode().IsRegular() {
		return plugins.Refuse(plugins.ReasonUnsafePath, fmt.Errorf("%s is not a regular file", rel))
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("pluginserver: archive: %w", err)
	}
	defer f.Close()
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: int64(fi.Mode().Perm()), Size: fi.Size(),
		ModTime: time.Unix(0, 0).UTC(), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("pluginserver: archive %s: %w", rel, err)
	}
	if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
		return fmt.Errorf("pluginserver: archive %s: %w", rel, err)
	}
	return nil
}
