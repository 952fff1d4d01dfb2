package service

import (
	"context"
	"fmt"
	"strings"
)

// LaunchdLabel names the agent's launchd daemon (reverse-DNS, as launchd expects).
const LaunchdLabel = "com.breeze-rmm.agent"

// LaunchdPlist renders the daemon's property list: started at boot, kept
// alive (launchd restarts it whenever it exits, at most every 5 s), its
// output appended to LogPath. It names the config file, never the token.
func LaunchdPlist(o UnitOptions, logPath string) string {
	var args strings.Builder
	for _, a := range []string{o.ExecPath, "run", "--config", o.ConfigPath} {
		fmt.Fprintf(&args, "\t\t<string>%s</string>\n", xmlText(a))
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Installed by ` + "`breeze-agent install`" + `; reinstalling overwrites it. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + LaunchdLabel + `</string>
	<key>ProgramArguments</key>
	<array>
` + args.String() + `	</array>
	<key>RunAtLoad</key>
	<true/>
	<!-- Never give up restarting: an agent that stays down is a lost machine. -->
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>5</integer>
	<key>ExitTimeOut</key>
	<integer>30</integer>
	<key>StandardOutPath</key>
	<string>` + xmlText(logPath) + `</string>
	<key>StandardErrorPath</key>
	<string>` + xmlText(logPath) + `</string>
</dict>
</plist>
`
}

// xmlText escapes s for an XML text node.
func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// launchd installs a system daemon (macOS). Its fields are the seams tests
// use instead of touching the real system.
type launchd struct {
	plistPath string
	binPath   string
	logPath   string
	euid      func() int
	run       func(ctx context.Context, name string, args ...string) error
	lookPath  func(string) (string, error)
}

func (l *launchd) Install(ctx context.Context, opts Options) error {
	cfg, err := opts.prepare()
	if err != nil {
		return err
	}
	plist := LaunchdPlist(UnitOptions{ExecPath: l.binPath, ConfigPath: cfg}, l.logPath)
	target := "system/" + LaunchdLabel
	steps := []string{
		fmt.Sprintf("copy %s to %s (mode 0755)", opts.BinaryPath, l.binPath),
		fmt.Sprintf("write %s (mode 0644)", l.plistPath),
		"launchctl bootout " + target + " (if loaded)",
		"launchctl bootstrap system " + l.plistPath,
		"launchctl enable " + target,
		"launchctl kickstart -k " + target,
	}
	if opts.DryRun {
		fmt.Fprintf(opts.Out, "# dry run: nothing is changed. Would:\n")
		for _, st := range steps {
			fmt.Fprintf(opts.Out, "#   %s\n", st)
		}
		fmt.Fprintf(opts.Out, "# %s:\n%s", l.plistPath, plist)
		return nil
	}
	if l.euid() != 0 {
		return fmt.Errorf("installing the service needs root: run `sudo %s install`", Name)
	}
	if _, err := l.lookPath("launchctl"); err != nil {
		return fmt.Errorf("launchd (launchctl) not found: run `%s run --config %s` under your service manager", Name, cfg)
	}
	if err := copyBinary(opts.BinaryPath, l.binPath); err != nil {
		return err
	}
	opts.Logger.Info("binary installed", "path", l.binPath)
	if err := writeFile(l.plistPath, []byte(plist), 0o644); err != nil {
		return err
	}
	opts.Logger.Info("daemon definition written", "path", l.plistPath)
	// A reinstall replaces the loaded definition: bootout fails when none
	// is loaded, which is the first install.
	if err := l.run(ctx, "launchctl", "bootout", target); err != nil {
		opts.Logger.Debug("no daemon loaded before", "error", err)
	}
	for _, args := range [][]string{{"bootstrap", "system", l.plistPath}, {"enable", target}, {"kickstart", "-k", target}} {
		if err := l.run(ctx, "launchctl", args...); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.Out, "%s is installed and running. Its log: %s\n", Name, l.logPath)
	return nil
}
