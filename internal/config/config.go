// Package config loads the server's configuration from flags and BREEZE_*
// environment variables and validates it before anything starts.
//
// Precedence: a flag given on the command line wins over the environment,
// which wins over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the validated server configuration.
type Config struct {
	DatabaseURL string // sqlite://PATH or postgres://...
	RedisURL    string // empty: queue, bus and limits stay in process
	// RedisPrefix namespaces every Redis key, channel and queue of this
	// deployment (several deployments, or test servers, may share a Redis).
	RedisPrefix string
	Listen      string // host:port
	DataDir     string // SQLite file, keys, plugins
	PublicURL   string // how agents and browsers reach this server
	LogLevel    string // trace, debug, info, warn, error
	LogFormat   string // text or json
	TLSCert     string // optional: serve HTTPS directly
	TLSKey      string
	Demo        bool // seed a demo partner, org, site and admin on an empty database
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For is
	// believed (the Caddy in front); comma-separated. Empty: none.
	TrustedProxies string
	// AllowedOrigins are extra browser origins (scheme://host[:port],
	// comma-separated) allowed to open the WebSockets besides the server's
	// own (a dashboard served from another host).
	AllowedOrigins string
	// FileMax bounds a file transfer, in bytes (BREEZE_FILE_MAX_BYTES).
	FileMax int64
	// TerminalIdle ends a terminal session without input for this long.
	TerminalIdle time.Duration
	// AgentHeartbeat is the interval the server asks agents to heartbeat
	// at (sent in the welcome); presence and offline alerts follow it.
	AgentHeartbeat time.Duration
	// PluginTrustedKeys are the plugin signing keys the server trusts:
	// comma-separated PEM public key files or directories of them.
	PluginTrustedKeys string
	// PluginsAllowUnsigned is the development switch that lets unsigned
	// plugins install (BREEZE_PLUGINS_ALLOW_UNSIGNED=1). Never in production.
	PluginsAllowUnsigned bool
	// PluginDevDir is plugin dev mode (BREEZE_PLUGIN_DEV_DIR): the plugin
	// directories in it are loaded unsigned and reloaded when rebuilt.
	// Never in production.
	PluginDevDir string
	// Env is "production", "development" or "" (see Production).
	Env string
	// PluginCatalogAllowHTTP lets plugin catalogs and their archives be
	// fetched over plain http (development and tests only).
	PluginCatalogAllowHTTP bool
	// PluginEgressAllow are the CIDRs server-side plugins' requests may
	// reach although they are loopback, private, link-local, ... (refused
	// by default).
	PluginEgressAllow string
	// PluginSandbox: auto, on or off (server-side plugins without a network
	// of their own; see docs/plugins.md).
	PluginSandbox string
	// AgentURLs (comma-separated) are pushed to agents in the welcome.
	AgentURLs string
	// ReleaseKeys (comma-separated base64 ed25519 public keys) verify
	// uploaded agent builds and are given to agents at enrollment.
	ReleaseKeys string
	// AgentMTLS: "optional" (certificates are issued; each partner's
	// switch decides whether its links need one) or "required" (every
	// agent link needs a valid client certificate of its device).
	AgentMTLS string
	// AgentCertTTL is the lifetime of the agents' client certificates.
	AgentCertTTL time.Duration
	// AuthCacheTTL bounds how long a credential's principal is reused
	// without reading the store (auth.DefaultPrincipalTTL); 0: never.
	AuthCacheTTL time.Duration

	fileMaxRaw, terminalIdleRaw, agentHeartbeatRaw, agentCertTTLRaw, authCacheTTLRaw string

	// Secrets come from the environment only, never from flags (which other
	// users of the machine can read in the process list).
	JWTSecret string // BREEZE_JWT_SECRET: ≥ 32 bytes shared by every node; empty: a key file in DATA_DIR
	// JWTPreviousSecrets (BREEZE_JWT_PREVIOUS_SECRETS, comma-separated) still
	// verify tokens after a rotation; BREEZE_JWT_SECRET signs.
	JWTPreviousSecrets []string
	BootstrapEmail     string // BREEZE_BOOTSTRAP_EMAIL: first admin on an empty database
	BootstrapPassword  string // BREEZE_BOOTSTRAP_PASSWORD
	// PluginSecretKey seals plugin secrets at rest: base64 of 32 bytes,
	// shared by every node; empty: a key file in DATA_DIR.
	PluginSecretKey string // BREEZE_PLUGIN_SECRET_KEY
}

