package main

import (
	"strings"
	"testing"
	"time"
)

// Help is output: usage on stdout, nothing on stderr, exit 0, at every level;
// a sub-command's -h lists its own flags only.
func TestHelpAtEveryLevel(t *testing.T) {
	cases := []struct {
		args     []string
		want     []string // on stdout
		wantNone []string // never on stdout
	}{
		{[]string{"--help"}, []string{"usage: breeze <command>", "plugin"}, nil},
		{[]string{"-h"}, []string{"usage: breeze <command>"}, nil},
		{[]string{"help"}, []string{"usage: breeze <command>"}, nil},
		{[]string{"serve", "-h"}, []string{"usage: breeze serve", "-listen", "-redis-url", "-demo"}, nil},
		{[]string{"migrate", "-h"}, []string{"usage: breeze migrate", "-database-url"}, []string{"-listen"}},
		{[]string{"plugin", "--help"}, []string{"usage: breeze plugin", "install FILE|DIR", "keygen NAME"}, nil},
		{[]string{"plugin", "-h"}, []string{"usage: breeze plugin"}, nil},
		{[]string{"plugin", "install", "-h"}, []string{"usage: breeze plugin install", "-plugin-trusted-keys", "-database-url"},
			[]string{"-listen", "-redis-url", "-tls-cert", "-demo"}},
		{[]string{"plugin", "enable", "--help"}, []string{"usage: breeze plugin enable ID"}, []string{"-listen"}},
		{[]string{"plugin", "pack", "-h"}, []string{"usage: breeze plugin pack", "-key"}, []string{"-database-url"}},
		{[]string{"plugin", "keygen", "-h"}, []string{"usage: breeze plugin keygen NAME"}, nil},
		{[]string{"plugin", "catalog", "--help"}, []string{"usage: breeze plugin catalog", "add NAME URL", "build DIR"}, nil},
		{[]string{"plugin", "catalog", "build", "-h"}, []string{"usage: breeze plugin catalog build", "-base-url", "-publisher"}, []string{"-database-url"}},
		{[]string{"plugin", "catalog", "add", "-h"}, []string{"usage: breeze plugin catalog add", "-plugin-egress-allow", "-plugin-catalog-allow-http"}, []string{"-listen"}},
		{[]string{"plugin", "search", "-h"}, []string{"usage: breeze plugin search"}, []string{"-listen"}},
		{[]string{"plugin", "trust", "-h"}, []string{"usage: breeze plugin trust"}, []string{"-listen"}},
		{[]string{"admin", "--help"}, []string{"usage: breeze admin bootstrap"}, nil},
		{[]string{"admin", "bootstrap", "-h"}, []string{"-email", "-partner", "-database-url"}, []string{"-listen"}},
		{[]string{"audit", "verify", "-h"}, []string{"usage: breeze audit verify"}, []string{"-listen"}},
		{[]string{"ca", "--help"}, []string{"usage: breeze ca status|roots|rotate|retire", "retire [ID]"}, nil},
		{[]string{"ca", "rotate", "-h"}, []string{"usage: breeze ca rotate", "-database-url"}, []string{"-listen"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			stdout, stderr, code := runBreeze(t, 20*time.Second, nil, c.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want exit 0 and nothing on stderr", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range c.wantNone {
				if strings.Contains(stdout, w+" ") {
					t.Errorf("stdout lists %q, a flag this command does not use:\n%s", w, stdout)
				}
			}
		})
	}
}

// A missing or unknown sub-command is a usage error on stderr.
func TestSubcommandUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"plugin"}, {"plugin", "nope"}, {"admin"}} {
		stdout, stderr, code := runBreeze(t, 20*time.Second, nil, args...)
		if code == 0 || stdout != "" || !strings.Contains(stderr, "usage: breeze "+args[0]) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}
