package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"
)

func TestNewKeySet(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := NewKeySet(make([]byte, n)); err == nil {
			t.Errorf("NewKeySet accepted a %d-byte secret", n)
		}
	}
	a := bytes.Repeat([]byte{1}, 32)
	b := bytes.Repeat([]byte{2}, 40)
	if _, err := NewKeySet(a, make([]byte, 8)); err == nil {
		t.Error("NewKeySet accepted a short previous secret")
	}
	if _, err := NewKeySet(a, a); err == nil {
		t.Error("NewKeySet accepted a duplicate secret")
	}

	// Nodes configured alike agree on key ids; different secrets differ.
	k1, _ := NewKeySet(a)
	k2, _ := NewKeySet(a)
	k3, _ := NewKeySet(b)
	if k1.CurrentKeyID() != k2.CurrentKeyID() || k1.CurrentKeyID() == k3.CurrentKeyID() {
		t.Fatalf("kids %s %s %s", k1.CurrentKeyID(), k2.CurrentKeyID(), k3.CurrentKeyID())
	}
	if strings.Contains(k1.CurrentKeyID(), base64.RawURLEncoding.EncodeToString(a)[:8]) {
		t.Fatal("kid reveals the secret")
	}

	// Config rotation: a token from the old secret verifies under (new, old).
	f := newFixture(t)
	old, _, _ := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	rotated, err := NewKeySet(b, f.secret)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := New(Options{Issuer: testIssuer, Audience: testAudience, Keys: rotated, Clock: f.clock.Now})
	mustAccept(t, tk, old)
	fresh, _, _ := tk.Issue(t.Context(), accessFor("u", "s"))
	if decodePart(t, fresh, 0)["kid"] != rotated.CurrentKeyID() || rotated.CurrentKeyID() == f.keys.CurrentKeyID() {
		t.Fatal("new tokens do not carry the new key id")
	}
	mustReject(t, f.tokens, fresh, nil) // the old set does not know the new key

	// The set copies the secret: the caller reusing its buffer changes nothing.
	buf := bytes.Repeat([]byte{7}, 32)
	ks, _ := NewKeySet(buf)
	tk2, _ := New(Options{Issuer: "i", Audience: "a", Keys: ks})
	tok, _, _ := tk2.Issue(t.Context(), accessFor("u", "s"))
	clear(buf)
	mustAccept(t, tk2, tok)
}

