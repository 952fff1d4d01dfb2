package secretbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s1, err := b.Seal([]byte("hunter2"), []byte("p|o|secret"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal([]byte("hunter2"), []byte("p|o|secret"))
	if s1 == s2 || strings.Contains(s1, "hunter2") || !strings.HasPrefix(s1, "v1.") {
		t.Fatalf("sealed values must differ and hide the plaintext: %q %q", s1, s2)
	}
	got, err := b.Open(s1, []byte("p|o|secret"))
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := b.Open(s1, []byte("p|other-org|secret")); !errors.Is(err, ErrOpen) {
		t.Fatalf("other aad opened: %v", err)
	}
	tampered := s1[:len(s1)-2] + "AA"
	if _, err := b.Open(tampered, []byte("p|o|secret")); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered value opened: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(s1, []byte("p|o|secret")); !errors.Is(err, ErrOpen) {
		t.Fatalf("other key opened: %v", err)
	}
	for _, bad := range []string{"", "v1.", "v2.abc", "v1.!!!"} {
		if _, err := b.Open(bad, nil); !errors.Is(err, ErrOpen) {
			t.Fatalf("Open(%q) = %v", bad, err)
		}
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestOpenFromEnvAndFile(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeySize))
	env, err := Open(key, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("an env key must not create a key file")
	}
	if _, err := Open("c2hvcnQ=", dir); err == nil {
		t.Fatal("a short env key was accepted")
	}
	b1, err := Open("", dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v", err, fi.Mode())
	}
	sealed, _ := b1.Seal([]byte("x"), nil)
	b2, err := Open("", dir) // a restart reads the same key
	if err != nil {
		t.Fatal(err)
	}
	if v, err := b2.Open(sealed, nil); err != nil || string(v) != "x" {
		t.Fatalf("reopened key: %q %v", v, err)
	}
	if _, err := env.Open(sealed, nil); err == nil {
		t.Fatal("the env key opened the file key's value")
	}
	if err := os.Chmod(filepath.Join(dir, KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open("", dir); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

// The fingerprint tells keys apart and is not the key.
func TestFingerprint(t *testing.T) {
	k1, k2 := make([]byte, KeySize), make([]byte, KeySize)
	k2[0] = 1
	a, _ := New(k1)
	b, _ := New(k1)
	c, _ := New(k2)
	if a.Fingerprint() == "" || a.Fingerprint() != b.Fingerprint() {
		t.Fatalf("same key, fingerprints %q %q", a.Fingerprint(), b.Fingerprint())
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Fatal("two keys share a fingerprint")
	}
	if strings.Contains(a.Fingerprint(), base64.RawURLEncoding.EncodeToString(k1)[:8]) {
		t.Fatal("the fingerprint shows the key")
	}
}
