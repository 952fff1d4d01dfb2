package manifest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const good = `{
  "id": "acme.pager", "name": "Pager", "version": "1.2.3", "kind": "alert_channel",
  "minHostVersion": "0.1.0", "apiVersions": [1],
  "executables": {"linux-amd64": {"path": "bin/pager", "sha256": ""}},
  "settingsSchema": {"type": "object", "required": ["url"], "properties": {
    "url": {"type": "string", "format": "uri"},
    "token": {"type": "string", "secret": true, "minLength": 4},
    "level": {"type": "string", "enum": ["low", "high"]},
    "retries": {"type": "integer", "minimum": 0, "maximum": 5}}}
}`

func mutate(t *testing.T, f func(m map[string]any)) []byte {
	var m map[string]any
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ := json.Marshal(m)
	return b
}

func TestParseGood(t *testing.T) {
	m, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.SettingsSchema.SecretKeys(); len(got) != 1 || got[0] != "token" {
		t.Fatalf("SecretKeys = %v", got)
	}
}

func TestParseRejects(t *testing.T) {
	exe := func(p, sum string) map[string]any {
		return map[string]any{"linux-amd64": map[string]any{"path": p, "sha256": sum}}
	}
	cases := map[string]func(m map[string]any){
		"bad id":         func(m map[string]any) { m["id"] = "Acme Pager" },
		"bad version":    func(m map[string]any) { m["version"] = "1.2" },
		"unknown kind":   func(m map[string]any) { m["kind"] = "backdoor" },
		"dotdot path":    func(m map[string]any) { m["executables"] = exe("../../bin/sh", "") },
		"absolute path":  func(m map[string]any) { m["executables"] = exe("/bin/sh", "") },
		"unclean path":   func(m map[string]any) { m["executables"] = exe("bin/./x", "") },
		"backslash":      func(m map[string]any) { m["executables"] = exe(`bin\..\x`, "") },
		"bad sha":        func(m map[string]any) { m["executables"] = exe("bin/x", "XYZ") },
		"bad platform":   func(m map[string]any) { m["executables"] = map[string]any{"plan9": map[string]any{"path": "x"}} },
		"no executables": func(m map[string]any) { m["executables"] = map[string]any{} },
		"no api":         func(m map[string]any) { m["apiVersions"] = []int{} },
		"unknown field":  func(m map[string]any) { m["exec"] = "rm -rf /" },
		"schema type":    func(m map[string]any) { m["settingsSchema"] = map[string]any{"type": "array"} },
		"schema required missing": func(m map[string]any) {
			m["settingsSchema"] = map[string]any{"type": "object", "required": []string{"x"}}
		},
		"schema min>max": func(m map[string]any) {
			m["settingsSchema"] = map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer", "minimum": 5, "maximum": 1}}}
		},
	}
	for name, f := range cases {
		if _, err := Parse(mutate(t, f)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse = %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidateSettings(t *testing.T) {
	m, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	ok := []string{`{"url":"https://x.test/h"}`, `{"url":"http://x","token":"abcd","level":"high","retries":5}`}
	for _, s := range ok {
		if err := ValidateSettings(m.SettingsSchema, json.RawMessage(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := map[string]string{
		`{}`:                                "required",
		`{"url":"ftp://x"}`:                 "http(s)",
		`{"url":"https://x","extra":1}`:     "unknown",
		`{"url":"https://x","token":"a"}`:   "shorter",
		`{"url":"https://x","level":"x"}`:   "not one of",
		`{"url":"https://x","retries":9}`:   "maximum",
		`{"url":"https://x","retries":1.5}`: "integer",
		`{"url":1}`:                         "string",
		`[1,2]`:                             "object",
	}
	for s, want := range bad {
		err := ValidateSettings(m.SettingsSchema, json.RawMessage(s))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrInvalid mentioning %q", s, err, want)
		}
	}
}

func TestVersions(t *testing.T) {
	order := []string{"0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"}
	for i := 0; i+1 < len(order); i++ {
		if c, err := CompareVersions(order[i], order[i+1]); err != nil || c != -1 {
			t.Errorf("%s < %s: got %d, %v", order[i], order[i+1], c, err)
		}
	}
	if c, _ := CompareVersions("v1.2.3+build", "1.2.3"); c != 0 {
		t.Error("build metadata must not count")
	}
	for _, bad := range []string{"1", "1.2", "01.2.3", "1.2.3-", "x"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}
