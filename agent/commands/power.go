package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

func init() {
	register(protocol.ActionReboot, withPayload(func(ctx context.Context, e *Executor, p protocol.RebootPayload) (outcome, error) {
		if p.DelaySeconds < 0 {
			return outcome{}, errors.New("delaySeconds must not be negative")
		}
		note, err := e.d.Power.Reboot(ctx, time.Duration(p.DelaySeconds)*time.Second)
		return outcome{note: note}, err
	}))
	register(protocol.ActionUninstallAgent, simple(func(ctx context.Context, e *Executor) (outcome, error) {
		note, err := e.d.Power.Uninstall(ctx)
		return outcome{note: note}, err
	}))
}

// EnvDryRunPower, set to 1, makes the agent record reboot and
// uninstall_agent instead of doing them (tests, demos).
const EnvDryRunPower = "BREEZE_AGENT_DRY_RUN_POWER"

// DryRunFromEnv reports whether EnvDryRunPower asks for a dry run.
func DryRunFromEnv() bool {
	v := os.Getenv(EnvDryRunPower)
	return v == "1" || v == "true"
}

// Power does what ends the agent's or the machine's life.
type Power interface {
	// Reboot schedules a reboot after delay (at least a minute on
	// systems whose shutdown counts minutes, so the result goes out first).
	Reboot(ctx context.Context, delay time.Duration) (string, error)
	// Uninstall stops and removes the agent service and its config.
	Uninstall(ctx context.Context) (string, error)
}

// DryRunPower records power actions as JSON lines in Path (if set) and
// does nothing else.
type DryRunPower struct {
	Path string
	mu   *sync.Mutex
}

// NewDryRunPower records to path.
func NewDryRunPower(path string) DryRunPower { return DryRunPower{Path: path, mu: &sync.Mutex{}} }

// PowerRecord is one line of a dry run's record.
type PowerRecord struct {
	Action       string    `json:"action"`
	DelaySeconds int       `json:"delaySeconds,omitempty"`
	At           time.Time `json:"at"`
}

func (p DryRunPower) Reboot(_ context.Context, delay time.Duration) (string, error) {
	if err := p.record(PowerRecord{Action: "reboot", DelaySeconds: int(delay / time.Second)}); err != nil {
		return "", err
	}
	return fmt.Sprintf("dry run: reboot in %s recorded, not done", delay), nil
}

func (p DryRunPower) Uninstall(context.Context) (string, error) {
	if err := p.record(PowerRecord{Action: "uninstall_agent"}); err != nil {
		return "", err
	}
	return "dry run: uninstall recorded, not done", nil
}

func (p DryRunPower) record(r PowerRecord) error {
	if p.Path == "" {
		return nil
	}
	if p.mu != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	r.At = time.Now().UTC()
	line, _ := json.Marshal(r)
	f, err := os.OpenFile(p.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("dry-run record: %w", err)
	}
	defer f.Close()
	_, err = f.Write(append(line, '\n'))
	return err
}
