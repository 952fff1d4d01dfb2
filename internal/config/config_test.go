package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./data" || c.DatabaseURL != "sqlite://data/breeze.db" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("public url = %q", c.PublicURL)
	}
}

func TestFlagBeatsEnvBeatsDefault(t *testing.T) {
	env := map[string]string{"BREEZE_LISTEN": "127.0.0.1:9000", "BREEZE_LOG_LEVEL": "debug"}
	c, err := load(t, []string{"--listen", "127.0.0.1:9100"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9100" {
		t.Errorf("flag should win, got %q", c.Listen)
	}
	if c.LogLevel != "debug" {
		t.Errorf("env should beat default, got %q", c.LogLevel)
	}
	if c.PublicURL != "http://127.0.0.1:9100" {
		t.Errorf("public url derived from listen, got %q", c.PublicURL)
	}
}

func TestWildcardListenGivesLocalhostPublicURL(t *testing.T) {
	c, err := load(t, []string{"--listen", "0.0.0.0:8080"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://localhost:8080" {
		t.Fatalf("got %q", c.PublicURL)
	}
}

func TestInvalid(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"db scheme", map[string]string{"BREEZE_DATABASE_URL": "mysql://x"}, "BREEZE_DATABASE_URL"},
		{"db garbage", map[string]string{"BREEZE_DATABASE_URL": "postgres://%zz"}, "BREEZE_DATABASE_URL"},
		{"db no host", map[string]string{"BREEZE_DATABASE_URL": "postgres:///breeze"}, "needs a host"},
		{"sqlite no path", map[string]string{"BREEZE_DATABASE_URL": "sqlite://"}, "file path"},
		{"redis", map[string]string{"BREEZE_REDIS_URL": "http://x"}, "BREEZE_REDIS_URL"},
		{"listen", map[string]string{"BREEZE_LISTEN": "8080"}, "BREEZE_LISTEN"},
		{"level", map[string]string{"BREEZE_LOG_LEVEL": "loud"}, "BREEZE_LOG_LEVEL"},
		{"format", map[string]string{"BREEZE_LOG_FORMAT": "xml"}, "BREEZE_LOG_FORMAT"},
		{"public", map[string]string{"BREEZE_PUBLIC_URL": "ftp://x"}, "BREEZE_PUBLIC_URL"},
		{"tls half", map[string]string{"BREEZE_TLS_CERT": "c.pem"}, "BREEZE_TLS_KEY"},
		{"data dir", map[string]string{"BREEZE_DATA_DIR": " "}, "BREEZE_DATA_DIR"},
		{"proxies", map[string]string{"BREEZE_TRUSTED_PROXIES": "10.0.0.1, caddy"}, "BREEZE_TRUSTED_PROXIES"},
		{"jwt short", map[string]string{"BREEZE_JWT_SECRET": "short"}, "BREEZE_JWT_SECRET"},
		{"jwt previous alone", map[string]string{"BREEZE_JWT_PREVIOUS_SECRETS": strings.Repeat("p", 40)}, "set BREEZE_JWT_SECRET too"},
		{"jwt previous short", map[string]string{"BREEZE_JWT_SECRET": strings.Repeat("s", 40),
			"BREEZE_JWT_PREVIOUS_SECRETS": strings.Repeat("p", 40) + ", short"}, "at least 32 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, nil, tc.env)
			if err == nil {
				t.Fatal("expected an error")
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q should wrap ErrConfig and mention %q", err, tc.want)
			}
		})
	}
}

func TestParseDatabaseURL(t *testing.T) {
	kind, target, err := ParseDatabaseURL("sqlite:///var/lib/breeze/b.db?x=1")
	if err != nil || kind != SQLite || target != "/var/lib/breeze/b.db" {
		t.Fatalf("got %q %q %v", kind, target, err)
	}
	kind, target, err = ParseDatabaseURL("postgres://u:p@db:5432/breeze")
	if err != nil || kind != Postgres || target != "postgres://u:p@db:5432/breeze" {
		t.Fatalf("got %q %q %v", kind, target, err)
	}
}

