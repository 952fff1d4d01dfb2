package service

import (
	"fmt"
	"strings"
)

// UnitOptions fill the systemd unit.
type UnitOptions struct {
	ExecPath   string // installed binary
	ConfigPath string
}

// SystemdUnit renders the unit file. It names the config file, never the
// token: the token stays in the 0600 file.
func SystemdUnit(o UnitOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Installed by `+"`breeze-agent install`"+`; reinstalling overwrites it.
# Put local changes in a drop-in: systemctl edit %[1]s
[Unit]
Description=Breeze RMM agent
Documentation=https://github.com/breeze-rmm/breeze
Wants=network-online.target
After=network-online.target
# Never give up restarting: an agent that stays down is a lost machine.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=%[2]s run --config %[3]s
Restart=always
RestartSec=5s
TimeoutStopSec=30s
# The agent administers this machine for its technicians (scripts, packages,
# services, users), so it runs as root without filesystem, device, kernel or
# privilege sandboxing: ProtectSystem, ProtectHome, PrivateTmp, PrivateDevices,
# NoNewPrivileges and the like would break that work. Only what no
# management task needs is restricted.
LockPersonality=yes
RestrictRealtime=yes

[Install]
WantedBy=multi-user.target
`, Name, systemdQuote(o.ExecPath), systemdQuote(o.ConfigPath))
	return b.String()
}

// systemdQuote quotes a path for ExecStart when it holds spaces or quotes.
func systemdQuote(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
