package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipUTF8(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
		cut  bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 5, "hello", false},
		{"hello", 3, "hel", true},
		{"héllo", 2, "h", true}, // é is 2 bytes: never split
		{"日本", 4, "日", true},
		{"abc", 0, "", true},
	}
	for _, c := range cases {
		got, cut := ClipUTF8(c.s, c.n)
		if got != c.want || cut != c.cut {
			t.Errorf("ClipUTF8(%q, %d) = %q, %v; want %q, %v", c.s, c.n, got, cut, c.want, c.cut)
		}
	}
	long := strings.Repeat("é", 2<<20) // 4 MiB: must stay fast and valid
	got, _ := ClipUTF8(long, 1001)
	if len(got) != 1000 || !utf8.ValidString(got) {
		t.Fatalf("clipped %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestAbbrevNeverCutsARune(t *testing.T) {
	s := "aé€😀b"
	for n := 0; n <= len(s); n++ {
		got := Abbrev(s, n)
		if !utf8.ValidString(got) || !strings.HasPrefix(s, strings.TrimSuffix(got, "...")) {
			t.Errorf("Abbrev(%q, %d) = %q", s, n, got)
		}
	}
	if got := Abbrev("€€", 4); got != "€..." {
		t.Errorf("Abbrev = %q, want %q", got, "€...")
	}
}
