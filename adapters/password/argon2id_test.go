package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
)

// cheap keeps tests quick while staying inside the accepted bounds.
var cheap = Options{Params: Params{MemoryKiB: minConfigMemoryKiB, Iterations: 1, Parallelism: 1}}

func newHasher(t testing.TB, o Options) *Hasher {
	t.Helper()
	h, err := NewHasher(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

func TestDefaultsAreOWASP(t *testing.T) {
	h := newHasher(t, Options{})
	if h.Params() != (Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}) {
		t.Fatalf("defaults %+v", h.Params())
	}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	m := phcRE.FindStringSubmatch(enc)
	if m == nil || m[1] != "19456" || m[2] != "2" || m[3] != "1" {
		t.Fatalf("encoding %q", enc)
	}
}

func TestHashAndVerify(t *testing.T) {
	h := newHasher(t, cheap)
	a, err := h.Hash("s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Hash("s3cret pass")
	if a == b || !phcRE.MatchString(a) {
		t.Fatalf("hashes %q %q: want distinct salts, PHC format", a, b)
	}
	ok, rehash, err := h.Verify("s3cret pass", a)
	if !ok || rehash || err != nil {
		t.Fatalf("right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	for _, wrong := range []string{"s3cret pasS", "s3cret pass ", "", "s3cret", strings.Repeat("s3cret pass", 2)} {
		ok, rehash, err := h.Verify(wrong, a)
		if ok || rehash || err != nil {
			t.Errorf("Verify(%q) ok=%v rehash=%v err=%v", wrong, ok, rehash, err)
		}
	}
	// Bytes, not characters: a different Unicode form is a different password.
	u, _ := h.Hash("caf\u00e9")
	if ok, _, _ := h.Verify("cafe\u0301", u); ok {
		t.Error("decomposed form matched (no normalisation is documented)")
	}
}

// Vectors from the reference C implementation (Debian's argon2 tool):
//
//	echo -n "correct horse battery staple" | argon2 somesaltsomesalt -id -t 2 -k 19456 -p 1 -l 32 -e
//	echo -n "password" | argon2 c29tZXNhbHQ -id -t 1 -k 7168 -p 2 -l 16 -e
func TestReferenceVectors(t *testing.T) {
	h := newHasher(t, Options{})
	for _, v := range []struct {
		pw, enc string
		rehash  bool
	}{
		{"correct horse battery staple", "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ISO7kkvFzh19GM8qB7patN3C3Y9HHsjlVTfEZ9T600Y", false},
		{"password", "$argon2id$v=19$m=7168,t=1,p=2$YzI5dFpYTmhiSFE$Qf4HhmjBBOHCJ+h198876w", true},
	} {
		ok, rehash, err := h.Verify(v.pw, v.enc)
		if !ok || rehash != v.rehash || err != nil {
			t.Errorf("%s: ok=%v rehash=%v err=%v", v.enc, ok, rehash, err)
		}
		if ok, _, _ := h.Verify(v.pw+"x", v.enc); ok {
			t.Errorf("%s accepted a wrong password", v.enc)
		}
	}
}

func TestTamperedHashFails(t *testing.T) {
	h := newHasher(t, cheap)
	enc, _ := h.Hash("pw-123456")
	m := phcRE.FindStringSubmatch(enc)
	salt, key := m[4], m[5]
	flip := func(s string) string { // change one base64 digit (not the last, to stay canonical)
		c := byte('A')
		if s[0] == 'A' {
			c = 'B'
		}
		return string(c) + s[1:]
	}
	for _, bad := range []string{
		strings.Replace(enc, key, flip(key), 1),
		strings.Replace(enc, salt, flip(salt), 1),
		strings.Replace(enc, "t=1", "t=2", 1),
		strings.Replace(enc, "p=1", "p=2", 1),
		strings.Replace(enc, "m=7168", "m=7169", 1),
	} {
		if bad == enc {
			t.Fatal("tampering changed nothing")
		}
		ok, _, err := h.Verify("pw-123456", bad)
		if ok || err != nil {
			t.Errorf("%s: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestNeedsRehashWhenParamsChange(t *testing.T) {
	old := newHasher(t, cheap)
	cur := newHasher(t, Options{Params: Params{MemoryKiB: 9216, Iterations: 2, Parallelism: 1}})
	enc, _ := old.Hash("pw")
	ok, rehash, err := cur.Verify("pw", enc)
	if !ok || !rehash || err != nil {
		t.Fatalf("old params: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	// Each parameter alone triggers it.
	for _, p := range []Params{
		{MemoryKiB: 9216, Iterations: 1, Parallelism: 1},
		{MemoryKiB: 7168, Iterations: 2, Parallelism: 1},
		{MemoryKiB: 7168, Iterations: 1, Parallelism: 2},
	} {
		if _, rehash, _ := newHasher(t, Options{Params: p}).Verify("pw", enc); !rehash {
			t.Errorf("%+v: no rehash", p)
		}
	}
	// A wrong password never asks for a rehash; a fresh hash does not either.
	if ok, rehash, _ := cur.Verify("nope", enc); ok || rehash {
		t.Fatal("wrong password: rehash requested")
	}
	fresh, _ := cur.Hash("pw")
	if ok, rehash, _ := cur.Verify("pw", fresh); !ok || rehash {
		t.Fatalf("fresh hash: ok=%v rehash=%v", ok, rehash)
	}
	// Same params, but an 8-byte salt (another system's hash): rehash too.
	short := phc{Params: old.Params(), salt: []byte("8bytes!!")}
	short.key = derive("pw", short.Params, short.salt, keyBytes)
	if ok, rehash, err := old.Verify("pw", short.String()); !ok || !rehash || err != nil {
		t.Fatalf("short salt: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
}

func TestMalformedEncodings(t *testing.T) {
	h := newHasher(t, cheap)
	enc, _ := h.Hash("pw")
	cases := []string{
		"", "$", "$$$$$", "plaintext", "$argon2i$v=19$m=7168,t=1,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
		strings.Replace(enc, "argon2id", "argon2d", 1),
		strings.Replace(enc, "v=19", "v=16", 1),
		strings.Replace(enc, "v=19", "v=019", 1),
		strings.Replace(enc, "v=19$", "", 1),
		strings.Replace(enc, "m=7168", "m=07168", 1),
		strings.Replace(enc, "m=7168", "m=+7168", 1),
		strings.Replace(enc, "m=7168", "m=-1", 1),
		strings.Replace(enc, "m=7168", "m=4", 1),          // below 8*p
		strings.Replace(enc, "m=7168", "m=4294967295", 1), // tampered to exhaust memory
		strings.Replace(enc, "m=7168", "m=99999999999", 1),
		strings.Replace(enc, "t=1", "t=0", 1),
		strings.Replace(enc, "t=1", "t=1000000", 1),
		strings.Replace(enc, "p=1", "p=0", 1),
		strings.Replace(enc, "p=1", "p=255", 1),
		strings.Replace(enc, "m=7168,t=1,p=1", "t=1,m=7168,p=1", 1),
		strings.Replace(enc, "m=7168,t=1,p=1", "m=7168,t=1", 1),
		strings.Replace(enc, "m=7168,t=1,p=1", "m=7168,t=1,p=1,k=2", 1),
		enc + "$", enc + "=", "$" + enc, enc + "\n", enc + "\r", " " + enc,
		enc[:len(enc)-10] + "\n" + enc[len(enc)-10:], // base64 would skip it
		enc[:len(enc)-10] + "\r\n" + enc[len(enc)-10:],
		strings.ReplaceAll(enc, "$", "$$"),
		enc[:strings.LastIndex(enc, "$")+1] + "AAAA", // key too short
		enc[:strings.LastIndex(enc, "$")+1] + "!!!!" + strings.Repeat("A", 39),
		enc + strings.Repeat("A", 300),
	}
	for _, bad := range cases {
		ok, rehash, err := h.Verify("pw", bad)
		if ok || rehash || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%q: ok=%v rehash=%v err=%v", bad, ok, rehash, err)
		}
	}
	// No truncation of a valid hash matches; those that are not themselves a
	// well-formed (shorter-key) encoding are errors.
	for i := range len(enc) - 1 {
		ok, _, err := h.Verify("pw", enc[:i])
		_, perr := parsePHC(enc[:i])
		if ok || (perr != nil) != (err != nil) {
			t.Errorf("prefix %q: ok=%v err=%v", enc[:i], ok, err)
		}
		if keyPart := enc[strings.LastIndex(enc, "$")+1:]; i < len(enc)-len(keyPart)+22 && err == nil {
			t.Errorf("prefix %q (key under 16 bytes) parsed", enc[:i])
		}
	}
	// Malformed is a data problem, not invalid user input.
	if _, _, err := h.Verify("pw", "junk"); errors.Is(err, domain.ErrInvalid) {
		t.Error("malformed hash reported as ErrInvalid")
	}
}

func FuzzVerifyNeverPanics(f *testing.F) {
	h := newHasher(f, cheap)
	enc, _ := h.Hash("pw")
	for _, s := range []string{enc, "", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=,t=,p=$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok, _, err := h.Verify("pw", s)
		if ok && s != enc {
			// Only a syntactically different spelling of the same hash could match.
			if _, perr := parsePHC(s); perr != nil {
				t.Fatalf("unparseable %q matched", s)
			}
		}
		if !ok && err == nil {
			if _, perr := parsePHC(s); perr != nil {
				t.Fatalf("unparseable %q gave no error", s)
			}
		}
	})
}

func TestPasswordLengthLimit(t *testing.T) {
	h := newHasher(t, cheap)
	max := strings.Repeat("p", DefaultMaxPasswordBytes)
	enc, err := h.Hash(max)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(max, enc); !ok || err != nil {
		t.Fatalf("max length: ok=%v err=%v", ok, err)
	}
	over := max + "p"
	if _, err := h.Hash(over); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Hash(over) err=%v", err)
	}
	if ok, _, err := h.Verify(over, enc); ok || !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Verify(over) ok=%v err=%v", ok, err)
	}
	// Multi-byte characters count in bytes.
	if _, err := h.Hash(strings.Repeat("é", DefaultMaxPasswordBytes/2+1)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("bytes not counted: %v", err)
	}
	if _, err := h.Hash(""); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Hash(\"\") err=%v", err)
	}
	// A custom limit.
	h2 := newHasher(t, Options{Params: cheap.Params, MaxPasswordBytes: 64})
	if _, err := h2.Hash(strings.Repeat("x", 65)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("custom limit: %v", err)
	}
}

func TestDummyVerifyMatchesRealWork(t *testing.T) {
	h := newHasher(t, Options{})
	// It checks against a hash shaped exactly like a fresh one: same params,
	// salt and key sizes, so its cost is that of Verify on a current hash.
	if h.dummy.Params != h.Params() || len(h.dummy.salt) != saltBytes || len(h.dummy.key) != keyBytes {
		t.Fatalf("dummy %+v", h.dummy)
	}
	if _, err := parsePHC(h.dummy.String()); err != nil {
		t.Fatal(err)
	}
	h.DummyVerify("anything")
	h.DummyVerify(strings.Repeat("x", 5000)) // overlong: returns, like Verify
	// Two hashers do not share the dummy (nothing to precompute against).
	if h2 := newHasher(t, Options{}); string(h2.dummy.key) == string(h.dummy.key) {
		t.Fatal("dummy key is not random")
	}
}

func TestNewHasherBounds(t *testing.T) {
	for _, o := range []Options{
		{Params: Params{MemoryKiB: 1024}},
		{Params: Params{MemoryKiB: maxMemoryKiB + 1}},
		{Params: Params{Iterations: maxIterations + 1}},
		{Params: Params{Parallelism: maxParallelism + 1}},
		{MaxPasswordBytes: 8},
	} {
		if _, err := NewHasher(o); err == nil {
			t.Errorf("NewHasher(%+v) accepted", o)
		}
	}
}