// Field describes one setting: its flag, its variable and its default.
// The README's configuration table is generated from the same list.
type Field struct {
	Flag, Env, Default, Usage string
	target                    *string
}

// Fields lists every setting, bound to c.
func (c *Config) Fields() []Field {
	return []Field{
		{"database-url", "BREEZE_DATABASE_URL", "", "database: sqlite://PATH or postgres://USER@HOST:PORT/DB (default sqlite://DATA_DIR/breeze.db)", &c.DatabaseURL},
		{"redis-url", "BREEZE_REDIS_URL", "", "Redis for queue, bus, presence and rate limits (empty: in process)", &c.RedisURL},
		{"redis-prefix", "BREEZE_REDIS_PREFIX", "breeze:", "namespace of every Redis key, channel and queue (nodes of one deployment share it)", &c.RedisPrefix},
		{"listen", "BREEZE_LISTEN", "127.0.0.1:8080", "address the HTTP server listens on", &c.Listen},
		{"data-dir", "BREEZE_DATA_DIR", "./data", "directory for the SQLite database, keys and plugins", &c.DataDir},
		{"public-url", "BREEZE_PUBLIC_URL", "", "URL agents and browsers use to reach the server (default http://LISTEN)", &c.PublicURL},
		{"log-level", "BREEZE_LOG_LEVEL", "info", "trace, debug, info, warn or error", &c.LogLevel},
		{"log-format", "BREEZE_LOG_FORMAT", "text", "text or json", &c.LogFormat},
		{"tls-cert", "BREEZE_TLS_CERT", "", "PEM certificate to serve HTTPS directly (usually Caddy terminates TLS)", &c.TLSCert},
		{"tls-key", "BREEZE_TLS_KEY", "", "PEM private key for --tls-cert", &c.TLSKey},
		{"allowed-origins", "BREEZE_ALLOWED_ORIGINS", "", "comma-separated extra browser origins (https://host:port) allowed to open the terminal and events WebSockets besides the server's own", &c.AllowedOrigins},
		{"file-max-bytes", "BREEZE_FILE_MAX_BYTES", "268435456", "largest file transfer to or from a device, in bytes", &c.fileMaxRaw},
		{"agent-heartbeat", "BREEZE_AGENT_HEARTBEAT", "60s", "how often agents send a heartbeat (1s to 1h); a device is offline after missing about three", &c.agentHeartbeatRaw},
		{"terminal-idle-timeout", "BREEZE_TERMINAL_IDLE_TIMEOUT", "15m", "a terminal session without input for this long is closed", &c.terminalIdleRaw},
		{"plugin-trusted-keys", "BREEZE_PLUGIN_TRUSTED_KEYS", "", "comma-separated PEM public keys (or directories of *.pub/*.pem) whose plugin signatures are trusted", &c.PluginTrustedKeys},
		{"plugin-egress-allow", "BREEZE_PLUGIN_EGRESS_ALLOW", "", "comma-separated CIDRs server-side plugins may reach although loopback, private, link-local or otherwise internal (refused by default)", &c.PluginEgressAllow},
		{"plugin-sandbox", "BREEZE_PLUGIN_SANDBOX", "auto", "auto, on or off: run server-side plugins in an empty network namespace, so the host's egress is their only way out", &c.PluginSandbox},
		{"agent-urls", "BREEZE_AGENT_URLS", "", "comma-separated URLs of this deployment agents may use besides the one they enrolled with (a second front, a DR site), tried in turn; sent in every welcome", &c.AgentURLs},
		{"env", "BREEZE_ENV", "", "production or development; empty: production when the database is PostgreSQL (development switches such as plugin dev mode are refused in production)", &c.Env},
		{"plugin-dev-dir", "BREEZE_PLUGIN_DEV_DIR", "", "DEVELOPMENT ONLY: load the plugin directories in DIR unsigned and reload them when rebuilt (refused in production)", &c.PluginDevDir},
		{"release-keys", "BREEZE_RELEASE_KEYS", "", "comma-separated agent release public keys (base64, from breeze release keygen): uploaded agent builds must be signed by one; agents get them at enrollment", &c.ReleaseKeys},
		{"trusted-proxies", "BREEZE_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (client IPs for rate limits and audit) and whose X-Client-Cert (the agent's verified client certificate) is believed", &c.TrustedProxies},
		{"agent-mtls", "BREEZE_AGENT_MTLS", "optional", "optional (each partner's requireMtls decides) or required (every agent link needs a valid client certificate of its device besides the token)", &c.AgentMTLS},
		{"agent-cert-ttl", "BREEZE_AGENT_CERT_TTL", "720h", "lifetime of the agents' client certificates (10s to 8760h); agents renew at two thirds of it", &c.agentCertTTLRaw},
		{"auth-cache-ttl", "BREEZE_AUTH_CACHE_TTL", "5s", "how long (0 to 60s) a session's or API key's permissions are reused without reading the database; changes made through the server apply at once on every node, 0 turns the cache off", &c.authCacheTTLRaw},
	}
}

