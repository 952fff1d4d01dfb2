package pluginhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/breeze-rmm/breeze/sdk"
)

// permanentError marks a launch failure that retrying cannot fix (a missing
// or tampered executable, a plugin of the wrong kind or API).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err: err} }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// launch starts one process, connects, dispenses the plugin and checks its
// Info, all within StartTimeout.
func (s *Supervisor) launch(ctx context.Context) (*instance, error) {
	deadline := time.Now().Add(s.spec.StartTimeout)
	if _, err := os.Stat(s.spec.Exec); err != nil {
		return nil, permanent(fmt.Errorf("pluginhost: %s: %w", s.spec.ID, err))
	}
	cmd := exec.Command(s.spec.Exec)
	cmd.Dir = filepath.Dir(s.spec.Exec)
	cmd.Env = s.env
	setProcessGroup(cmd)
	if s.spec.NoNetwork {
		if err := NetworkIsolation(); err != nil {
			return nil, permanent(err)
		}
		isolateNetwork(cmd)
	}

	cfg := sdk.NewClientConfig(sdk.ClientConfig{
		Cmd:          cmd,
		Host:         s.spec.Host,
		Logger:       s.log,
		StartTimeout: s.spec.StartTimeout,
		// A fresh hash each start: SecureConfig writes into it.
		SecureConfig: &plugin.SecureConfig{Checksum: s.spec.SHA256, Hash: sha256.New()},
	})
	cfg.SkipHostEnv = true
	cfg.SyncStdout = newLineWriter(s.log, "stdout")
	panics := newPanicCapture()
	stderr := newLineWriter(s.log, "stderr")
	stderr.panics = panics
	cfg.SyncStderr = stderr
	// The raw stderr, which go-plugin logs itself: watched only (a panic
	// before the handshake, or the runtime's trace, arrives here).
	raw := newLineWriter(nil, "raw-stderr")
	raw.panics = panics
	cfg.Stderr = raw
	inst := newInstance(plugin.NewClient(cfg), cmd)
	inst.panics = panics

	fail := func(err error) (*instance, error) {
		err = withPanic(s.spec.ID, inst.panics, err)
		inst.kill(err)
		inst.reap(0)
		return nil, err
	}
	rpc, err := inst.client.Client()
	if err != nil {
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			err = permanent(err)
		}
		return fail(fmt.Errorf("pluginhost: start %s: %w", s.spec.ID, err))
	}
	if cmd.Process != nil {
		inst.pid = cmd.Process.Pid
	}
	gc, ok := rpc.(*plugin.GRPCClient)
	if !ok {
		return fail(permanent(fmt.Errorf("pluginhost: %s: not a gRPC plugin (%T)", s.spec.ID, rpc)))
	}
	inst.conn = gc.Conn

	ictx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	p, info, err := sdk.ClientFor(ictx, rpc, s.spec.Kind)
	if err != nil {
		if ictx.Err() != nil {
			return fail(fmt.Errorf("pluginhost: %s: no answer within the start timeout %s: %w", s.spec.ID, s.spec.StartTimeout, err))
		}
		if info.Kind != "" { // it answered Info: wrong kind or API, retrying will not help
			err = permanent(err)
		}
		return fail(fmt.Errorf("pluginhost: %s: %w", s.spec.ID, err))
	}
	if s.spec.Version != "" && info.Version != s.spec.Version {
		s.log.Warn("plugin reports another version than its manifest", "manifest", s.spec.Version, "plugin", info.Version)
	}
	inst.plugin, inst.info, inst.started = p, info, time.Now()
	return inst, nil
}

// pluginEnv is the plugin's environment: Spec.Env plus the host's PATH if
// Env has none. Nothing else leaks from the host.
func pluginEnv(env []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range out {
		if strings.HasPrefix(kv, "PATH=") {
			return out
		}
	}
	if p, ok := os.LookupEnv("PATH"); ok {
		out = append(out, "PATH="+p)
	}
	return out
}
