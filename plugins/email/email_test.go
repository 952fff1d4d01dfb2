package main

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
)

func settingsJSON(t *testing.T, kv map[string]any) json.RawMessage {
	t.Helper()
	s := map[string]any{"from": "Breeze Alerts <alerts@breeze.test>", "to": "ops@example.test, Ann Oncall <ann@example.test>", "timeoutSeconds": 5}
	for k, v := range kv {
		s[k] = v
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plain is the settings for a relay without TLS or AUTH (smtp-sink).
func plain(t *testing.T, sk *sink) json.RawMessage {
	return settingsJSON(t, map[string]any{"host": sk.host, "port": sk.port, "tls": "none"})
}

// fixed is a channel with a fixed clock and a fake host (whose egress,
// like an operator's allow-list, reaches the loopback relays).
func fixed() *Email {
	e := New()
	e.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC) }
	e.SetHost(sdktest.NewFakeHost(nil))
	return e
}

var note = sdk.Notification{
	ID: "a1:triggered", OrgID: "org-1", DeviceID: "dev-1", DeviceName: "web-01", Severity: "critical",
	Status: "triggered", Title: "[critical] Disk full on /", Message: "/ is 97% full.\n.\nA dot line above.", Source: "breeze",
	URL: "https://breeze.example/alerts/a1", OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	Labels: map[string]string{"alertId": "a1", "ruleId": "r1", "kind": "disk"},
}

func send(t *testing.T, e *Email, n sdk.Notification) sdk.SendResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.Send(ctx, n)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return res
}

