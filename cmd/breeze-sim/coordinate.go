package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// worker is one shard, in this process or a child, seen through its
// command input.
type worker struct {
	in   io.WriteCloser
	wait func() error
}

func (w *worker) send(cmd string) { _, _ = io.WriteString(w.in, cmd+"\n") }

const evExit = "exit" // synthetic: a shard's output ended

// coordinate runs the whole simulation: key, shards, phases, report.
func coordinate(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	if cfg.stateDir != "" {
		if err := checkStateDir(cfg.stateDir, cfg.server); err != nil {
			return err
		}
	}
	keyFile, cleanup, err := resolveKey(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()

	procs := cfg.procs
	if procs <= 0 {
		procs = (cfg.agents + cfg.maxPerProc - 1) / cfg.maxPerProc
	}
	procs = min(procs, cfg.agents)
	if per := (cfg.agents + procs - 1) / procs; per > cfg.maxPerProc {
		logf("warning: %d agents per process exceed the %d links one process can hold (open-file limit %d); expect failed dials",
			per, cfg.maxPerProc, fdLimit())
	}
	logf("simulating %d agents against %s in %d process(es); open-file limit %d per process", cfg.agents, cfg.server, procs, fdLimit())

	events := make(chan event, 64)
	workers := make([]*worker, procs)
	for i := range procs {
		w, err := startWorker(ctx, cfg, keyFile, i, procs, events, stderr)
		if err != nil {
			for _, w := range workers[:i] {
				w.in.Close()
				_ = w.wait()
			}
			return err
		}
		workers[i] = w
	}
	c := &coord{cfg: cfg, workers: workers, events: events, logf: logf,
		progress: make([]event, procs), reports: make([]*shardReport, procs), exited: make([]bool, procs)}
	rep, err := c.run(ctx)
	for _, w := range workers {
		w.in.Close()
	}
	for _, w := range workers {
		_ = w.wait()
	}
	if rep != nil {
		rep.print(stderr)
		if cfg.jsonOut {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
		}
	}
	return err
}

// resolveKey finds the enrollment key and returns a 0600 file holding it
// for the shards (never a command-line argument).
func resolveKey(ctx context.Context, cfg *config) (string, func(), error) {
	none := func() {}
	if cfg.keyFile != "" {
		if _, err := readKey(cfg.keyFile); err != nil {
			return "", none, err
		}
		return cfg.keyFile, none, nil
	}
	if cfg.stateDir != "" {
		if _, err := readKey(stateKeyPath(cfg.stateDir)); err == nil {
			return stateKeyPath(cfg.stateDir), none, nil
		}
	}
	if cfg.email == "" {
		return "", none, errors.New("no enrollment key: give --key-file, or --email and --password of an admin")
	}
	key, err := mintKey(ctx, cfg)
	if err != nil {
		return "", none, fmt.Errorf("mint an enrollment key: %w", err)
	}
	if cfg.stateDir != "" {
		p := stateKeyPath(cfg.stateDir)
		if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
			return "", none, err
		}
		return p, none, nil
	}
	f, err := os.CreateTemp("", "breeze-sim-key-*")
	if err != nil {
		return "", none, err
	}
	defer f.Close()
	if _, err := f.WriteString(key + "\n"); err != nil {
		os.Remove(f.Name())
		return "", none, err
	}
	return f.Name(), func() { os.Remove(f.Name()) }, nil
}

// startWorker runs shard i of n: in this process when n is 1, else as a
// child process.
func startWorker(ctx context.Context, cfg *config, keyFile string, i, n int, events chan<- event, stderr io.Writer) (*worker, error) {
	var out io.ReadCloser
	w := &worker{}
	if n == 1 {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		sc := *cfg
		sc.keyFile, sc.shard, sc.shards, sc.child = keyFile, 0, 1, true
		done := make(chan error, 1)
		go func() {
			err := runShard(ctx, &sc, inR, outW, stderr)
			outW.CloseWithError(err)
			inR.Close()
			done <- err
		}()
		w.in, out = inW, outR
		w.wait = func() error { return <-done }
	} else {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(exe, childArgs(cfg, keyFile, i, n)...)
		cmd.Stderr = stderr
		if w.in, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
		if out, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start shard %d: %w", i, err)
		}
		w.wait = cmd.Wait
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 64<<20) // the report carries every link time
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				events <- e
			}
		}
		events <- event{Ev: evExit, Shard: i}
	}()
	return w, nil
}

