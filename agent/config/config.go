package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// Config is what enrollment produced plus what the server told us since.
type Config struct {
	ServerURL string // https://breeze.example.com (no path)
	// ServerURLs are more URLs of the same deployment (enroll --server a,b),
	// tried in turn when ServerURL cannot be reached; PushedServerURLs are
	// those the server last sent in its welcome (kept for the next start).
	ServerURLs       []string
	PushedServerURLs []string
	DeviceID         string
	AgentToken       Secret
	OrgID            string
	SiteID           string
	EnrolledAt       time.Time
	// HeartbeatInterval caches the last interval the server set, so a restart
	// keeps the server's cadence while offline. Zero means the default.
	HeartbeatInterval time.Duration
	// FileRoots, when set, are the only directories remote file transfers
	// may read or write (symlinks resolved). Empty: anywhere.
	FileRoots []string
	// StateDir holds the agent's caches (command ids, inventory, plugins).
	// Empty: the config file's directory.
	StateDir string
	// PluginTrustedKeys are the ed25519 public keys (PEM, inline or an
	// absolute path to a .pub file) whose signatures make a plugin
	// runnable. Empty: every plugin is refused unless AllowUnsignedPlugins.
	PluginTrustedKeys []string
	// AllowUnsignedPlugins (development only) runs unsigned plugins; a
	// signature that is present is still checked.
	AllowUnsignedPlugins bool
	// PluginDevDir is plugin dev mode: the plugin directories in it run
	// unsigned and are reloaded when rebuilt (`run --plugin-dev-dir`
	// overrides it). Refused unless AllowUnsignedPlugins.
	PluginDevDir string
	// ReleaseKeys are the ed25519 public keys (protocol.ParseReleaseKey)
	// whose signatures make an agent build installable by self-update;
	// enrollment stores the server's. Empty: every update is refused.
	ReleaseKeys []string
	// UpdateTrial is how long a freshly updated agent has to link before
	// it rolls back to the previous build. Zero: the offer's, else 5 min.
	UpdateTrial time.Duration
}

// Validate checks that the config can drive a link.
func (c Config) Validate() error {
	if err := ValidateServerURL(c.ServerURL); err != nil {
		return err
	}
	for _, u := range append(append([]string(nil), c.ServerURLs...), c.PushedServerURLs...) {
		if err := ValidateServerURL(u); err != nil {
			return fmt.Errorf("config server URL %q: %w", protocol.Abbrev(u, 80), err)
		}
	}
	if c.DeviceID == "" {
		return fmt.Errorf("config has no device id: enroll first")
	}
	if strings.ContainsAny(c.DeviceID, "/?#% \t\r\n") {
		return fmt.Errorf("config has a malformed device id %q", c.DeviceID)
	}
	if !strings.HasPrefix(c.AgentToken.Reveal(), protocol.AgentTokenPrefix) {
		return fmt.Errorf("config has no valid agent token (want %s...): enroll again", protocol.AgentTokenPrefix)
	}
	for _, r := range c.FileRoots {
		if !filepath.IsAbs(r) {
			return fmt.Errorf("config file root %q is not absolute", r)
		}
	}
	if c.StateDir != "" && !filepath.IsAbs(c.StateDir) {
		return fmt.Errorf("config state dir %q is not absolute", c.StateDir)
	}
	for _, k := range c.PluginTrustedKeys {
		if !strings.HasPrefix(strings.TrimSpace(k), "-----BEGIN") && !filepath.IsAbs(k) {
			return fmt.Errorf("config plugin trusted key %q: want an inline PEM key or an absolute path", protocol.Abbrev(k, 40))
		}
	}
	for _, k := range c.ReleaseKeys {
		if _, err := protocol.ParseReleaseKey(k); err != nil {
			return fmt.Errorf("config release key %q: %w", protocol.Abbrev(k, 40), err)
		}
	}
	if c.HeartbeatInterval < 0 || c.UpdateTrial < 0 {
		return fmt.Errorf("config has a negative heartbeat interval or update trial")
	}
	return nil
}

// ValidateServerURL accepts an absolute http(s) URL with a host and no query.
func ValidateServerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("server URL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("server URL %q: want https://host[:port]", raw)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("server URL %q: want https://host[:port] without credentials, query or fragment", raw)
	}
	return nil
}

// String summarises the config with the token redacted (Secret does that).
func (c Config) String() string {
	return fmt.Sprintf("server=%s device=%s org=%s site=%s token=%s heartbeat=%s",
		c.ServerURL, c.DeviceID, c.OrgID, c.SiteID, c.AgentToken, c.HeartbeatInterval)
}
