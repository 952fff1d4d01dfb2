package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is every flag; children get the same flags plus --child --shard.
type config struct {
	server        string
	linkServers   string // comma list: the nodes agents link to (default: --server)
	agents        int
	keyFile       string
	email         string
	password      string
	siteID        string
	stateDir      string
	rate          float64
	enrollConc    int
	duration      time.Duration
	interval      time.Duration
	jitter        float64
	linkTimeout   time.Duration
	settle        time.Duration
	serverPID     int
	serverPIDFile string
	restartTest   bool
	restartPart   bool // --restart-partial: only some servers go away
	restartWait   time.Duration
	readyFile     string
	procs         int
	maxPerProc    int
	jsonOut       bool
	srcFirst      int // first source address index (see addr.go)

	// remote-work phases (after ramp-up and any restart test)
	dispatch      int           // commands to send (0: no dispatch phase)
	dispatchConc  int           // commands in flight
	echo          int           // terminal keystrokes (0: no echo phase)
	scriptRun     bool          // run a script on the whole org
	remoteTimeout time.Duration // bound of each phase

	// alerts phase (phase_alerts.go)
	alerts        bool
	alertsPlugin  string        // packed breeze.webhook archive to install when missing
	alertsHot     int           // agents that go hot at once
	alertsFor     time.Duration // the CPU rule's duration
	alertsDrop    int           // agents dropped at once
	alertsOffline time.Duration // the offline rule's wait (whole minutes)
	alertsListen  string        // the receiver's address
	alertsTimeout time.Duration // bound of each wait
	alertsQuiet   time.Duration // an alert count unchanged this long has settled
	alertsSettle  time.Duration // wait before the latency test
	alertsGroup   string        // the storm route's grouping "AFTER/SECONDS" ("": the server's default)
	serverLog     string        // the server's log, scanned for errors during the phase

	// rollout phase (phase_rollout.go)
	rollout        bool          // run it
	rolloutKey     string        // the release private key (breeze release keygen)
	rolloutStages  string        // comma list of stage percentages
	rolloutPause   time.Duration // pause between stages
	rolloutTimeout time.Duration // bound of the phase

	// schedules phase (phase_schedules.go)
	schedules         int           // schedules to create (0: no schedules phase)
	schedulesPerDev   int           // schedules per targeted device
	schedulesSpread   int           // spreadSeconds sent (-1: the field is left out)
	schedulesCron     string        // every schedule's cron expression
	schedulesWindow   time.Duration // the measured window (whole minutes)
	schedulesBaseline time.Duration // the idle fleet's CPU is sampled this long first
	schedulesWarmup   time.Duration // whole minutes between the schedules' creation and the window
	schedulesSettle   time.Duration // wait after the window before reading the fires
	schedulesConc     int           // API calls in flight (create, read)
	cpuPIDFiles       string        // comma list of node pid files (CPU per node)
	pprofURLs         string        // comma list of node pprof bases (a CPU profile each)
	pprofDir          string        // where the profiles go
	pprofSeconds      int           // profile length

	// set for a child process
	child  bool
	shard  int
	shards int
}