func childArgs(cfg *config, keyFile string, i, n int) []string {
	a := []string{
		"--child", "--shard", fmt.Sprintf("%d/%d", i, n),
		"--server", cfg.server, "--agents", strconv.Itoa(cfg.agents), "--key-file", keyFile,
		"--rate", strconv.FormatFloat(cfg.rate, 'f', -1, 64),
		"--enroll-concurrency", strconv.Itoa(cfg.enrollConc),
		"--interval", cfg.interval.String(), "--jitter", strconv.FormatFloat(cfg.jitter, 'f', -1, 64),
		"--link-timeout", cfg.linkTimeout.String(), "--src-offset", strconv.Itoa(cfg.srcFirst),
		"--max-per-proc", strconv.Itoa(cfg.maxPerProc),
	}
	if cfg.schedules > 0 {
		a = append(a, "--schedules", strconv.Itoa(cfg.schedules))
	}
	if cfg.linkServers != "" {
		a = append(a, "--link-servers", cfg.linkServers)
	}
	if cfg.stateDir != "" {
		abs, err := filepath.Abs(cfg.stateDir)
		if err != nil {
			abs = cfg.stateDir
		}
		a = append(a, "--state-dir", abs)
	}
	return a
}

// coord is the parent's view of the shards.
type coord struct {
	cfg      *config
	workers  []*worker
	events   <-chan event
	logf     func(string, ...any)
	progress []event
	reports  []*shardReport
	exited   []bool
	armed    []event
	disc     []int64
	relink   []int64
	samples  []int64    // dispatch latencies from the agents (ns)
	devices  [][]string // by shard: linked device ids (evDevices)
	// alertNotes: by device, the agents' notes of the alerts phase
	alertNotes map[string]alertSample
	// schedules phase: by shard, uptime command ids → deliveries (evWork)
	work     []map[string]uint32
	workSeen []bool
}

var errShardExited = errors.New("a simulator shard exited early")

// next returns the next event; shard exits and reports are recorded.
func (c *coord) next(ctx context.Context, timeout time.Duration) (event, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return event{}, ctx.Err()
		case <-t.C:
			return event{}, errTimeout
		case e := <-c.events:
			c.apply(e)
			if e.Ev == evExit && c.reports[e.Shard] == nil {
				return e, errShardExited
			}
			return e, nil
		}
	}
}

var errTimeout = errors.New("timeout")

// waitAll waits until every shard sent ev (or pass says it is done).
func (c *coord) waitAll(ctx context.Context, ev string, limit time.Duration, tick func()) ([]event, error) {
	got := make([]event, len(c.workers))
	seen := 0
	deadline := time.Now().Add(limit)
	lastTick := time.Now()
	for seen < len(c.workers) {
		if time.Now().After(deadline) {
			return got, fmt.Errorf("waiting for %q: %w", ev, errTimeout)
		}
		e, err := c.next(ctx, time.Second)
		if err != nil && !errors.Is(err, errTimeout) {
			return got, err
		}
		if err == nil && e.Ev == ev && got[e.Shard].Ev == "" {
			got[e.Shard] = e
			seen++
		}
		if tick != nil && time.Since(lastTick) >= 5*time.Second {
			lastTick = time.Now()
			tick()
		}
	}
	return got, nil
}

func (c *coord) broadcast(cmd string) {
	for _, w := range c.workers {
		w.send(cmd)
	}
}

func (c *coord) linkedNow() (linked, first, gaveUp int64, beats uint64) {
	for _, p := range c.progress {
		linked += p.Linked
		first += p.FirstLinked
		gaveUp += p.GaveUp
		beats += p.Heartbeats
	}
	return
}

