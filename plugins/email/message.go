package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/sdk"
)

// maxSubject bounds the subject once its placeholders are filled in.
const maxSubject = 250

// compose renders n as an RFC 5322 message: a single text/plain UTF-8 part
// in quoted-printable. Every header value is one line (CR, LF and other
// controls in a title become spaces), so no field of an alert can add a
// header or a recipient.
func compose(n sdk.Notification, s settings, now time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(fold(name + ": " + value))
		b.WriteString("\r\n")
	}
	domain := domainOf(s.from.Address)
	header("Date", now.Format(time.RFC1123Z))
	header("From", s.from.String())
	to := make([]string, len(s.to))
	for i, a := range s.to {
		to[i] = a.String()
	}
	header("To", strings.Join(to, ", "))
	header("Subject", encodeWords(subject(s.Subject, n)))
	header("Message-ID", messageID(n.ID, domain))
	if alert := n.Labels["alertId"]; alert != "" {
		// Every message about one alert refers to one (virtual) root, so
		// mail clients thread its trigger, acknowledgement and resolution.
		root := "<alert." + digest("alert:"+alert) + "@" + domain + ">"
		header("References", root)
		header("In-Reply-To", root)
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	for _, h := range [][2]string{{"X-Breeze-Severity", n.Severity}, {"X-Breeze-Status", n.Status}, {"X-Breeze-Alert-Id", n.Labels["alertId"]}} {
		if token(h[1]) {
			header(h[0], h[1])
		}
	}
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(crlf(body(n))))
	_ = w.Close()
	return b.Bytes()
}

// subject fills the template's placeholders with one-line values.
func subject(tmpl string, n sdk.Notification) string {
	device := n.DeviceName
	if device == "" {
		device = n.DeviceID
	}
	status := n.Status
	if status == "" {
		status = "triggered"
	}
	s := strings.NewReplacer("{{title}}", n.Title, "{{status}}", status, "{{severity}}", n.Severity, "{{device}}", device).Replace(tmpl)
	return truncate(oneLine(s), maxSubject)
}

func body(n sdk.Notification) string {
	var b strings.Builder
	b.WriteString(n.Title + "\n")
	if n.Message != "" && n.Message != n.Title {
		b.WriteString("\n" + n.Message + "\n")
	}
	b.WriteString("\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-10s %s\n", k+":", v)
		}
	}
	status := n.Status
	if status == "" {
		status = "triggered"
	}
	row("Status", status)
	row("Severity", n.Severity)
	device := n.DeviceName
	if device == "" {
		device = n.DeviceID
	}
	row("Device", device)
	if !n.OccurredAt.IsZero() {
		row("Occurred", n.OccurredAt.UTC().Format(time.RFC3339))
	}
	keys := make([]string, 0, len(n.Labels))
	for k := range n.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, n.Labels[k])
	}
	row("Open", n.URL)
	b.WriteString("\n-- \nSent by Breeze\n")
	return b.String()
}

// messageID is stable per notification, so a retried send is recognisably
// the same message; a notification without an id (a test) gets a fresh one.
func messageID(id, domain string) string {
	if id == "" {
		var r [16]byte
		_, _ = rand.Read(r[:])
		return "<test." + hex.EncodeToString(r[:]) + "@" + domain + ">"
	}
	return "<breeze." + digest("notification:"+id) + "@" + domain + ">"
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// domainOf is an address's domain if it is a plain dot-atom, "breeze.invalid"
// otherwise (a Message-ID must not carry quotes or brackets from it).
func domainOf(addr string) string {
	d := addr[strings.LastIndexByte(addr, '@')+1:]
	for _, r := range d {
		if !(r == '.' || r == '-' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return "breeze.invalid"
		}
	}
	if d == "" {
		return "breeze.invalid"
	}
	return strings.ToLower(d)
}

// oneLine replaces control characters (CR and LF included) with spaces.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.TrimSpace(s)
}

// token says whether v can be a header value as it is.
func token(v string) bool {
	if v == "" || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if r <= ' ' || r >= 0x7f {
			return false
		}
	}
	return true
}

// encodeWords is s as RFC 2047 encoded-words when it is not plain ASCII.
func encodeWords(s string) string {
	for _, r := range s {
		if r >= utf8.RuneSelf {
			return mime.BEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// fold wraps a header line at spaces so no line passes 78 characters
// where it can be helped (RFC 5322 §2.2.3); encoded-words are separated by
// spaces, so long encoded subjects fold too.
func fold(line string) string {
	if len(line) <= 78 {
		return line
	}
	var out strings.Builder
	cur := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if cur+1+len(word) > 78 {
				out.WriteString("\r\n ")
				cur = 1
			} else {
				out.WriteByte(' ')
				cur++
			}
		}
		out.WriteString(word)
		cur += len(word)
	}
	return out.String()
}

// crlf turns every line ending into CRLF.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
