package main

// Real MTAs for the tests, from Debian's postfix package: smtp-sink (a
// sink that dumps every transaction to a file) and a private postfix
// instance (STARTTLS, implicit TLS, Cyrus SASL PLAIN/LOGIN) relaying to the
// sink. scripts/test-services.sh installs them; a missing one fails the
// test with the reason (a needed service never makes a test skip).

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unavailable fails the test: like PostgreSQL and Redis for the others,
// the MTA is a service the tests need, never a reason to skip.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatal(fmt.Sprintf(format, args...) + " (scripts/test-services.sh installs it: apt-get install postfix sasl2-bin)")
}

func need(t testing.TB, tool string) string {
	t.Helper()
	for _, p := range []string{tool, "/usr/sbin/" + tool, "/usr/lib/postfix/sbin/" + tool} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	unavailable(t, "%s not found", tool)
	return ""
}

// sharedDir is a temporary directory the postfix and nobody users can
// enter (t.TempDir's parent is private to us).
func sharedDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t testing.TB, addr string, what func() string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s\n%s", addr, what())
}

// sink is a running smtp-sink.
type sink struct {
	addr, host string
	port       int
	dir        string
	seen       map[string]bool // files fresh has returned
}

func startSink(t testing.TB) *sink {
	t.Helper()
	bin := need(t, "smtp-sink")
	dir := filepath.Join(sharedDir(t, "breeze-smtp-sink-"), "dump")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o777) // smtp-sink writes as nobody when we are root
	port := freePort(t)
	var args []string
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args = append(args, "-d", filepath.Join(dir, "msg."), addr, "16")
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start smtp-sink: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitListening(t, addr, out.String)
	return &sink{addr: addr, host: "127.0.0.1", port: port, dir: dir, seen: map[string]bool{}}
}

// messages waits for n dumped transactions and returns them, oldest first.
func (s *sink) messages(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		got = s.read(t)
		if len(got) >= n {
			break
		}
	}
	if len(got) != n {
		t.Fatalf("smtp-sink holds %d messages, want %d", len(got), n)
	}
	return got
}

// fresh waits for one transaction that fresh has not returned yet.
func (s *sink) fresh(t *testing.T) string {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		entries, _ := os.ReadDir(s.dir)
		for _, e := range entries {
			if s.seen[e.Name()] {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(s.dir, e.Name())); err == nil && complete(b) {
				s.seen[e.Name()] = true
				return string(b)
			}
		}
	}
	t.Fatal("smtp-sink got no new message")
	return ""
}

// complete says whether a dump holds a whole message (headers and body).
func complete(b []byte) bool {
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\r\n\r\n"))
}

func (s *sink) read(t *testing.T) []string {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	type dump struct {
		at   time.Time
		text string
	}
	var ds []dump
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil || !complete(b) {
			continue // still being written
		}
		ds = append(ds, dump{info.ModTime(), string(b)})
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.text
	}
	return out
}

// envelope is what smtp-sink recorded of the SMTP transaction.
type envelope struct {
	from string
	rcpt []string
	msg  *mail.Message
}

func parseDump(t *testing.T, dump string) envelope {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(dump))
	if err != nil {
		t.Fatalf("dump is not a message: %v\n%s", err, dump)
	}
	var env envelope
	env.msg = m
	env.from = strings.Fields(m.Header.Get("X-Mail-Args") + " ")[0]
	for _, r := range m.Header["X-Rcpt-Args"] {
		env.rcpt = append(env.rcpt, strings.Fields(r)[0])
	}
	return env
}

// relay is a private postfix instance: STARTTLS and AUTH PLAIN/LOGIN on
// submission, implicit TLS on smtps, AUTH LOGIN only on loginOnly; it
// relays what it accepts, only from authenticated clients, to the sink.
type relay struct {
	submission, smtps, loginOnly int
	caPEM                        string
	sink                         *sink
	dir                          string
}

const (
	relayUser = "alice"
	relayPass = "s3cret pass"
)

func startPostfix(t *testing.T, sk *sink) *relay {
	t.Helper()
	postfix := need(t, "postfix")
	saslpasswd := need(t, "saslpasswd2")
	if os.Geteuid() != 0 {
		unavailable(t, "a private postfix instance needs root")
	}
	pfUser, err := user.Lookup("postfix")
	if err != nil {
		unavailable(t, "no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(pfUser.Uid)
	dir := sharedDir(t, "breeze-postfix-")
	for _, d := range []string{"etc/sasl", "queue", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Chown(filepath.Join(dir, "data"), uid, -1)
	caPEM, certPEM, keyPEM := testPKI(t)
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", certPEM+caPEM, 0o644)
	write("key.pem", keyPEM, 0o600)
	r := &relay{submission: freePort(t), smtps: freePort(t), loginOnly: freePort(t), caPEM: caPEM, sink: sk, dir: dir}
	write("etc/main.cf", fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test
mydomain = relay.test
myorigin = relay.test
mydestination =
mynetworks =
relayhost = [127.0.0.1]:%[2]d
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_tls_cert_file = %[1]s/cert.pem
smtpd_tls_key_file = %[1]s/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = relay.test
smtp_tls_security_level = none
maillog_file_prefixes = %[1]s
maillog_file = %[1]s/maillog
alias_maps =
alias_database =
local_recipient_maps =
`, dir, sk.port), 0o644)
	write("etc/master.cf", fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt
127.0.0.1:%d inet n - n - - smtpd -o smtpd_sasl_path=smtpd-login
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`, r.submission, r.smtps, r.loginOnly), 0o644)
	// Debian's postfix reads Cyrus SASL's smtpd.conf from <config_directory>/sasl.
	sasl := "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: " + dir + "/sasldb2\nmech_list: %s\n"
	write("etc/sasl/smtpd.conf", fmt.Sprintf(sasl, "PLAIN LOGIN"), 0o644)
	write("etc/sasl/smtpd-login.conf", fmt.Sprintf(sasl, "LOGIN"), 0o644)
	cmd := exec.Command(saslpasswd, "-p", "-c", "-f", filepath.Join(dir, "sasldb2"), "-u", "relay.test", relayUser)
	cmd.Stdin = strings.NewReader(relayPass)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("saslpasswd2: %v\n%s", err, out)
	}
	_ = os.Chown(filepath.Join(dir, "sasldb2"), uid, -1)

	maillog := func() string { b, _ := os.ReadFile(filepath.Join(dir, "maillog")); return string(b) }
	etc := filepath.Join(dir, "etc")
	if out, err := exec.Command(postfix, "-c", etc, "start").CombinedOutput(); err != nil {
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, maillog())
	}
	t.Cleanup(func() {
		_ = exec.Command(postfix, "-c", etc, "stop").Run()
		// postfix stop returns before the master has gone; wait for it.
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if exec.Command(postfix, "-c", etc, "status").Run() != nil {
				return
			}
		}
	})
	for _, p := range []int{r.submission, r.smtps, r.loginOnly} {
		waitListening(t, "127.0.0.1:"+strconv.Itoa(p), maillog)
	}
	return r
}

func (r *relay) maillog() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "maillog"))
	return string(b)
}

// testPKI is a CA and a certificate it signed for relay.test and 127.0.0.1.
func testPKI(t *testing.T) (caPEM, certPEM, keyPEM string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Breeze test relay CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"relay.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
}