// run drives the phases and returns the merged report (also after an
// error or an interrupt, when the shards could still report).
func (c *coord) run(ctx context.Context) (*report, error) {
	cfg := c.cfg
	n := len(c.workers)
	c.disc, c.relink, c.armed, c.devices = make([]int64, n), make([]int64, n), make([]event, n), make([][]string, n)
	c.work, c.workSeen = make([]map[string]uint32, n), make([]bool, n)
	rep := &report{Server: cfg.server, Agents: cfg.agents, Procs: n, FDLimit: fdLimit()}

	t0 := time.Now()
	enrolled, err := c.waitAll(ctx, evEnrolled, 24*time.Hour, nil)
	if err != nil {
		return c.finish(ctx, rep, err)
	}
	for _, e := range enrolled {
		rep.Enrolled += e.Enrolled
	}
	rep.EnrollSeconds = time.Since(t0).Seconds()
	c.logf("enrolled %d of %d agents (%.1fs)", rep.Enrolled, cfg.agents, rep.EnrollSeconds)
	if rep.Enrolled == 0 {
		return c.finish(ctx, rep, errors.New("no agent could enroll"))
	}

	before := sampleServer(ctx, cfg)
	rep.ServerBefore = before
	c.logf("server before linking: %s", before)

	t1 := time.Now()
	c.broadcast(cmdLink)
	progress := func() {
		l, f, g, b := c.linkedNow()
		c.logf("linked %d (first links %d, given up %d), heartbeats %d, %.0fs", l, f, g, b, time.Since(t1).Seconds())
	}
	_, err = c.waitAll(ctx, evRamped, 24*time.Hour, progress)
	rep.RampSeconds = time.Since(t1).Seconds()
	if err != nil {
		return c.finish(ctx, rep, err)
	}
	progress()
	if !sleep(ctx, cfg.settle) {
		return c.finish(ctx, rep, ctx.Err())
	}
	c.drain()
	rep.LinkedAfterRamp, _, _, _ = c.linkedNow()
	after := sampleServer(ctx, cfg)
	rep.ServerAfter = after
	c.logf("server with %d agents linked: %s", rep.LinkedAfterRamp, after)
	rep.perAgent()

	if cfg.restartTest {
		if err := c.restart(ctx, rep); err != nil {
			return c.finish(ctx, rep, err)
		}
	}

	var phaseErr error
	if cfg.remotePhases() {
		if phaseErr = c.remote(ctx, rep); errors.Is(phaseErr, errShardExited) || ctx.Err() != nil {
			return c.finish(ctx, rep, phaseErr)
		}
	}

	if cfg.alerts {
		if err := c.alertsPhase(ctx, rep); err != nil {
			if errors.Is(err, errShardExited) || ctx.Err() != nil {
				return c.finish(ctx, rep, err)
			}
			phaseErr = errors.Join(phaseErr, err)
		}
	}

	if cfg.rollout {
		if err := c.rolloutPhase(ctx, rep); err != nil {
			if errors.Is(err, errShardExited) || ctx.Err() != nil {
				return c.finish(ctx, rep, err)
			}
			phaseErr = errors.Join(phaseErr, err)
		}
	}

	if cfg.schedules > 0 {
		if err := c.schedulesPhase(ctx, rep); err != nil {
			if errors.Is(err, errShardExited) || ctx.Err() != nil {
				return c.finish(ctx, rep, err)
			}
			phaseErr = errors.Join(phaseErr, err)
		}
	}

	c.logf("holding the links for %s", cfg.duration)
	end := time.Now().Add(cfg.duration)
	for time.Now().Before(end) && ctx.Err() == nil {
		if _, err := c.next(ctx, min(time.Until(end), 10*time.Second)); err != nil && !errors.Is(err, errTimeout) {
			return c.finish(ctx, rep, err)
		}
	}
	if ctx.Err() == nil {
		c.drain()
		rep.LinkedAtEnd, _, _, _ = c.linkedNow()
		rep.ServerEnd = sampleServer(ctx, cfg)
	}
	return c.finish(ctx, rep, phaseErr)
}

