package domain

import "unicode/utf8"

// ClipUTF8 keeps at most n bytes of s, cut on a character boundary, and
// reports whether it cut anything. It runs in O(1) past the cut: callers
// bound text an agent or a client may make megabytes long.
func ClipUTF8(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	if n <= 0 {
		return "", true
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// Abbrev is s cut to at most n bytes on a character boundary, with "..."
// after a cut: for echoing untrusted text in a message.
func Abbrev(s string, n int) string {
	if c, cut := ClipUTF8(s, n); cut {
		return c + "..."
	}
	return s
}
