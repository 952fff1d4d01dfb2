package service

import (
	"strings"
	"testing"
)

func TestSystemdUnit(t *testing.T) {
	u := SystemdUnit(UnitOptions{ExecPath: "/usr/local/bin/breeze-agent", ConfigPath: "/etc/breeze/agent.json"})
	for _, want := range []string{
		"\nExecStart=/usr/local/bin/breeze-agent run --config /etc/breeze/agent.json\n",
		"\nRestart=always\n",
		"\nStartLimitIntervalSec=0\n",
		"\nAfter=network-online.target\n",
		"\nWantedBy=multi-user.target\n",
		"[Unit]", "[Service]", "[Install]",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	// Sandboxing that would stop the agent from administering the machine
	// must not be switched on.
	for _, bad := range []string{"ProtectSystem=", "ProtectHome=", "NoNewPrivileges=", "PrivateTmp=", "PrivateDevices=", "User=", "brz_"} {
		for _, line := range strings.Split(u, "\n") {
			if strings.HasPrefix(line, bad) {
				t.Errorf("unit sets %s", line)
			}
		}
	}
	q := SystemdUnit(UnitOptions{ExecPath: "/opt/my agent/breeze-agent", ConfigPath: `/etc/b"z/agent.json`})
	if !strings.Contains(q, `ExecStart="/opt/my agent/breeze-agent" run --config "/etc/b\"z/agent.json"`) {
		t.Errorf("paths not quoted:\n%s", q)
	}
}