// restart arms the shards, says READY, and times the fleet's return.
func (c *coord) restart(ctx context.Context, rep *report) error {
	cfg := c.cfg
	c.broadcast(cmdArm)
	armed, err := c.waitAll(ctx, evArmed, time.Minute, nil)
	if err != nil {
		return err
	}
	rr := &restartReport{}
	for _, e := range armed {
		rr.Expected += e.Expected
	}
	rep.Restart = rr
	c.logf("READY: %d agents linked; restart the server now (waiting up to %s)", rr.Expected, cfg.restartWait)
	if cfg.readyFile != "" {
		if err := os.WriteFile(cfg.readyFile, []byte(strconv.Itoa(rr.Expected)+"\n"), 0o644); err != nil {
			return err
		}
	}
	// The first disconnect of any shard starts the clock.
	deadline := time.Now().Add(cfg.restartWait)
	for c.firstDisconnect() == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("no disconnect within %s: was the server restarted?", cfg.restartWait)
		}
		if _, err := c.next(ctx, time.Second); err != nil && !errors.Is(err, errTimeout) {
			return err
		}
	}
	c.logf("server went away; waiting for %d agents to relink", rr.Expected)
	deadline = time.Now().Add(cfg.restartWait)
	last := time.Now()
	for !c.returned() {
		if time.Now().After(deadline) {
			c.logf("not every agent relinked within %s", cfg.restartWait)
			break
		}
		if _, err := c.next(ctx, time.Second); err != nil && !errors.Is(err, errTimeout) {
			return err
		}
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			l, _, _, _ := c.linkedNow()
			c.logf("relinked %d of %d, %.0fs since the first disconnect", l, rr.Expected,
				time.Since(time.Unix(0, c.firstDisconnect())).Seconds())
		}
	}
	if cfg.restartPart {
		// Only the agents that lost their link had to come back.
		lost, back := c.lostNow()
		rr.Expected = int(lost)
		c.logf("%d of the %d agents that lost their link are back", back, lost)
	} else if c.allRelinked() {
		c.logf("all %d agents relinked %.1fs after the first disconnect", rr.Expected,
			float64(c.lastRelink()-c.firstDisconnect())/1e9)
	}
	if !sleep(ctx, cfg.settle) {
		return ctx.Err()
	}
	c.drain()
	rep.ServerAfterRestart = sampleServer(ctx, cfg)
	return nil
}

// drain takes the events already waiting (progress, mostly).
func (c *coord) drain() {
	for {
		select {
		case e := <-c.events:
			c.apply(e)
		default:
			return
		}
	}
}

func (c *coord) apply(e event) {
	switch e.Ev {
	case evExit:
		c.exited[e.Shard] = true
	case evReport:
		c.reports[e.Shard] = e.Report
	case evProgress:
		c.progress[e.Shard] = e
	case evDisconnect:
		c.disc[e.Shard] = e.At
	case evRelinked:
		c.relink[e.Shard] = e.At
	case evArmed:
		c.armed[e.Shard] = e
	case evSamples:
		c.samples = append(c.samples, e.DispatchNs...)
	case evDevices:
		c.devices[e.Shard] = e.DeviceIDs
	case evWork:
		c.work[e.Shard] = e.Work
		c.workSeen[e.Shard] = true
	case evAlertSamples:
		if c.alertNotes == nil {
			c.alertNotes = map[string]alertSample{}
		}
		for _, s := range e.Alert {
			mergeNote(c.alertNotes, s)
		}
	}
}

func (c *coord) firstDisconnect() int64 {
	var first int64
	for _, d := range c.disc {
		if d > 0 && (first == 0 || d < first) {
			first = d
		}
	}
	return first
}

// returned reports whether the restart test's fleet is back: every armed
// agent, or with --restart-partial every one that lost its link (judged
// from the shards' progress, once the disconnects have had 3 s to arrive).
func (c *coord) returned() bool {
	if !c.cfg.restartPart {
		return c.allRelinked()
	}
	if time.Since(time.Unix(0, c.firstDisconnect())) < 3*time.Second {
		return false
	}
	lost, back := c.lostNow()
	return lost > 0 && back >= lost
}

// lostNow sums the shards' last progress: armed agents that lost their
// link, and of those the ones linked again.
func (c *coord) lostNow() (lost, back int64) {
	for _, p := range c.progress {
		lost += p.Lost
		back += p.Relinked
	}
	return lost, back
}

func (c *coord) allRelinked() bool {
	for i, a := range c.armed {
		if a.Expected > 0 && c.relink[i] == 0 {
			return false
		}
	}
	return true
}

func (c *coord) lastRelink() int64 {
	var last int64
	for _, r := range c.relink {
		last = max(last, r)
	}
	return last
}

// finish stops the shards, collects their reports and merges them.
func (c *coord) finish(ctx context.Context, rep *report, runErr error) (*report, error) {
	c.broadcast(cmdStop)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		missing := false
		for i := range c.workers {
			if c.reports[i] == nil && !c.exited[i] {
				missing = true
			}
		}
		if !missing || time.Now().After(deadline) {
			break
		}
		select {
		case e := <-c.events:
			c.apply(e)
		case <-time.After(time.Second):
		}
	}
	rep.merge(c.reports, c.firstDisconnect())
	if errors.Is(runErr, context.Canceled) {
		runErr = errors.New("interrupted")
	}
	return rep, runErr
}
