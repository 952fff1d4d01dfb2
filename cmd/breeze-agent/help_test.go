package main

import (
	"strings"
	"testing"
)

// Help is output: usage on stdout, nothing on stderr, exit 0, for the agent
// and each of its commands (their own flags listed).
func TestHelpOnStdout(t *testing.T) {
	cases := map[string][]string{
		"--help":     {"Usage:", "breeze-agent enroll"},
		"-h":         {"Usage:"},
		"help":       {"Usage:"},
		"enroll -h":  {"usage: breeze-agent enroll", "-server", "-key-file", "-quiet", "-config"},
		"run -h":     {"usage: breeze-agent run", "-config", "-log-level"},
		"install -h": {"usage: breeze-agent install", "-dry-run"},
		"status -h":  {"usage: breeze-agent status", "-config"},
	}
	for args, want := range cases {
		code, out, errs := runCmd(strings.Fields(args)...)
		if code != 0 || errs != "" {
			t.Errorf("%s: exit %d, stderr %q; want 0 and nothing", args, code, errs)
			continue
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", args, w, out)
			}
		}
	}
	// A bad flag is one line on stderr with a hint, not the usage dump.
	code, out, errs := runCmd("run", "--bogus")
	if code != 1 || out != "" || !strings.Contains(errs, "-bogus") || !strings.Contains(errs, `"breeze-agent run -h"`) || strings.Count(errs, "\n") != 1 {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
