//go:build linux

package netlab

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// StartSSHD runs OpenSSH's sshd on port 22 of the host with a host key of
// its own and every way to log in turned off: a real SSH service to find.
func (h *Host) StartSSHD() error {
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		return fmt.Errorf("sshd is not installed: apt-get install openssh-server")
	}
	dir := filepath.Join(h.dir, "ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	key := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		return fmt.Errorf("ssh-keygen: %w: %s", err, out)
	}
	// sshd insists on its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, "sshd_config")
	body := strings.Join([]string{
		"Port 22", "ListenAddress " + h.IP.String(), "HostKey " + key, "PidFile " + filepath.Join(dir, "sshd.pid"),
		"UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication no",
		"AuthorizedKeysFile none", "PermitRootLogin no", "StrictModes no", "",
	}, "\n")
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return err
	}
	if err := h.Start("sshd", sshd, "-D", "-e", "-f", conf); err != nil {
		return err
	}
	if err := waitTCP(h.IP, 22, 10*time.Second); err != nil {
		return fmt.Errorf("sshd on %s: %w; log: %s", h.Name, err, h.Log("sshd"))
	}
	return nil
}

// Banner reads the first line a TCP service on the host sends.
func (h *Host) Banner(ctx context.Context, port int) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(h.IP.String(), fmt.Sprint(port)))
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}
