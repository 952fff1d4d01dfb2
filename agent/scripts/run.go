package scripts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Spec is one script run.
type Spec struct {
	Language  string
	Body      string
	Args      []string
	Env       map[string]string
	RunAs     string        // "" = the agent's user
	Timeout   time.Duration // <= 0: DefaultTimeout
	OutputCap int           // bytes kept of stdout and of stderr each; <= 0: 1 MiB
}

// Result is how a run ended.
type Result struct {
	ExitCode  *int // nil when killed by a signal
	Stdout    string
	Stderr    string
	Truncated bool
	TimedOut  bool // killed at Timeout
	Cancelled bool // killed because ctx ended
}

// DefaultTimeout bounds a run whose Spec sets none.
const DefaultTimeout = time.Hour

// waitDelay bounds Wait after the child exits (or is killed) while
// something it started still holds its output pipes.
const waitDelay = 2 * time.Second

// ErrUnknownRuntime: no available runtime has the spec's language.
var ErrUnknownRuntime = errors.New("no such script runtime on this agent")

// Runner runs scripts with the runtimes of a Registry.
type Runner struct {
	Runtimes *Registry
	TempDir  string // parent of the private per-run directories; "" = os.TempDir()
}

// Run runs spec. An error means the script could not be started (bad
// spec, unknown runtime, RunAs refused); otherwise Result says how it ended.
func (r *Runner) Run(ctx context.Context, spec Spec) (Result, error) {
	rt, ok := r.Runtimes.Get(spec.Language)
	if !ok {
		return Result{}, fmt.Errorf("%w: %q (available: %s)", ErrUnknownRuntime, spec.Language, strings.Join(r.Runtimes.Available(), ", "))
	}
	if err := validateSpec(spec); err != nil {
		return Result{}, err
	}
	if d, ok := rt.(Direct); ok {
		return r.runDirect(ctx, d, spec)
	}
	acct, err := resolveRunAs(spec.RunAs)
	if err != nil {
		return Result{}, err
	}
	parent := r.TempDir
	if acct.switches() {
		parent = "" // the system's: another user must reach it
	}
	dir, err := os.MkdirTemp(parent, "breeze-script-*") // 0700, then chowned
	if err != nil {
		return Result{}, fmt.Errorf("create script directory: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "script"+rt.FileExt())
	if err := os.WriteFile(path, []byte(spec.Body), 0o700); err != nil {
		return Result{}, fmt.Errorf("write script: %w", err)
	}
	if err := acct.own(dir, path); err != nil {
		return Result{}, err
	}

	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, err := rt.Command(runCtx, path, spec.Args)
	if err != nil {
		return Result{}, fmt.Errorf("runtime %s: %w", rt.Name(), err)
	}
	limit := spec.OutputCap
	if limit <= 0 {
		limit = 1 << 20
	}
	stdout, stderr := newCapped(limit), newCapped(limit)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = stdout, stderr, nil
	cmd.Dir = dir
	cmd.Env = buildEnv(acct, dir, spec.Env)
	cmd.WaitDelay = waitDelay
	setProcess(cmd, acct) // own process group, credentials; Cancel kills the group

	err = cmd.Run()
	res := Result{}
	res.Stdout, res.Truncated = stdout.result()
	var errTrunc bool
	res.Stderr, errTrunc = stderr.result()
	res.Truncated = res.Truncated || errTrunc
	if cmd.ProcessState == nil { // never started
		return Result{}, fmt.Errorf("start %s: %w", rt.Name(), err)
	}
	if code := cmd.ProcessState.ExitCode(); code >= 0 {
		res.ExitCode = &code
	}
	switch {
	case ctx.Err() != nil:
		res.Cancelled = true
		killGroup(cmd) // whatever the group still holds
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.TimedOut = true
		killGroup(cmd)
	}
	return res, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validateSpec(s Spec) error {
	for k, v := range s.Env {
		if !envName.MatchString(k) {
			return fmt.Errorf("environment parameter name %q: want letters, digits and _", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("environment parameter %s contains a NUL byte", k)
		}
	}
	for i, a := range s.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("argument %d contains a NUL byte", i+1)
		}
	}
	return nil
}

// buildEnv is a minimal environment plus the parameters (which win).
func buildEnv(a account, dir string, params map[string]string) []string {
	base := map[string]string{
		"PATH":    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG":    "C.UTF-8",
		"TMPDIR":  dir,
		"HOME":    a.home,
		"USER":    a.name,
		"LOGNAME": a.name,
	}
	addPlatformEnv(base)
	for k, v := range params {
		base[k] = v
	}
	env := make([]string, 0, len(base))
	for k, v := range base {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	return env
}