// Load parses args (without the program and sub-command names) and the
// environment given by getenv, then validates the result.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	return LoadSome(fs, args, getenv)
}

// LoadSome is Load with only the named flags registered (a sub-command's
// own, so its -h lists what it uses); every other setting still comes from
// its variable or default. No names: every flag. "demo" and
// "plugins-allow-unsigned" are names like the others.
func LoadSome(fs *flag.FlagSet, args []string, getenv func(string) string, only ...string) (*Config, error) {
	c := &Config{}
	wanted := func(flag string) bool { return len(only) == 0 || slices.Contains(only, flag) }
	for _, f := range c.Fields() {
		def := f.Default
		if v := getenv(f.Env); v != "" {
			def = v
		}
		if !wanted(f.Flag) {
			*f.target = def
			continue
		}
		fs.StringVar(f.target, f.Flag, def, f.Usage+" ["+f.Env+"]")
	}
	c.Demo = getenv("BREEZE_DEMO") == "1" || getenv("BREEZE_DEMO") == "true"
	if wanted("demo") {
		fs.BoolVar(&c.Demo, "demo", c.Demo, "seed a demo partner, org \"Demo Customer\", site \"HQ\" and an admin on an empty database [BREEZE_DEMO]")
	}
	c.JWTSecret = getenv("BREEZE_JWT_SECRET")
	for _, p := range strings.Split(getenv("BREEZE_JWT_PREVIOUS_SECRETS"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.JWTPreviousSecrets = append(c.JWTPreviousSecrets, p)
		}
	}
	c.BootstrapEmail = getenv("BREEZE_BOOTSTRAP_EMAIL")
	c.BootstrapPassword = getenv("BREEZE_BOOTSTRAP_PASSWORD")
	c.PluginSecretKey = getenv("BREEZE_PLUGIN_SECRET_KEY")
	c.PluginsAllowUnsigned = getenv("BREEZE_PLUGINS_ALLOW_UNSIGNED") == "1" || getenv("BREEZE_PLUGINS_ALLOW_UNSIGNED") == "true"
	if wanted("plugins-allow-unsigned") {
		fs.BoolVar(&c.PluginsAllowUnsigned, "plugins-allow-unsigned", c.PluginsAllowUnsigned, "DEVELOPMENT ONLY: install plugins without a trusted signature (refused in production) [BREEZE_PLUGINS_ALLOW_UNSIGNED]")
	}
	c.PluginCatalogAllowHTTP = getenv("BREEZE_PLUGIN_CATALOG_ALLOW_HTTP") == "1" || getenv("BREEZE_PLUGIN_CATALOG_ALLOW_HTTP") == "true"
	if wanted("plugin-catalog-allow-http") {
		fs.BoolVar(&c.PluginCatalogAllowHTTP, "plugin-catalog-allow-http", c.PluginCatalogAllowHTTP, "DEVELOPMENT ONLY: fetch plugin catalogs and their archives over plain http [BREEZE_PLUGIN_CATALOG_ALLOW_HTTP]")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadEnv is Load for the process's own flags and environment.
func LoadEnv(name string, args []string) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return Load(fs, args, os.Getenv)
}

var redisPrefix = regexp.MustCompile(`^[A-Za-z0-9:_.-]{1,64}$`)

// ErrConfig marks a configuration mistake; the message names the setting.
var ErrConfig = errors.New("configuration")

func bad(env, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, env, fmt.Sprintf(format, args...))
}