const usage = `breeze-sim: simulate N Breeze agents against a running server

  breeze-sim --server http://127.0.0.1:18090 --agents 5000 --email admin@example.com --password ... \
             --state-dir /tmp/simstate --rate 500 --duration 60s --server-pid $(pidof breeze)

Enrollment uses one key with unlimited uses: --key-file FILE, or one minted
through the API with an admin's --email/--password (the password may also
come from $BREEZE_SIM_PASSWORD). --state-dir keeps the enrolled agents'
tokens, so a second run links at once without enrolling again.

Remote-work phases (--dispatch N, --echo N, --script-run) run once every
agent is linked (and back after a --restart-test), before the hold. They
sign in with --email/--password: dispatch sends N run_script commands to
random linked devices and times API call → agent (the agent compares the
send time carried in the command with its own clock); echo opens a
terminal as a browser would and times N keystrokes through server and
agent; script-run runs a script on the sim org and times the call until
every device succeeded.

--alerts (after those, with --email/--password): installs and enables the
breeze.webhook plugin for the sim org (--alerts-plugin, a packed archive,
when it is not installed), pointed at a receiver this process runs on
127.0.0.1, with a notification route to it. Latency: every agent reports a
calm CPU, a rule "cpu > 90 for --alerts-for" is made, --alerts-hot agents go
hot at once; each notes when it sent the heartbeat completing the duration,
the receiver when each device's notification arrived: p50/p90/p99/max of
the difference, and the same for the resolution once they are calm again.
Storm: a rule "offline for --alerts-offline", --alerts-drop agents drop at
once and stay away: alerts opened (API), notifications and the alerts they
reference, time until the count settles; then they rejoin and the
resolutions are counted. --server-log FILE is scanned for errors.

--restart-test: once every agent is linked, the simulator says READY (and
touches --ready-file); restart the server then. It reports the time from the
first disconnect until every agent is linked again.

Flags:
`

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("breeze-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&c.server, "server", "http://127.0.0.1:18090", "server URL")
	fs.StringVar(&c.linkServers, "link-servers", "", "comma-separated server URLs the agents link to, agent i first to URL i mod n and on to the next after a failed dial like the real agent (default: --server; the API, enrollment and phases always use --server)")
	fs.IntVar(&c.agents, "agents", 1000, "number of simulated agents")
	fs.StringVar(&c.keyFile, "key-file", "", "file holding an enrollment key (unlimited uses)")
	fs.StringVar(&c.email, "email", "", "admin email: mint an enrollment key through the API")
	fs.StringVar(&c.password, "password", "", "admin password (or $BREEZE_SIM_PASSWORD)")
	fs.StringVar(&c.siteID, "site-id", "", "site to enroll into (default: a \"breeze-sim\" org and site, created if missing)")
	fs.StringVar(&c.stateDir, "state-dir", "", "directory keeping enrolled agents' tokens between runs (empty: enroll anew)")
	fs.Float64Var(&c.rate, "rate", 500, "new links per second during ramp-up, all processes together (0: no limit)")
	fs.IntVar(&c.enrollConc, "enroll-concurrency", 8, "parallel enrollments per process")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to stay linked after ramp-up (and after the restart)")
	fs.DurationVar(&c.interval, "interval", 0, "heartbeat interval (0: what the server says in welcome)")
	fs.Float64Var(&c.jitter, "jitter", 0.1, "heartbeat jitter, a fraction of the interval")
	fs.DurationVar(&c.linkTimeout, "link-timeout", 3*time.Minute, "an agent not linked this long after its start counts as failed for the ramp-up")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "wait after ramp-up before measuring the server's memory")
	fs.IntVar(&c.serverPID, "server-pid", 0, "server pid: report its RSS (/proc/PID/status VmRSS) before and after linking")
	fs.StringVar(&c.serverPIDFile, "server-pid-file", "", "file holding the server pid (read each time: survives a restart)")
	fs.BoolVar(&c.restartTest, "restart-test", false, "measure the fleet's return after a server restart (see above)")
	fs.BoolVar(&c.restartPart, "restart-partial", false, "--restart-test where only some of --link-servers go away (a node killed): the agents that lost their link must come back, the others stay")
	fs.DurationVar(&c.restartWait, "restart-timeout", 10*time.Minute, "--restart-test: how long to wait for the disconnect, then for the relinks")
	fs.StringVar(&c.readyFile, "ready-file", "", "--restart-test: file created once every agent is linked")
	fs.IntVar(&c.procs, "procs", 0, "simulator processes (0: as many as the open-file limit needs)")
	fs.IntVar(&c.maxPerProc, "max-per-proc", 0, "links per process (0: the open-file limit less 150)")
	fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON on stdout")
	fs.IntVar(&c.srcFirst, "src-offset", 0, "shift the loopback source addresses (a rerun without --state-dir then enrolls from fresh addresses)")
	fs.IntVar(&c.dispatch, "dispatch", 0, "remote phase: send this many commands (e.g. 2000) and time API call → agent")
	fs.IntVar(&c.dispatchConc, "dispatch-concurrency", 8, "--dispatch: commands in flight")
	fs.IntVar(&c.echo, "echo", 0, "remote phase: time this many terminal keystrokes (e.g. 1000) browser → server → agent → browser")
	fs.BoolVar(&c.scriptRun, "script-run", false, "remote phase: run a script on every device of the org and time it until the last result")
	fs.DurationVar(&c.remoteTimeout, "remote-timeout", 2*time.Minute, "bound of each remote phase")
	fs.BoolVar(&c.alerts, "alerts", false, "alerts phase: notification latency and an offline storm (see above)")
	fs.StringVar(&c.alertsPlugin, "alerts-plugin", "", "--alerts: packed breeze.webhook archive, installed when the server has none")
	fs.IntVar(&c.alertsHot, "alerts-hot", 200, "--alerts: agents that go hot at once (0: no latency test)")
	fs.DurationVar(&c.alertsFor, "alerts-for", 10*time.Second, "--alerts: the CPU rule's duration (whole seconds)")
	fs.IntVar(&c.alertsDrop, "alerts-drop", 1000, "--alerts: agents dropped at once, never hot ones (capped to --agents less --alerts-hot; 0: no storm)")
	fs.DurationVar(&c.alertsOffline, "alerts-offline", time.Minute, "--alerts: the offline rule's wait (whole minutes)")
	fs.StringVar(&c.alertsListen, "alerts-listen", "127.0.0.1:0", "--alerts: the webhook receiver's address")
	fs.DurationVar(&c.alertsTimeout, "alerts-timeout", 3*time.Minute, "--alerts: bound of each wait")
	fs.DurationVar(&c.alertsQuiet, "alerts-quiet", 35*time.Second, "--alerts: an alert count unchanged this long has settled (the server sweeps offline devices every 30s)")
	fs.DurationVar(&c.alertsSettle, "alerts-settle", 60*time.Second, "--alerts: wait this long (fleet calm, rule in place) before the hot agents: "+
		"the server's alert evaluator digests the ramp-up's device events first (an overflowed feed makes it forget every device at its next 30s check and judge each again from its second sample)")
	fs.StringVar(&c.alertsGroup, "alerts-group", "", "--alerts: the storm route's grouping as AFTER/SECONDS (first AFTER alone, then a digest per SECONDS window; 0/0: none); empty: the server's default")
	fs.StringVar(&c.serverLog, "server-log", "", "--alerts: the server's log file, scanned for errors and warnings written during the phase")
	fs.BoolVar(&c.rollout, "rollout", false, "rollout phase: upload a signed dummy agent build and roll it out to the org of the linked agents in stages, timed (agents answer the update frames and relink on the new version without swapping binaries)")
	fs.StringVar(&c.rolloutKey, "rollout-key", "", "--rollout: the release private key (breeze release keygen NAME → NAME.key) the server trusts")
	fs.StringVar(&c.rolloutStages, "rollout-stages", "1,10,100", "--rollout: the stages (cumulative percentages)")
	fs.DurationVar(&c.rolloutPause, "rollout-pause", 5*time.Second, "--rollout: the pause between stages")
	fs.DurationVar(&c.rolloutTimeout, "rollout-timeout", 10*time.Minute, "--rollout: bound of the phase")
	fs.IntVar(&c.schedules, "schedules", 0, "schedules phase: create this many action schedules (uptime, offline skip) on the linked devices and measure their fires (see above)")
	fs.IntVar(&c.schedulesPerDev, "schedules-per-device", 10, "--schedules: schedules targeting each device (devices used: schedules / this)")
	fs.IntVar(&c.schedulesSpread, "schedules-spread", 60, "--schedules: spreadSeconds of each schedule (-1: leave the field out; refused by a server without it: then left out)")
	fs.StringVar(&c.schedulesCron, "schedules-cron", "* * * * *", "--schedules: the cron expression (the fire accounting assumes every minute)")
	fs.DurationVar(&c.schedulesWindow, "schedules-window", 4*time.Minute, "--schedules: the measured window, whole minutes")
	fs.DurationVar(&c.schedulesBaseline, "schedules-baseline", time.Minute, "--schedules: the idle fleet's server CPU is sampled this long before the schedules exist (0: none)")
	fs.DurationVar(&c.schedulesWarmup, "schedules-warmup", 0, "--schedules: whole minutes between the last schedule's creation and the window (the backlog of a slow creation drains first)")
	fs.DurationVar(&c.schedulesSettle, "schedules-settle", 30*time.Second, "--schedules: wait after the window before reading the fires")
	fs.IntVar(&c.schedulesConc, "schedules-concurrency", 8, "--schedules: API calls in flight")
	fs.StringVar(&c.cpuPIDFiles, "cpu-pid-files", "", "--schedules: comma list of the nodes' pid files, for CPU per node (default: --server-pid-file)")
	fs.StringVar(&c.pprofURLs, "pprof", "", "--schedules: comma list of the nodes' pprof bases (http://host:port); a CPU profile of each is taken in the window")
	fs.StringVar(&c.pprofDir, "pprof-dir", ".", "--schedules: directory for the profiles (node<i>.pprof)")
	fs.IntVar(&c.pprofSeconds, "pprof-seconds", 60, "--schedules: length of each CPU profile")
	fs.BoolVar(&c.child, "child", false, "internal: run as a shard of a parent breeze-sim")
	shard := fs.String("shard", "", "internal: i/n, this process's shard")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if c.password == "" {
		c.password = envPassword()
	}
	if err := c.validate(*shard); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *config) validate(shard string) error {
	u, err := url.Parse(c.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server %q is not an http(s) URL", c.server)
	}
	c.server = strings.TrimRight(c.server, "/")
	for _, ls := range strings.Split(c.linkServers, ",") {
		if ls = strings.TrimSpace(ls); ls == "" {
			continue
		}
		if u, err := url.Parse(ls); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--link-servers: %q is not an http(s) URL", ls)
		}
	}
	if c.agents < 1 || c.agents > maxAgents {
		return fmt.Errorf("--agents must be 1 to %d", maxAgents)
	}
	if c.srcFirst < 0 || c.srcFirst >= srcAddrs {
		return fmt.Errorf("--src-offset must be 0 to %d", srcAddrs-1)
	}
	if c.keyFile == "" && c.email == "" && !c.child && c.stateDir == "" {
		return errors.New("give --key-file, or --email and --password of an admin (or a --state-dir holding a key)")
	}
	if c.email != "" && c.password == "" {
		return errors.New("--email needs --password or $BREEZE_SIM_PASSWORD")
	}
	if c.rate < 0 || c.jitter < 0 || c.jitter > 0.9 || c.enrollConc < 1 {
		return errors.New("--rate ≥ 0, 0 ≤ --jitter ≤ 0.9 and --enroll-concurrency ≥ 1")
	}
	if c.dispatch < 0 || c.echo < 0 || c.dispatchConc < 1 || c.remoteTimeout <= 0 {
		return errors.New("--dispatch and --echo ≥ 0, --dispatch-concurrency ≥ 1, --remote-timeout > 0")
	}
	if c.remotePhases() && !c.child && c.email == "" {
		return errors.New("--dispatch, --echo and --script-run sign in: give --email and --password of an admin")
	}
	if err := c.validateAlerts(); err != nil {
		return err
	}
	if err := c.validateSchedules(); err != nil {
		return err
	}
	if c.interval != 0 && c.interval < time.Second {
		return errors.New("--interval below 1s would trip the server's limit of 120 frames per minute")
	}
	if c.maxPerProc == 0 {
		c.maxPerProc = fdLimit() - 150
	}
	if c.maxPerProc < 1 {
		return errors.New("--max-per-proc must be positive")
	}
	if shard != "" {
		i, n, ok := strings.Cut(shard, "/")
		var err1, err2 error
		c.shard, err1 = strconv.Atoi(i)
		c.shards, err2 = strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || c.shards < 1 || c.shard < 0 || c.shard >= c.shards {
			return fmt.Errorf("--shard %q is not i/n with 0 ≤ i < n", shard)
		}
	} else {
		c.shard, c.shards = 0, 1
	}
	return nil
}

