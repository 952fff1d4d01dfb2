//go:build linux

package netlab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// SNMPConfig is what a host's snmpd serves. Strings may be hostile, but not
// hold newlines (snmpd.conf is line based).
type SNMPConfig struct {
	Community string // v2c read-only community; empty: no v2c access
	// A v3 user with SHA authentication and AES privacy; empty: no v3 user.
	User, AuthPass, PrivPass string
	// AuthProto and PrivProto override SHA and AES, in net-snmp's names
	// ("SHA-256", "SHA-512", "MD5"; "AES-256", "DES").
	AuthProto, PrivProto string

	SysName, SysDescr, SysLocation, SysContact string
}

// StartSNMP runs Debian's snmpd in the host's namespace on UDP port 161 with a
// config generated from c, and waits until it answers.
func (h *Host) StartSNMP(c SNMPConfig) error {
	for _, s := range []string{c.Community, c.User, c.AuthPass, c.PrivPass, c.SysName, c.SysDescr, c.SysLocation, c.SysContact} {
		if strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("snmp config value %q holds a newline", s)
		}
	}
	dir := filepath.Join(h.dir, "snmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "agentAddress udp:%s:161\n", h.IP)
	if c.Community != "" {
		fmt.Fprintf(&b, "rocommunity %s default\n", c.Community)
	}
	if c.User != "" {
		auth, priv := c.AuthProto, c.PrivProto
		if auth == "" {
			auth = "SHA"
		}
		if priv == "" {
			priv = "AES"
		}
		fmt.Fprintf(&b, "createUser %s %s %q %s %q\n", c.User, auth, c.AuthPass, priv, c.PrivPass)
		fmt.Fprintf(&b, "rouser %s priv\n", c.User)
	}
	for k, v := range map[string]string{"sysName": c.SysName, "sysDescr": c.SysDescr, "sysLocation": c.SysLocation, "sysContact": c.SysContact} {
		if v != "" {
			fmt.Fprintf(&b, "%s %s\n", k, v)
		}
	}
	conf := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if _, err := exec.LookPath("snmpd"); err != nil {
		return fmt.Errorf("snmpd is not installed: apt-get install snmpd (scripts/test-services.sh installs it)")
	}
	// -C: only our config; -f: stay in the foreground; persistent state
	// (the engine id, the v3 user's keys) in our directory.
	err := h.Start("snmpd", "env", "SNMP_PERSISTENT_DIR="+dir, "MIBS=", "snmpd", "-f", "-C", "-c", conf,
		"-Lo", "-p", filepath.Join(dir, "snmpd.pid"), "-I", "-smux")
	if err != nil {
		return err
	}
	return h.waitSNMP(c)
}

// waitSNMP polls with snmpget from the host itself until snmpd answers.
func (h *Host) waitSNMP(c SNMPConfig) error {
	args := []string{"-v2c", "-c", c.Community}
	if c.Community == "" {
		auth, priv := c.AuthProto, c.PrivProto
		if auth == "" {
			auth = "SHA"
		}
		if priv == "" {
			priv = "AES"
		}
		args = []string{"-v3", "-l", "authPriv", "-u", c.User, "-a", auth, "-A", c.AuthPass, "-x", priv, "-X", c.PrivPass}
	}
	args = append(args, "-r", "0", "-t", "0.3", h.IP.String(), "1.3.6.1.2.1.1.5.0")
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := h.Exec(ctx, "snmpget", args...)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("snmpd on %s did not answer: %v; log: %s", h.Name, err, h.Log("snmpd"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
