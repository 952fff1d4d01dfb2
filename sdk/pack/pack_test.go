package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pluginDir(t *testing.T) string {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "bin", "p"), []byte("#!/bin/true\nbinary"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "plugin.json"), []byte(`{"id":"acme.p","name":"P","version":"1.0.0","kind":"collector","apiVersions":[1],
	"executables":{"linux-amd64":{"path":"bin/p","sha256":""}}}`), 0o644))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func packed(t *testing.T, dir string, key ed25519.PrivateKey) []byte {
	var buf bytes.Buffer
	if _, err := Pack(dir, key, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackVerifyRoundTrip(t *testing.T) {
	pub, priv, _ := GenerateKey()
	a := packed(t, pluginDir(t), priv)
	dest := filepath.Join(t.TempDir(), "x")
	res, err := UnpackVerified(bytes.NewReader(a), dest, []ed25519.PublicKey{pub}, VerifyOptions{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyID != KeyID(pub) || res.Manifest.Executables["linux-amd64"].SHA256 == "" {
		t.Fatalf("result %+v", res)
	}
	if fi, _ := os.Stat(filepath.Join(dest, "bin", "p")); fi.Mode().Perm() != 0o755 {
		t.Fatalf("executable mode %v", fi.Mode())
	}
	if b := packed(t, pluginDir(t), priv); !bytes.Equal(a, b) {
		t.Error("packing the same plugin twice gave different archives")
	}
}

func TestVerifyRefuses(t *testing.T) {
	pub, priv, _ := GenerateKey()
	otherPub, otherPriv, _ := GenerateKey()
	unpack := func(t *testing.T, key ed25519.PrivateKey) string {
		dest := filepath.Join(t.TempDir(), "x")
		must(t, Unpack(bytes.NewReader(packed(t, pluginDir(t), key)), dest, Limits{}))
		return dest
	}
	trusted := []ed25519.PublicKey{pub}

	t.Run("unsigned", func(t *testing.T) {
		dir := unpack(t, nil)
		if _, err := Verify(dir, trusted, VerifyOptions{}); !errors.Is(err, ErrUnsigned) {
			t.Fatalf("got %v", err)
		}
		if _, err := Verify(dir, trusted, VerifyOptions{AllowUnsigned: true}); err != nil {
			t.Fatalf("dev mode: %v", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		if _, err := Verify(unpack(t, otherPriv), trusted, VerifyOptions{AllowUnsigned: true}); !errors.Is(err, ErrUntrustedKey) {
			t.Fatalf("got %v", err)
		}
		if _, err := Verify(unpack(t, otherPriv), []ed25519.PublicKey{pub, otherPub}, VerifyOptions{}); err != nil {
			t.Fatalf("trusting both: %v", err)
		}
	})
	t.Run("tampered executable", func(t *testing.T) {
		dir := unpack(t, priv)
		must(t, os.WriteFile(filepath.Join(dir, "bin", "p"), []byte("evil"), 0o755))
		if _, err := Verify(dir, trusted, VerifyOptions{}); !errors.Is(err, ErrHashMismatch) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("tampered manifest", func(t *testing.T) {
		dir := unpack(t, priv)
		p := filepath.Join(dir, "plugin.json")
		b, _ := os.ReadFile(p)
		must(t, os.WriteFile(p, bytes.Replace(b, []byte(`"1.0.0"`), []byte(`"9.0.0"`), 1), 0o644))
		if _, err := Verify(dir, trusted, VerifyOptions{}); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("symlinked executable", func(t *testing.T) {
		dir := unpack(t, priv)
		p := filepath.Join(dir, "bin", "p")
		must(t, os.Rename(p, p+".real"))
		must(t, os.Symlink(p+".real", p))
		if _, err := Verify(dir, trusted, VerifyOptions{}); !errors.Is(err, ErrUnsafeEntry) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestPackRefusesPinnedMismatch(t *testing.T) {
	dir := pluginDir(t)
	p := filepath.Join(dir, "plugin.json")
	b, _ := os.ReadFile(p)
	must(t, os.WriteFile(p, bytes.Replace(b, []byte(`"sha256":""`), []byte(`"sha256":"`+strings.Repeat("a", 64)+`"`), 1), 0o644))
	if _, err := Pack(dir, nil, &bytes.Buffer{}); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("got %v", err)
	}
}

func evilArchive(t *testing.T, hdrs ...*tar.Header) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range hdrs {
		must(t, tw.WriteHeader(h))
		if h.Typeflag == tar.TypeReg {
			_, err := tw.Write(make([]byte, h.Size))
			must(t, err)
		}
	}
	must(t, tw.Close())
	must(t, gz.Close())
	return buf.Bytes()
}

func TestUnpackRefuses(t *testing.T) {
	reg := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644}
	}
	cases := map[string]struct {
		a    []byte
		lim  Limits
		want error
	}{
		"dotdot":    {evilArchive(t, reg("../../etc/cron.d/x", 1)), Limits{}, ErrUnsafeEntry},
		"absolute":  {evilArchive(t, reg("/etc/passwd", 1)), Limits{}, ErrUnsafeEntry},
		"symlink":   {evilArchive(t, &tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/p", Linkname: "/bin/sh"}), Limits{}, ErrUnsafeEntry},
		"hardlink":  {evilArchive(t, &tar.Header{Typeflag: tar.TypeLink, Name: "bin/p", Linkname: "/etc/shadow"}), Limits{}, ErrUnsafeEntry},
		"duplicate": {evilArchive(t, reg("a", 1), reg("a", 1)), Limits{}, ErrUnsafeEntry},
		"oversized": {evilArchive(t, reg("big", 2048)), Limits{MaxFileSize: 1024}, ErrTooLarge},
		"total":     {evilArchive(t, reg("a", 800), reg("b", 800)), Limits{MaxTotalSize: 1024}, ErrTooLarge},
		"count":     {evilArchive(t, reg("a", 1), reg("b", 1), reg("c", 1)), Limits{MaxFiles: 2}, ErrTooLarge},
	}
	for name, c := range cases {
		dest := filepath.Join(t.TempDir(), "x")
		err := Unpack(bytes.NewReader(c.a), dest, c.lim)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
		if _, statErr := os.Stat(dest); !os.IsNotExist(statErr) {
			t.Errorf("%s: dest left behind", name)
		}
	}
}

func TestKeysRoundTrip(t *testing.T) {
	base := filepath.Join(t.TempDir(), "signer")
	pub, err := WriteKeyPair(base)
	must(t, err)
	privPEM, _ := os.ReadFile(base + ".key")
	pubPEM, _ := os.ReadFile(base + ".pub")
	priv, err := ParsePrivateKey(privPEM)
	must(t, err)
	pub2, err := ParsePublicKey(pubPEM)
	must(t, err)
	if !pub.Equal(pub2) || !pub.Equal(priv.Public()) {
		t.Fatal("keys do not round-trip")
	}
	if fi, _ := os.Stat(base + ".key"); fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v", fi.Mode())
	}
}
