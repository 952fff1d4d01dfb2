package protocol

import "unicode/utf8"

// Clip keeps at most n bytes of s, cut on a character boundary, in O(1)
// past the cut. The agent and the tools, which do not import core/, bound
// the text they send or echo with it; the server's domain.ClipUTF8 is the
// same rule.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Abbrev is Clip with "..." after a cut: for echoing untrusted text in a
// message.
func Abbrev(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Clip(s, n) + "..."
}
