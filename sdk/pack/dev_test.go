package pack

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A development directory whose manifest pins an old build still packs
// unsigned (the hash is taken afresh), verifies only when unsigned is
// allowed, and its fingerprint moves with a rebuild.
func TestPackUnsignedAndFingerprint(t *testing.T) {
	dir := pluginDir(t)
	pub, priv, _ := GenerateKey()
	_, err := SignDir(dir, priv) // pins the current binary's hash
	must(t, err)
	must(t, os.Remove(filepath.Join(dir, SignatureFile)))
	before, err := Fingerprint(dir)
	must(t, err)
	again, _ := Fingerprint(dir)
	if before != again {
		t.Fatal("fingerprint of an unchanged directory moved")
	}
	exe := filepath.Join(dir, "bin", "p")
	must(t, os.WriteFile(exe, []byte("#!/bin/true\nrebuilt"), 0o755))
	must(t, os.Chtimes(exe, time.Now().Add(time.Second), time.Now().Add(time.Second)))
	after, err := Fingerprint(dir)
	must(t, err)
	if after == before {
		t.Fatal("fingerprint did not move after a rebuild")
	}
	var signed bytes.Buffer
	if _, err := Pack(dir, priv, &signed); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("Pack of a stale pin: %v, want ErrHashMismatch", err)
	}
	var buf bytes.Buffer
	m, err := PackUnsigned(dir, &buf)
	must(t, err)
	if m.ID != "acme.p" {
		t.Fatalf("manifest %+v", m)
	}
	trusted := []ed25519.PublicKey{pub}
	if _, err := UnpackVerified(bytes.NewReader(buf.Bytes()), filepath.Join(t.TempDir(), "a"), trusted, VerifyOptions{}, Limits{}); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned archive without AllowUnsigned: %v", err)
	}
	res, err := UnpackVerified(bytes.NewReader(buf.Bytes()), filepath.Join(t.TempDir(), "b"), trusted, VerifyOptions{AllowUnsigned: true}, Limits{})
	must(t, err)
	if res.KeyID != "" {
		t.Fatalf("key id %q of an unsigned archive", res.KeyID)
	}
}