func (c *Config) finish() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return bad("BREEZE_DATA_DIR", "must not be empty")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.ToSlash(filepath.Join(c.DataDir, "breeze.db"))
	}
	if _, _, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
		return err
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return bad("BREEZE_REDIS_URL", "%q is not a redis:// or rediss:// URL (example: redis://127.0.0.1:6379/0)", c.RedisURL)
		}
	}
	if !redisPrefix.MatchString(c.RedisPrefix) {
		return bad("BREEZE_REDIS_PREFIX", "%q is not 1 to 64 letters, digits and :_.-", c.RedisPrefix)
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil || port == "" {
		return bad("BREEZE_LISTEN", "%q is not host:port (example: 127.0.0.1:8080)", c.Listen)
	}
	if c.PublicURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		scheme := "http"
		if c.TLSCert != "" {
			scheme = "https"
		}
		c.PublicURL = scheme + "://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("BREEZE_PUBLIC_URL", "%q is not an http(s) URL", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		return bad("BREEZE_LOG_LEVEL", "%q is not one of trace, debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("BREEZE_LOG_FORMAT", "%q is not text or json", c.LogFormat)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		return bad("BREEZE_JWT_SECRET", "must be at least 32 bytes (generate one with: openssl rand -base64 48)")
	}
	if len(c.JWTPreviousSecrets) > 0 && c.JWTSecret == "" {
		return bad("BREEZE_JWT_PREVIOUS_SECRETS", "is for a rotation of BREEZE_JWT_SECRET: set BREEZE_JWT_SECRET too")
	}
	for _, p := range c.JWTPreviousSecrets {
		if len(p) < 32 {
			return bad("BREEZE_JWT_PREVIOUS_SECRETS", "every secret must be at least 32 bytes")
		}
	}
	if c.BootstrapEmail != "" && c.BootstrapPassword == "" {
		return bad("BREEZE_BOOTSTRAP_PASSWORD", "BREEZE_BOOTSTRAP_EMAIL is set: set BREEZE_BOOTSTRAP_PASSWORD too")
	}
	for _, u := range c.AgentURLList() {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" || pu.RawQuery != "" {
			return bad("BREEZE_AGENT_URLS", "%q is not an http(s) URL", u)
		}
	}
	for _, p := range c.ProxyList() {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return bad("BREEZE_TRUSTED_PROXIES", "%q is not an address or CIDR", p)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return bad("BREEZE_TLS_CERT", "set both BREEZE_TLS_CERT and BREEZE_TLS_KEY, or neither")
	}
	for _, o := range c.OriginList() {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return bad("BREEZE_ALLOWED_ORIGINS", "%q is not an origin such as https://rmm.example.com", o)
		}
	}
	n, err := strconv.ParseInt(c.fileMaxRaw, 10, 64)
	if err != nil || n < 1 || n > 64<<30 {
		return bad("BREEZE_FILE_MAX_BYTES", "%q is not a byte count from 1 to 68719476736", c.fileMaxRaw)
	}
	c.FileMax = n
	d, err := time.ParseDuration(c.terminalIdleRaw)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return bad("BREEZE_TERMINAL_IDLE_TIMEOUT", "%q is not a duration from 1s to 24h (example: 15m)", c.terminalIdleRaw)
	}
	c.TerminalIdle = d
	hb, err := time.ParseDuration(c.agentHeartbeatRaw)
	if err != nil || hb < time.Second || hb > time.Hour {
		return bad("BREEZE_AGENT_HEARTBEAT", "%q is not a duration from 1s to 1h (example: 60s)", c.agentHeartbeatRaw)
	}
	c.AgentHeartbeat = hb
	if c.AgentMTLS != "optional" && c.AgentMTLS != "required" {
		return bad("BREEZE_AGENT_MTLS", "%q is not optional or required", c.AgentMTLS)
	}
	ttl, err := time.ParseDuration(c.agentCertTTLRaw)
	if err != nil || ttl < 10*time.Second || ttl > 8760*time.Hour {
		return bad("BREEZE_AGENT_CERT_TTL", "%q is not a duration from 10s to 8760h (example: 720h)", c.agentCertTTLRaw)
	}
	c.AgentCertTTL = ttl
	act, err := time.ParseDuration(c.authCacheTTLRaw)
	if err != nil || act < 0 || act > time.Minute {
		return bad("BREEZE_AUTH_CACHE_TTL", "%q is not a duration from 0s to 60s (example: 5s)", c.authCacheTTLRaw)
	}
	c.AuthCacheTTL = act
	return c.refuseDevelopmentSwitches()
}

