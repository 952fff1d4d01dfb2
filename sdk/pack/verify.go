package pack

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// AllowUnsigned accepts a plugin without plugin.json.sig (development
	// only). A signature that is present is always checked.
	AllowUnsigned bool
}

// Result is what a successful verification learned.
type Result struct {
	Manifest *manifest.Manifest
	KeyID    string // "" when unsigned and allowed
}

// Verify checks a plugin directory: the manifest is valid and pins every
// executable, its signature verifies with a trusted key, and every listed
// executable is a regular file with the pinned sha256.
func Verify(dir string, trusted []ed25519.PublicKey, opts VerifyOptions) (*Result, error) {
	mbytes, err := readLimited(filepath.Join(dir, manifest.FileName), manifest.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	m, err := manifest.Parse(mbytes)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if err := m.RequireHashes(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	res := &Result{Manifest: m}
	sig, err := readLimited(filepath.Join(dir, SignatureFile), 4096)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if !opts.AllowUnsigned {
			return nil, fmt.Errorf("verify %s: %w", m.ID, ErrUnsigned)
		}
	case err != nil:
		return nil, fmt.Errorf("verify: %w", err)
	default:
		if res.KeyID, err = CheckSignature(mbytes, sig, trusted); err != nil {
			return nil, fmt.Errorf("verify %s: %w", m.ID, err)
		}
	}
	for plat, exe := range m.Executables {
		sum, err := HashFile(filepath.Join(dir, filepath.FromSlash(exe.Path)))
		if err != nil {
			return nil, fmt.Errorf("verify %s: executables[%s]: %w", m.ID, plat, err)
		}
		if sum != exe.SHA256 {
			return nil, fmt.Errorf("verify %s: executables[%s] %s: %w", m.ID, plat, exe.Path, ErrHashMismatch)
		}
	}
	return res, nil
}

// UnpackVerified unpacks an archive into dest and verifies it there; on any
// failure dest is removed.
func UnpackVerified(r io.Reader, dest string, trusted []ed25519.PublicKey, opts VerifyOptions, lim Limits) (*Result, error) {
	if err := Unpack(r, dest, lim); err != nil {
		return nil, err
	}
	res, err := Verify(dest, trusted, opts)
	if err != nil {
		_ = os.RemoveAll(dest)
		return nil, err
	}
	return res, nil
}

// VerifyArchive checks an archive file without keeping it unpacked.
func VerifyArchive(path string, trusted []ed25519.PublicKey, opts VerifyOptions) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	tmp, err := os.MkdirTemp("", "breeze-plugin-verify-")
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(tmp)
	return UnpackVerified(f, filepath.Join(tmp, "p"), trusted, opts, Limits{})
}

func readLimited(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", filepath.Base(path), ErrUnsafeEntry)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), ErrTooLarge)
	}
	return data, nil
}