func decodedBody(t *testing.T, env envelope) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(env.msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestConformance(t *testing.T) {
	sk := startSink(t)
	sdktest.AlertChannelConformance(t, func(*testing.T) sdk.AlertChannel { return fixed() }, sdktest.AlertChannelFixture{
		ValidSettings:   plain(t, sk),
		InvalidSettings: json.RawMessage(`{"host":"relay.example","from":"not an address","to":"ops@example.test"}`),
	})
}

// The message as the MTA received it: envelope, RFC 5322 headers, a
// quoted-printable UTF-8 body, dot-stuffing undone.
func TestMessageOnTheWire(t *testing.T) {
	sk := startSink(t)
	n := note
	n.Title = "[critical] Disk full on / — ünïcode"
	n.Settings = plain(t, sk)
	if res := send(t, fixed(), n); !res.Delivered || res.Attempts != 1 {
		t.Fatalf("Send = %+v", res)
	}
	env := parseDump(t, sk.messages(t, 1)[0])
	if env.from != "<alerts@breeze.test>" || strings.Join(env.rcpt, ",") != "<ops@example.test>,<ann@example.test>" {
		t.Fatalf("envelope from %q to %q", env.from, env.rcpt)
	}
	h := env.msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "[Breeze] triggered: [critical] Disk full on / — ünïcode" {
		t.Fatalf("Subject %q (%q), %v", subject, h.Get("Subject"), err)
	}
	if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Name != "Breeze Alerts" || from[0].Address != "alerts@breeze.test" {
		t.Fatalf("From %q", h.Get("From"))
	}
	if to, _ := h.AddressList("To"); len(to) != 2 || to[1].Name != "Ann Oncall" {
		t.Fatalf("To %q", h.Get("To"))
	}
	if d, err := h.Date(); err != nil || !d.Equal(time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)) {
		t.Fatalf("Date %q: %v", h.Get("Date"), err)
	}
	root := "<alert." + digest("alert:a1") + "@breeze.test>"
	for k, want := range map[string]string{
		"Message-Id": "<breeze." + digest("notification:a1:triggered") + "@breeze.test>", "References": root, "In-Reply-To": root,
		"Mime-Version": "1.0", "Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted": "auto-generated", "X-Breeze-Severity": "critical", "X-Breeze-Status": "triggered", "X-Breeze-Alert-Id": "a1",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	body := decodedBody(t, env)
	for _, want := range []string{"[critical] Disk full on / — ünïcode\n", "/ is 97% full.\n.\nA dot line above.", "Device:    web-01", "Occurred:  2026-01-02T03:04:05Z", "Open:      https://breeze.example/alerts/a1"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// CR/LF in a title cannot add a header, a recipient or a body.
func TestHeaderInjection(t *testing.T) {
	sk := startSink(t)
	n := note
	n.Title = "Disk full\r\nBcc: evil@example.test\r\n\r\nforged body"
	n.Labels = map[string]string{"alertId": "a1\r\nX-Evil: 1"}
	n.Severity = "critical\nX-Evil: 2"
	n.Settings = settingsJSON(t, map[string]any{"host": sk.host, "port": sk.port, "tls": "none", "subject": "{{title}} {{severity}}"})
	if res := send(t, fixed(), n); !res.Delivered {
		t.Fatalf("Send = %+v", res)
	}
	env := parseDump(t, sk.messages(t, 1)[0])
	if len(env.rcpt) != 2 || strings.Contains(strings.Join(env.rcpt, ","), "evil") {
		t.Fatalf("recipients %q", env.rcpt)
	}
	for k := range env.msg.Header {
		if k == "Bcc" || k == "X-Evil" {
			t.Fatalf("injected header %s", k)
		}
	}
	if got := env.msg.Header.Get("Subject"); got != "Disk full  Bcc: evil@example.test    forged body critical X-Evil: 2" {
		t.Fatalf("Subject %q", got)
	}
	if env.msg.Header.Get("X-Breeze-Severity") != "" || env.msg.Header.Get("X-Breeze-Alert-Id") != "" {
		t.Fatalf("a value with a line break made it into a header: %v", env.msg.Header)
	}
}

// A retried send is the same message (same Message-ID); another transition
// of the alert is a new message in the same thread.
func TestRetryKeepsTheMessageID(t *testing.T) {
	sk := startSink(t)
	e := fixed()
	n := note
	n.Settings = plain(t, sk)
	send(t, e, n)
	send(t, e, n)
	n.ID, n.Status = "a1:resolved", "resolved"
	send(t, e, n)
	ids := map[string][]string{} // by status; smtp-sink's files carry no order
	for i, d := range sk.messages(t, 3) {
		env := parseDump(t, d)
		status := env.msg.Header.Get("X-Breeze-Status")
		ids[status] = append(ids[status], env.msg.Header.Get("Message-Id"))
		if env.msg.Header.Get("References") != "<alert."+digest("alert:a1")+"@breeze.test>" {
			t.Fatalf("message %d not in the alert's thread", i)
		}
	}
	tr, re := ids["triggered"], ids["resolved"]
	if len(tr) != 2 || len(re) != 1 || tr[0] != tr[1] || tr[0] == re[0] {
		t.Fatalf("Message-IDs %q: want the retry equal, the resolution different", ids)
	}
}

func TestAcknowledgedOnlyWhenAsked(t *testing.T) {
	sk := startSink(t)
	n := note
	n.ID, n.Status, n.Settings = "a1:acknowledged", "acknowledged", plain(t, sk)
	if res := send(t, fixed(), n); !res.Delivered || res.Attempts != 0 || !strings.Contains(res.Detail, "sendAcknowledged") {
		t.Fatalf("Send(acknowledged) = %+v; want skipped", res)
	}
	n.Settings = settingsJSON(t, map[string]any{"host": sk.host, "port": sk.port, "tls": "none", "sendAcknowledged": true})
	if res := send(t, fixed(), n); !res.Delivered || res.Attempts != 1 {
		t.Fatalf("Send(acknowledged, sendAcknowledged) = %+v", res)
	}
	if d := sk.messages(t, 1); !strings.Contains(d[0], "acknowledged") {
		t.Fatal("the acknowledgement is not the one sent")
	}
}

// smtp-sink offers no STARTTLS: required STARTTLS fails; opportunistic
// sends in clear, but never a password.
func TestStartTLSRequired(t *testing.T) {
	sk := startSink(t)
	n := note
	n.Settings = settingsJSON(t, map[string]any{"host": sk.host, "port": sk.port, "tls": "starttls"})
	if res := send(t, fixed(), n); res.Delivered || res.Detail != "the relay does not offer STARTTLS (tls is starttls)" {
		t.Fatalf("Send(starttls to a relay without it) = %+v", res)
	}
	n.Settings = settingsJSON(t, map[string]any{"host": sk.host, "port": sk.port, "tls": "opportunistic", "username": "u", "password": "p"})
	if res := send(t, fixed(), n); res.Delivered || !strings.Contains(res.Detail, "password is not sent in clear") {
		t.Fatalf("Send(opportunistic + password, no STARTTLS) = %+v", res)
	}
	n.Settings = settingsJSON(t, map[string]any{"host": sk.host, "port": sk.port, "tls": "opportunistic"})
	if res := send(t, fixed(), n); !res.Delivered {
		t.Fatalf("Send(opportunistic, no password) = %+v", res)
	}
	sk.messages(t, 1)
}

// STARTTLS, implicit TLS, AUTH PLAIN and LOGIN against a real postfix
// (Cyrus SASL), which relays to smtp-sink: "…SMTPSA" in postfix's
// Received header says the session was TLS and authenticated.
func TestRelayWithPostfix(t *testing.T) {
	sk := startSink(t)
	r := startPostfix(t, sk)
	withTLS := func(port int, mode string, extra map[string]any) json.RawMessage {
		kv := map[string]any{"host": "127.0.0.1", "port": port, "tls": mode, "username": relayUser, "password": relayPass, "caPem": r.caPEM}
		for k, v := range extra {
			kv[k] = v
		}
		return settingsJSON(t, kv)
	}
	check := func(t *testing.T, settings json.RawMessage) {
		t.Helper()
		n := note
		n.Settings = settings
		if res := send(t, fixed(), n); !res.Delivered {
			t.Fatalf("Send = %+v\n%s", res, r.maillog())
		}
		env := parseDump(t, sk.fresh(t))
		// ESMTPSA, or UTF8SMTPSA when the client asked for SMTPUTF8 (RFC 3848, 6531).
		if !regexp.MustCompile(`by relay\.test \(Postfix\) with (E|UTF8)SMTPSA `).MatchString(strings.Join(env.msg.Header["Received"], "\n")) {
			t.Fatalf("postfix did not see TLS and AUTH: %q", env.msg.Header["Received"])
		}
		if env.msg.Header.Get("Message-Id") != "<breeze."+digest("notification:a1:triggered")+"@breeze.test>" {
			t.Fatalf("Message-ID changed on the way: %q", env.msg.Header.Get("Message-Id"))
		}
		if !strings.Contains(decodedBody(t, env), "/ is 97% full.") {
			t.Fatal("body lost on the way")
		}
	}
	t.Run("StartTLSPlain", func(t *testing.T) { check(t, withTLS(r.submission, "starttls", nil)) })
	t.Run("ImplicitTLS", func(t *testing.T) { check(t, withTLS(r.smtps, "tls", nil)) })
	t.Run("StartTLSLogin", func(t *testing.T) { check(t, withTLS(r.loginOnly, "starttls", nil)) })
	t.Run("Opportunistic", func(t *testing.T) { check(t, withTLS(r.submission, "opportunistic", nil)) })
	t.Run("InsecureSkipVerify", func(t *testing.T) {
		check(t, withTLS(r.submission, "starttls", map[string]any{"caPem": "", "insecureSkipVerify": true}))
	})
	t.Run("WrongPassword", func(t *testing.T) {
		n := note
		n.Settings = withTLS(r.submission, "starttls", map[string]any{"password": "wrong"})
		if res := send(t, fixed(), n); res.Delivered || !strings.HasPrefix(res.Detail, "the relay answered 535") {
			t.Fatalf("Send with a wrong password = %+v", res)
		}
	})
	t.Run("UnknownCA", func(t *testing.T) {
		n := note
		n.Settings = withTLS(r.submission, "starttls", map[string]any{"caPem": ""})
		if res := send(t, fixed(), n); res.Delivered || !strings.Contains(res.Detail, "unknown authority") {
			t.Fatalf("Send to a self-signed relay without caPem = %+v", res)
		}
	})
	t.Run("NoAuthNoRelay", func(t *testing.T) {
		n := note
		n.Settings = settingsJSON(t, map[string]any{"host": "127.0.0.1", "port": r.submission, "tls": "starttls", "caPem": r.caPEM})
		if res := send(t, fixed(), n); res.Delivered || !strings.HasPrefix(res.Detail, "the relay answered 554") {
			t.Fatalf("Send without AUTH to a relay that requires it = %+v", res)
		}
	})
	// The real binary through go-plugin: TLS and AUTH over the host's
	// connection (sdk.DialTCP across the broker).
	t.Run("Subprocess", func(t *testing.T) {
		host := sdktest.NewFakeHost(withTLS(r.submission, "starttls", nil))
		ch := sdktest.Subprocess[sdk.AlertChannel](t, ".", sdk.KindAlertChannel, host)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := ch.Send(ctx, note)
		if err != nil || !res.Delivered {
			t.Fatalf("Send through the real binary = %+v, %v\n%s", res, err, r.maillog())
		}
		sk.fresh(t)
	})
	if testing.Verbose() {
		t.Log(r.maillog())
	}
}

// A relay that accepts the connection and never speaks costs the timeout.
func TestRelayNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	n := note
	n.Settings = settingsJSON(t, map[string]any{"host": "127.0.0.1", "port": port, "tls": "none", "timeoutSeconds": 1})
	start := time.Now()
	res := send(t, fixed(), n)
	if res.Delivered || res.Detail != "delivery failed" {
		t.Fatalf("Send = %+v", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send took %s with a 1 s timeout", d)
	}
}

// A connection refused reads "delivery failed", like the host's egress.
func TestRelayDown(t *testing.T) {
	n := note
	n.Settings = settingsJSON(t, map[string]any{"host": "127.0.0.1", "port": freePort(t), "tls": "none"})
	if res := send(t, fixed(), n); res.Delivered || res.Detail != "delivery failed" || res.Attempts != 1 {
		t.Fatalf("Send = %+v", res)
	}
}

func TestSettings(t *testing.T) {
	ok := map[string]any{"host": "smtp.example.com"}
	for name, kv := range map[string]map[string]any{
		"no host":            {"host": ""},
		"host with a space":  {"host": "smtp example"},
		"bad tls":            {"host": "h", "tls": "ssl"},
		"port":               {"host": "h", "port": 70000},
		"from":               {"host": "h", "from": "nobody"},
		"to":                 {"host": "h", "to": ""},
		"to with CRLF":       {"host": "h", "to": "a@b.c\r\nRCPT TO:<x@y.z>"},
		"password in clear":  {"host": "h", "tls": "none", "username": "u", "password": "p"},
		"password alone":     {"host": "h", "password": "p"},
		"caPem":              {"host": "h", "caPem": "not a pem"},
		"timeout":            {"host": "h", "timeoutSeconds": 0},
		"username with CRLF": {"host": "h", "username": "u\r\nQUIT"},
	} {
		if _, err := parseSettings(settingsJSON(t, kv)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s, err := parseSettings(settingsJSON(t, ok))
	if err != nil || s.Port != 587 || s.TLS != "starttls" || s.Subject != defaultSubject || len(s.to) != 2 {
		t.Fatalf("defaults: %+v, %v", s, err)
	}
	if s, _ := parseSettings(settingsJSON(t, map[string]any{"host": "h", "tls": "tls"})); s.Port != 465 {
		t.Fatalf("implicit TLS port %d, want 465", s.Port)
	}
	tooMany := strings.Repeat("a@example.test,", 51)
	if _, err := parseSettings(settingsJSON(t, map[string]any{"host": "h", "to": strings.TrimSuffix(tooMany, ",")})); err == nil {
		t.Error("51 recipients accepted")
	}
}

// Long non-ASCII subjects are encoded and folded into lines of at most 78.
func TestLongSubjectFolds(t *testing.T) {
	s, err := parseSettings(settingsJSON(t, map[string]any{"host": "h"}))
	if err != nil {
		t.Fatal(err)
	}
	n := note
	n.Title = strings.Repeat("Überlauf ", 40)
	msg := string(compose(n, s, time.Now()))
	head := msg[:strings.Index(msg, "\r\n\r\n")]
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 78 {
			t.Fatalf("header line of %d characters: %q", len(line), line)
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || !strings.HasPrefix(got, "[Breeze] triggered: Überlauf Überlauf") || len([]rune(got)) != maxSubject {
		t.Fatalf("Subject %q (%d runes), %v", got, len([]rune(got)), err)
	}
}

func TestManifestAndSchema(t *testing.T) {
	m, _, err := manifest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != sdk.KindAlertChannel || m.ID != "breeze.email" || !m.SettingsSchema.Properties["password"].Secret {
		t.Fatalf("manifest %+v", m)
	}
	full := settingsJSON(t, map[string]any{"host": "smtp.example.com", "port": 587, "tls": "starttls", "username": "u", "password": "p",
		"insecureSkipVerify": false, "caPem": "", "sendAcknowledged": true, "subject": defaultSubject})
	if err := manifest.ValidateSettings(m.SettingsSchema, full); err != nil {
		t.Fatalf("our own settings fail our schema: %v", err)
	}
	for _, p := range []string{"tls", "subject", "timeoutSeconds", "insecureSkipVerify", "sendAcknowledged"} {
		if m.SettingsSchema.Properties[p].Default == nil {
			t.Errorf("%s has no default in the schema", p)
		}
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestSubprocess(t *testing.T) {
	sk := startSink(t)
	host := sdktest.NewFakeHost(plain(t, sk))
	ch := sdktest.Subprocess[sdk.AlertChannel](t, ".", sdk.KindAlertChannel, host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if info, err := ch.Info(ctx); err != nil || info.Name != "email" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	res, err := ch.Send(ctx, note)
	if err != nil || !res.Delivered {
		t.Fatalf("Send through the real binary = %+v, %v", res, err)
	}
	if tr, err := ch.Test(ctx, plain(t, sk)); err != nil || !tr.OK {
		t.Fatalf("Test through the real binary = %+v, %v", tr, err)
	}
	sk.messages(t, 2)
}
