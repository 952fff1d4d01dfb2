package pluginhost

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/sdk"
)

// Spec is one plugin to supervise.
type Spec struct {
	ID, Version string
	Kind        sdk.Kind
	// Exec is the absolute path of the executable inside a directory the host
	// owns (already copied there and hashed), so nothing can swap it.
	Exec string
	// SHA256 is the executable's expected hash; go-plugin's SecureConfig
	// checks it before every start.
	SHA256 []byte
	// Host is the HostAPI served to the plugin over the broker (scoped to
	// this plugin); nil gives the plugin sdk.ErrNoHost.
	Host sdk.Host
	// Logger receives the plugin's log lines, stdout and stderr, tagged with
	// plugin_id. nil: warnings and errors to stderr.
	Logger hclog.Logger

	StartTimeout time.Duration // launch until Info answered; default 10s
	PingEvery    time.Duration // health ping period; default 15s
	PingTimeout  time.Duration // a ping slower than this kills the plugin; default 5s
	CallTimeout  time.Duration // bound on every unary call; default 30s

	MinBackoff, MaxBackoff time.Duration // restart backoff, full jitter; default 1s .. 5min
	// StableAfter is how long a process must live for the backoff to start
	// again from MinBackoff; default 1 minute.
	StableAfter time.Duration

	// NoNetwork starts the plugin in an empty network namespace (Linux; see
	// NetworkIsolation): it reaches the outside only through its Host.
	NoNetwork bool

	// Env is the plugin's whole environment: it does NOT inherit the host's
	// (which may hold database credentials). PATH is added from the host
	// when Env does not set it.
	Env []string
}

// Defaults.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultPingEvery    = 15 * time.Second
	DefaultPingTimeout  = 5 * time.Second
	DefaultCallTimeout  = 30 * time.Second
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 5 * time.Minute
	DefaultStableAfter  = time.Minute
)

// Errors callers test with errors.Is.
var (
	// ErrNotRunning: the plugin is starting, backing off, failed or stopped.
	ErrNotRunning = errors.New("pluginhost: plugin not running")
	// ErrCallTimeout: a call outlived CallTimeout; the plugin was killed.
	ErrCallTimeout = errors.New("pluginhost: plugin call timed out")
	// ErrWrongKind: a typed accessor does not match Spec.Kind.
	ErrWrongKind = errors.New("pluginhost: plugin is of another kind")
	// ErrStopped: Start after (or during) Stop.
	ErrStopped = errors.New("pluginhost: supervisor stopped")
)

func (s *Spec) fill() error {
	if s.ID == "" {
		return errors.New("pluginhost: spec needs an ID")
	}
	if !s.Kind.Valid() {
		return fmt.Errorf("pluginhost: %s: unknown kind %q", s.ID, s.Kind)
	}
	if !filepath.IsAbs(s.Exec) {
		return fmt.Errorf("pluginhost: %s: executable path %q is not absolute", s.ID, s.Exec)
	}
	if len(s.SHA256) != 32 {
		return fmt.Errorf("pluginhost: %s: SHA256 must be 32 bytes, got %d", s.ID, len(s.SHA256))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.StartTimeout, DefaultStartTimeout)
	def(&s.PingEvery, DefaultPingEvery)
	def(&s.PingTimeout, DefaultPingTimeout)
	def(&s.CallTimeout, DefaultCallTimeout)
	def(&s.MinBackoff, DefaultMinBackoff)
	def(&s.MaxBackoff, DefaultMaxBackoff)
	def(&s.StableAfter, DefaultStableAfter)
	if s.MaxBackoff < s.MinBackoff {
		s.MaxBackoff = s.MinBackoff
	}
	if s.Logger == nil {
		s.Logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn})
	}
	return nil
}