// fdLimit is this process's open-file limit (Go has already raised the
// soft limit to the hard one).
func fdLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1024
	}
	return int(rl.Cur)
}

func (c *config) validateAlerts() error {
	if !c.alerts || c.child {
		return nil
	}
	switch {
	case c.email == "":
		return errors.New("--alerts signs in: give --email and --password of an admin")
	case c.alertsHot < 0 || c.alertsDrop < 0:
		return errors.New("--alerts-hot and --alerts-drop ≥ 0")
	case c.alertsHot > c.agents:
		return fmt.Errorf("--alerts-hot %d exceeds --agents %d", c.alertsHot, c.agents)
	case c.alertsFor < time.Second || c.alertsFor%time.Second != 0:
		return errors.New("--alerts-for is whole seconds, at least 1s")
	case c.alertsOffline < time.Minute || c.alertsOffline%time.Minute != 0:
		return errors.New("--alerts-offline is whole minutes, at least 1m")
	case c.alertsTimeout <= 0 || c.alertsQuiet <= 0 || c.alertsSettle < 0:
		return errors.New("--alerts-timeout and --alerts-quiet > 0, --alerts-settle ≥ 0")
	}
	if _, _, err := parseGroup(c.alertsGroup); err != nil {
		return err
	}
	// The dropped agents are never hot ones: at most the rest.
	c.alertsDrop = min(c.alertsDrop, c.agents-c.alertsHot)
	return nil
}

// parseGroup reads --alerts-group "AFTER/SECONDS" (ok false when empty).
func parseGroup(s string) (grouping [2]int, ok bool, err error) {
	if s == "" {
		return grouping, false, nil
	}
	a, b, cut := strings.Cut(s, "/")
	after, err1 := strconv.Atoi(a)
	every, err2 := strconv.Atoi(b)
	if !cut || err1 != nil || err2 != nil || after < 0 || every < 0 {
		return grouping, false, fmt.Errorf("--alerts-group %q is not AFTER/SECONDS (e.g. 5/60, or 0/0 for none)", s)
	}
	return [2]int{after, every}, true, nil
}

// remotePhases says whether any remote-work phase is on.
func (c *config) remotePhases() bool { return c.dispatch > 0 || c.echo > 0 || c.scriptRun }

// linkBases are the WebSocket bases agents link to: --link-servers, else
// --server.
func linkBases(c *config) []string {
	var out []string
	for _, ls := range strings.Split(c.linkServers, ",") {
		if ls = strings.TrimRight(strings.TrimSpace(ls), "/"); ls != "" {
			out = append(out, wsURL(ls))
		}
	}
	if len(out) == 0 {
		out = []string{wsURL(c.server)}
	}
	return out
}
