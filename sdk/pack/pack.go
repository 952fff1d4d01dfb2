package pack

import (
	"archive/tar"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// Pack writes a .tar.gz of the plugin in dir to w: plugin.json with every
// executable's sha256 filled in (a sha256 already in the manifest must
// match), the signature when key is not nil, and the executables. The
// archive is reproducible (fixed times and owners, sorted entries).
func Pack(dir string, key ed25519.PrivateKey, w io.Writer) (*manifest.Manifest, error) {
	m, mbytes, err := pinned(dir)
	if err != nil {
		return nil, err
	}
	return write(dir, m, mbytes, key, w, gzip.DefaultCompression)
}

// write is Pack once the manifest is pinned, compressing at level.
func write(dir string, m *manifest.Manifest, mbytes []byte, key ed25519.PrivateKey, w io.Writer, level int) (*manifest.Manifest, error) {
	files := map[string][]byte{manifest.FileName: mbytes}
	if key != nil {
		sig, err := Sign(mbytes, key)
		if err != nil {
			return nil, err
		}
		files[SignatureFile] = sig
	}
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	tw := tar.NewWriter(gz)
	for _, name := range []string{manifest.FileName, SignatureFile} {
		if data, ok := files[name]; ok {
			if err := writeEntry(tw, name, 0o644, int64(len(data)), bytesReader(data)); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range executablePaths(m) {
		if err := addFile(tw, dir, p); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	return m, nil
}

// PackFile is Pack into the file out.
func PackFile(dir string, key ed25519.PrivateKey, out string) (*manifest.Manifest, error) {
	f, err := os.Create(out)
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	m, err := Pack(dir, key, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("pack: %w", cerr)
	}
	if err != nil {
		_ = os.Remove(out)
		return nil, err
	}
	return m, nil
}

// SignDir pins the executables' hashes in dir/plugin.json and writes
// dir/plugin.json.sig, for installing a plugin straight from a directory.
func SignDir(dir string, key ed25519.PrivateKey) (*manifest.Manifest, error) {
	m, mbytes, err := pinned(dir)
	if err != nil {
		return nil, err
	}
	sig, err := Sign(mbytes, key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), mbytes, 0o644); err != nil {
		return nil, fmt.Errorf("sign dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SignatureFile), sig, 0o644); err != nil {
		return nil, fmt.Errorf("sign dir: %w", err)
	}
	return m, nil
}

// pinned loads dir's manifest, hashes each executable and returns the
// manifest with hashes filled in, re-encoded.
func pinned(dir string) (*manifest.Manifest, []byte, error) { return pin(dir, false) }

// pin is pinned; repin replaces hashes already in the manifest instead of
// requiring them to match (a development build changes the binary).
func pin(dir string, repin bool) (*manifest.Manifest, []byte, error) {
	m, _, err := manifest.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	for plat, exe := range m.Executables {
		sum, err := HashFile(filepath.Join(dir, filepath.FromSlash(exe.Path)))
		if err != nil {
			return nil, nil, fmt.Errorf("pack: executables[%s]: %w", plat, err)
		}
		if !repin && exe.SHA256 != "" && exe.SHA256 != sum {
			return nil, nil, fmt.Errorf("pack: executables[%s] %s: %w (manifest %s, file %s)", plat, exe.Path, ErrHashMismatch, exe.SHA256, sum)
		}
		exe.SHA256 = sum
		m.Executables[plat] = exe
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("pack: encode manifest: %w", err)
	}
	return m, append(out, '\n'), nil
}

// HashFile returns the hex SHA-256 of a regular file (symlinks refused).
func HashFile(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %w: not a regular file", path, ErrUnsafeEntry)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func executablePaths(m *manifest.Manifest) []string {
	seen := map[string]bool{}
	var out []string
	for _, exe := range m.Executables {
		if !seen[exe.Path] {
			seen[exe.Path] = true
			out = append(out, exe.Path)
		}
	}
	sort.Strings(out)
	return out
}

func addFile(tw *tar.Writer, dir, rel string) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	return writeEntry(tw, rel, 0o755, fi.Size(), f)
}

func writeEntry(tw *tar.Writer, name string, mode, size int64, r io.Reader) error {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: size, ModTime: time.Unix(0, 0).UTC(), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("pack %s: %w", name, err)
	}
	if _, err := io.CopyN(tw, r, size); err != nil {
		return fmt.Errorf("pack %s: %w", name, err)
	}
	return nil
}