// Production says this server runs for real: BREEZE_ENV=production, or a
// PostgreSQL database (the production profile) unless BREEZE_ENV says
// development. Switches that run code nobody signed are refused then.
func (c *Config) Production() bool {
	if c.Env != "" {
		return c.Env == "production"
	}
	kind, _, _ := ParseDatabaseURL(c.DatabaseURL)
	return kind == Postgres
}

// refuseDevelopmentSwitches checks BREEZE_ENV and refuses plugin dev mode,
// unsigned installs and plain-http catalogs in production.
func (c *Config) refuseDevelopmentSwitches() error {
	switch c.Env {
	case "", "production", "development":
	default:
		return bad("BREEZE_ENV", "%q is not production or development", c.Env)
	}
	if !c.Production() {
		return nil
	}
	why := "BREEZE_ENV=production"
	if c.Env == "" {
		why = "the database is PostgreSQL; set BREEZE_ENV=development on a developer's machine"
	}
	if strings.TrimSpace(c.PluginDevDir) != "" {
		return bad("BREEZE_PLUGIN_DEV_DIR", "plugin dev mode runs unsigned plugins and is refused in production (%s)", why)
	}
	if c.PluginsAllowUnsigned {
		return bad("BREEZE_PLUGINS_ALLOW_UNSIGNED", "unsigned plugins are refused in production (%s)", why)
	}
	if c.PluginCatalogAllowHTTP {
		return bad("BREEZE_PLUGIN_CATALOG_ALLOW_HTTP", "plugin catalogs over plain http are refused in production (%s)", why)
	}
	return nil
}

// OriginList splits AllowedOrigins.
func (c *Config) OriginList() []string {
	var out []string
	for _, p := range strings.Split(c.AllowedOrigins, ",") {
		if p = strings.TrimRight(strings.TrimSpace(p), "/"); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Database kinds.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ParseDatabaseURL returns the kind of database and what its adapter needs:
// a file path for SQLite, the URL itself for PostgreSQL.
func ParseDatabaseURL(raw string) (kind, target string, err error) {
	u, perr := url.Parse(raw)
	if perr != nil {
		return "", "", bad("BREEZE_DATABASE_URL", "cannot parse %q: %v", redact(raw), perr)
	}
	switch u.Scheme {
	case "sqlite":
		path := strings.TrimPrefix(raw, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return "", "", bad("BREEZE_DATABASE_URL", "sqlite URL needs a file path (example: sqlite://./data/breeze.db)")
		}
		return SQLite, path, nil
	case "postgres", "postgresql":
		if u.Host == "" {
			return "", "", bad("BREEZE_DATABASE_URL", "postgres URL needs a host (example: postgres://breeze@127.0.0.1:5432/breeze)")
		}
		return Postgres, raw, nil
	default:
		return "", "", bad("BREEZE_DATABASE_URL", "unsupported scheme %q: use sqlite:// or postgres://", u.Scheme)
	}
}

// redact hides a password in a URL before it reaches a message.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.Index(raw, "@"); i > 0 {
			return "***" + raw[i:]
		}
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Redact is exported for log lines that mention a database URL.
func Redact(raw string) string { return redact(raw) }

// ProxyList splits TrustedProxies.
func (c *Config) ProxyList() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ReleaseKeyList splits ReleaseKeys.
func (c *Config) ReleaseKeyList() []string {
	var out []string
	for _, k := range strings.Split(c.ReleaseKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// AgentURLList splits AgentURLs (at most 8 are sent: agents try no more).
func (c *Config) AgentURLList() []string {
	var out []string
	for _, u := range strings.Split(c.AgentURLs, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" && len(out) < 8 {
			out = append(out, u)
		}
	}
	return out
}
