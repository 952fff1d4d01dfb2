package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

const token = "brz_s3cr3tT0kenValue0123456789abcdef"

func sample() Config {
	return Config{
		ServerURL:            "https://breeze.example.com",
		DeviceID:             "0190c0de-0000-7000-8000-000000000001",
		AgentToken:           Secret(token),
		OrgID:                "org-1",
		SiteID:               "site-1",
		EnrolledAt:           time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		HeartbeatInterval:    30 * time.Second,
		FileRoots:            []string{"/srv/files", "/tmp"},
		StateDir:             "/var/lib/breeze",
		PluginTrustedKeys:    []string{"/etc/breeze/plugins.pub", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"},
		AllowUnsignedPlugins: true,
	}
}

func TestSaveLoadRoundTripWithPrivateModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "breeze")
	path := filepath.Join(dir, "agent.json")
	want := sample()
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode %04o, want 0600", got)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("dir mode %04o, want 0700", got)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
	}
	if got.AgentToken.Reveal() != token {
		t.Error("token lost in round trip")
	}
}

func TestLoadRefusesGroupOrWorldAccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.json")
	if err := Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o620} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if !errors.Is(err, ErrInsecure) {
			t.Fatalf("mode %04o: err = %v, want ErrInsecure", mode, err)
		}
		if !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: error does not tell how to fix it: %v", mode, err)
		}
		if strings.Contains(err.Error(), token) {
			t.Fatal("error leaks the token")
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("0600 refused: %v", err)
	}
}

func TestLoadMissingSaysEnroll(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, ErrNotEnrolled) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "breeze-agent enroll") {
		t.Errorf("error does not say how to enroll: %v", err)
	}
}

func TestLoadRejectsBadContent(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"not json":      "{",
		"wrong version": `{"version":2,"serverUrl":"https://x","deviceId":"d","agentToken":"brz_x"}`,
		"no token":      `{"version":1,"serverUrl":"https://x","deviceId":"d"}`,
		"bad scheme":    `{"version":1,"serverUrl":"ftp://x","deviceId":"d","agentToken":"brz_x"}`,
		"slash in id":   `{"version":1,"serverUrl":"https://x","deviceId":"../other","agentToken":"brz_x"}`,
		"relative key":  `{"version":1,"serverUrl":"https://x","deviceId":"d","agentToken":"brz_x","pluginTrustedKeys":["keys/a.pub"]}`,
		"huge":          `{"version":1,"pad":"` + strings.Repeat("a", maxFileSize) + `"}`,
	}
	for name, body := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func TestWriteFileAtomicLeavesOldFileOnFailureAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.json")
	if err := Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	// A directory where the rename target's sibling would go makes the
	// rename fail: target is a non-empty directory.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(blocked, []byte("new")); err == nil {
		t.Fatal("rename over a non-empty directory succeeded")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("unrelated file changed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// Readers racing a writer see either the old or the new file, never a torn
// or empty one.
func TestWriteFileAtomicReadersNeverSeeTornFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.json")
	a, b := sample(), sample()
	b.SiteID = strings.Repeat("s", 4000) // a different length, so a torn read shows
	if err := Save(path, a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			c, err := Load(path)
			if err != nil || (c.SiteID != a.SiteID && c.SiteID != b.SiteID) {
				bad = fmt.Errorf("reader saw %q / %v", c.SiteID, err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		c := a
		if i%2 == 0 {
			c = b
		}
		if err := Save(path, c); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad != nil {
		t.Fatal(bad)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	c := sample()
	var out bytes.Buffer
	jsonOut := &bytes.Buffer{}
	log := hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Trace})
	jlog := hclog.New(&hclog.LoggerOptions{Output: jsonOut, Level: hclog.Trace, JSONFormat: true})
	for _, l := range []hclog.Logger{log, jlog} {
		l.Info("config", "cfg", c, "token", c.AgentToken, "ptr", &c)
		l.Debug("token only", "t", c.AgentToken)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		out.WriteString(fmt.Sprintf(f, c))
		out.WriteString(fmt.Sprintf(f, c.AgentToken))
		out.WriteString(fmt.Sprintf(f, &c))
	}
	out.WriteString(c.String())
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(j)
	out.Write(jsonOut.Bytes())
	if strings.Contains(out.String(), token) || strings.Contains(out.String(), fmt.Sprintf("%x", token)) {
		t.Fatalf("token leaked:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "brz_[redacted]") {
		t.Errorf("redacted form missing:\n%s", out.String())
	}
	if s := Secret("").String(); s != "(none)" {
		t.Errorf("empty secret = %q", s)
	}
}

func TestResolvePrecedence(t *testing.T) {
	t.Setenv(EnvPath, "/from/env.json")
	if got := Resolve("/from/flag.json"); got != "/from/flag.json" {
		t.Errorf("flag: %s", got)
	}
	if got := Resolve(""); got != "/from/env.json" {
		t.Errorf("env: %s", got)
	}
	t.Setenv(EnvPath, "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	want := "/xdg/breeze/agent.json"
	if os.Geteuid() == 0 {
		want = "/etc/breeze/agent.json"
	}
	if got := Resolve(""); got != want {
		t.Errorf("default: %s, want %s", got, want)
	}
}