func TestRotate(t *testing.T) {
	f := newFixture(t)
	first := f.keys.CurrentKeyID()
	old, _, _ := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	if err := f.keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	if f.keys.CurrentKeyID() == first {
		t.Fatal("Rotate kept the current key")
	}
	mustAccept(t, f.tokens, old)
	fresh, _, _ := f.tokens.Issue(t.Context(), accessFor("u", "s"))
	if kid := decodePart(t, fresh, 0)["kid"]; kid != f.keys.CurrentKeyID() {
		t.Fatalf("new token kid %v, want %s", kid, f.keys.CurrentKeyID())
	}
	mustAccept(t, f.tokens, fresh)
	// A token forged with the old kid but signed by the new key is refused.
	ns, _ := f.keys.lookup(f.keys.CurrentKeyID())
	mustReject(t, f.tokens, forge(t, alg, ns, map[string]any{"kid": first, "typ": tokenType}, f.goodClaims()), gojwt.ErrTokenSignatureInvalid)

	// Old keys are retired after maxKeys-1 further rotations.
	for range maxKeys - 1 {
		mustAccept(t, f.tokens, old)
		if err := f.keys.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if ids := f.keys.KeyIDs(); len(ids) != maxKeys || ids[0] != f.keys.CurrentKeyID() {
		t.Fatalf("key ids %v", ids)
	}
	mustReject(t, f.tokens, old, gojwt.ErrTokenUnverifiable)
}

func TestKeyFileCreateAndReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "jwt.json")
	ks, err := LoadOrCreateKeySet(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v err %v", st.Mode(), err)
	}
	assertMode(t, path, 0o600)
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".jwt-keys-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}

	clk := &fakeClock{now: t0}
	tk, _ := New(Options{Issuer: "i", Audience: "a", Keys: ks, Clock: clk.Now})
	tok, _, _ := tk.Issue(t.Context(), accessFor("u", "s"))

	// A restart reads the same key back.
	again, err := LoadOrCreateKeySet(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.CurrentKeyID() != ks.CurrentKeyID() {
		t.Fatal("reload produced another key")
	}
	tk2, _ := New(Options{Issuer: "i", Audience: "a", Keys: again, Clock: clk.Now})
	mustAccept(t, tk2, tok)

	// Rotation is persisted, keeps the mode, and a restart still verifies old tokens.
	if err := ks.Rotate(); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	after, err := LoadOrCreateKeySet(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(after.KeyIDs(), ",") != strings.Join(ks.KeyIDs(), ",") || len(after.KeyIDs()) != 2 {
		t.Fatalf("persisted %v, in memory %v", after.KeyIDs(), ks.KeyIDs())
	}
	tk3, _ := New(Options{Issuer: "i", Audience: "a", Keys: after, Clock: clk.Now})
	mustAccept(t, tk3, tok)
}

func TestKeyFileRefusesLoosePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt.json")
	if _, err := LoadOrCreateKeySet(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateKeySet(path)
		if err == nil {
			t.Fatalf("mode %04o accepted", mode)
		}
		if !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("error %q does not say how to fix it", err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil { // read-only for the owner is fine
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeySet(path); err != nil {
		t.Fatal(err)
	}
}

func TestKeyFileRejectsBadContent(t *testing.T) {
	secret := bytes.Repeat([]byte("s3cr3t-"), 5)
	short := []byte("0123456789abcdef")
	good := func(keys ...keyFileItem) string {
		b, _ := json.Marshal(keyFile{Version: 1, Keys: keys})
		return string(b)
	}
	for name, content := range map[string]string{
		"not json":    `{"version":1,"keys":[` + base64.StdEncoding.EncodeToString(secret),
		"version 2":   strings.Replace(good(keyFileItem{ID: "a", Secret: secret}), `"version":1`, `"version":2`, 1),
		"no keys":     good(),
		"no kid":      good(keyFileItem{Secret: secret}),
		"short key":   good(keyFileItem{ID: "a", Secret: short}),
		"dup kid":     good(keyFileItem{ID: "a", Secret: secret}, keyFileItem{ID: "a", Secret: secret}),
		"huge":        strings.Repeat(" ", maxKeyFileBytes+1) + good(keyFileItem{ID: "a", Secret: secret}),
		"bad base64":  `{"version":1,"keys":[{"kid":"a","secret":"!!!!"}]}`,
		"secret type": `{"version":1,"keys":[{"kid":"a","secret":12}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "jwt.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKeySet(path)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range [][]byte{secret, short} {
				if strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(s)[:12]) || strings.Contains(err.Error(), string(s)) {
					t.Fatalf("error %q leaks a secret", err)
				}
			}
		})
	}
	// Not a regular file.
	dir := t.TempDir()
	if _, err := LoadOrCreateKeySet(dir); err == nil {
		t.Fatal("a directory was accepted as key file")
	}
	// A valid file written by hand (e.g. by an operator) loads.
	path := filepath.Join(t.TempDir(), "jwt.json")
	os.WriteFile(path, []byte(good(keyFileItem{ID: "op-1", Secret: secret})), 0o600)
	ks, err := LoadOrCreateKeySet(path)
	if err != nil || ks.CurrentKeyID() != "op-1" {
		t.Fatalf("kid %v err %v", ks, err)
	}
}

// Processes starting together must end up with one shared key, not each
// overwrite the other's file.
func TestKeyFileConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "jwt.json")
	const n = 8
	kids := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			ks, err := LoadOrCreateKeySet(path)
			errs[i] = err
			if err == nil {
				kids[i] = ks.CurrentKeyID()
			}
		})
	}
	close(start)
	wg.Wait()
	final, err := LoadOrCreateKeySet(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("loader %d: %v", i, errs[i])
		}
		if kids[i] != final.CurrentKeyID() {
			t.Fatalf("loader %d got key %s, file holds %s", i, kids[i], final.CurrentKeyID())
		}
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Fatalf("%s has mode %04o, want %04o", path, st.Mode().Perm(), want)
	}
}