func TestRedactHidesPassword(t *testing.T) {
	got := Redact("postgres://breeze:s3cret@db:5432/breeze")
	if strings.Contains(got, "s3cret") {
		t.Fatalf("password leaked: %s", got)
	}
	_, err := load(t, nil, map[string]string{"BREEZE_DATABASE_URL": "mysql://root:s3cret@x/db"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error must not leak the password: %v", err)
	}
}

func TestAgentHeartbeat(t *testing.T) {
	c, err := load(t, []string{"--agent-heartbeat", "5s"}, nil)
	if err != nil || c.AgentHeartbeat != 5*time.Second {
		t.Fatalf("got %v, %v; want 5s", c, err)
	}
	if c, err := load(t, nil, nil); err != nil || c.AgentHeartbeat != time.Minute {
		t.Fatalf("default: got %v, %v; want 1m", c, err)
	}
	for _, bad := range []string{"0s", "500ms", "2h", "soon"} {
		if _, err := load(t, nil, map[string]string{"BREEZE_AGENT_HEARTBEAT": bad}); err == nil || !strings.Contains(err.Error(), "BREEZE_AGENT_HEARTBEAT") {
			t.Errorf("%q: got %v, want a BREEZE_AGENT_HEARTBEAT error", bad, err)
		}
	}
}

// Production is BREEZE_ENV=production, or a PostgreSQL database unless
// BREEZE_ENV=development; there plugin dev mode and unsigned installs are
// refused with one error naming the setting.
func TestDevelopmentSwitchesRefusedInProduction(t *testing.T) {
	const pg = "postgres://breeze@127.0.0.1:5432/breeze"
	cases := []struct {
		name       string
		env        map[string]string
		production bool
		refused    string // the variable named, "" accepted
	}{
		{"sqlite dev dir", map[string]string{"BREEZE_PLUGIN_DEV_DIR": "/src/plugins"}, false, ""},
		{"sqlite allow unsigned", map[string]string{"BREEZE_PLUGINS_ALLOW_UNSIGNED": "1"}, false, ""},
		{"explicit production", map[string]string{"BREEZE_ENV": "production", "BREEZE_PLUGIN_DEV_DIR": "/src/plugins"}, true, "BREEZE_PLUGIN_DEV_DIR"},
		{"postgres dev dir", map[string]string{"BREEZE_DATABASE_URL": pg, "BREEZE_PLUGIN_DEV_DIR": "/src/plugins"}, true, "BREEZE_PLUGIN_DEV_DIR"},
		{"postgres allow unsigned", map[string]string{"BREEZE_DATABASE_URL": pg, "BREEZE_PLUGINS_ALLOW_UNSIGNED": "true"}, true, "BREEZE_PLUGINS_ALLOW_UNSIGNED"},
		{"postgres catalog over http", map[string]string{"BREEZE_DATABASE_URL": pg, "BREEZE_PLUGIN_CATALOG_ALLOW_HTTP": "1"}, true, "BREEZE_PLUGIN_CATALOG_ALLOW_HTTP"},
		{"sqlite catalog over http", map[string]string{"BREEZE_PLUGIN_CATALOG_ALLOW_HTTP": "1"}, false, ""},
		{"postgres in development", map[string]string{"BREEZE_DATABASE_URL": pg, "BREEZE_ENV": "development", "BREEZE_PLUGIN_DEV_DIR": "/src/plugins"}, false, ""},
		{"postgres plain", map[string]string{"BREEZE_DATABASE_URL": pg}, true, ""},
		{"unknown env", map[string]string{"BREEZE_ENV": "prod"}, false, "BREEZE_ENV"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, nil, tc.env)
			if tc.refused != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.refused) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line naming %s", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Production() != tc.production {
				t.Fatalf("Production() = %v, want %v", c.Production(), tc.production)
			}
		})
	}
	// The flag form is refused the same way.
	if _, err := load(t, []string{"--plugin-dev-dir", "/x", "--env", "production"}, nil); err == nil || !strings.Contains(err.Error(), "refused in production") {
		t.Fatalf("flags: %v", err)
	}
}
