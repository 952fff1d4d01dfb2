package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClipNeverCutsARune cuts text of 1- to 4-byte characters at every
// length: the result is always valid UTF-8, a prefix of the input, and
// loses less than one character to the boundary.
func TestClipNeverCutsARune(t *testing.T) {
	s := "aé€😀b€é😀"
	if utf8.RuneCountInString(s) == len(s) {
		t.Fatal("the test text must hold multi-byte characters")
	}
	for n := -1; n <= len(s)+1; n++ {
		got := Clip(s, n)
		switch {
		case !utf8.ValidString(got):
			t.Errorf("Clip(%q, %d) = %q: not valid UTF-8", s, n, got)
		case !strings.HasPrefix(s, got):
			t.Errorf("Clip(%q, %d) = %q: not a prefix", s, n, got)
		case len(got) > max(n, 0):
			t.Errorf("Clip(%q, %d) = %q: longer than %d bytes", s, n, got, n)
		case len(s) <= n && got != s:
			t.Errorf("Clip(%q, %d) = %q: cut a text that fits", s, n, got)
		case n > 0 && n < len(s) && len(got) <= n-utf8.UTFMax:
			t.Errorf("Clip(%q, %d) = %q: dropped a whole character too many", s, n, got)
		}
		if a := Abbrev(s, n); !utf8.ValidString(a) {
			t.Errorf("Abbrev(%q, %d) = %q: not valid UTF-8", s, n, a)
		}
	}
	if got := Abbrev("€€", 4); got != "€..." {
		t.Errorf("Abbrev = %q, want %q", got, "€...")
	}
	if got := Abbrev("short", 64); got != "short" {
		t.Errorf("Abbrev of a short text = %q", got)
	}
}
