package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// caCmd runs `breeze ca ARGS` with the node's configuration (its database
// and sealing key) and returns what it printed.
func caCmd(t testing.TB, node *server, args ...string) string {
	t.Helper()
	cmd := exec.Command(serverBin, append([]string{"ca"}, args...)...)
	cmd.Env = append(append(cleanEnv(), "BREEZE_DATA_DIR="+node.dataDir, "BREEZE_DATABASE_URL="+node.dbURL), node.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("breeze ca %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// writeRoots writes the front's agent CA roots file from the database.
func writeRoots(t testing.TB, node *server, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(caCmd(t, node, "roots", "--caddy")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// agentCert reads the agent's certificate and key from its state directory.
func agentCert(t testing.TB, cfgPath string) tls.Certificate {
	t.Helper()
	dir := filepath.Dir(cfgPath)
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatalf("agent certificate: %v", err)
	}
	c.Leaf, _ = x509.ParseCertificate(c.Certificate[0])
	return c
}

// TestAgentMTLSThroughCaddy runs mutual TLS for real: a node requiring
// client certificates behind Caddy (deploy/Caddyfile with
// BREEZE_FRONT_TLS=agent-mtls), a real agent that enrolls with a CSR,
// links with its certificate and renews it over the link; a link without
// a certificate, or with a certificate only in a forged X-Client-Cert, is
// refused; a CA rotation: the agent renews from the new CA during the
// overlap and keeps linking after the old CA is retired, while its old
// certificate is refused.
func TestAgentMTLSThroughCaddy(t *testing.T) {
	f := newFront(t)
	nodes := startNodes(t, 1, "BREEZE_TRUSTED_PROXIES=127.0.0.1", "BREEZE_PUBLIC_URL="+f.url,
		"BREEZE_AGENT_MTLS=required", "BREEZE_AGENT_CERT_TTL=15s")
	node := nodes[0]
	roots := filepath.Join(t.TempDir(), "agent-ca.caddy")
	writeRoots(t, node, roots)
	f.env = append(f.env, "BREEZE_FRONT_TLS=agent-mtls", "BREEZE_AGENT_CA_ROOTS="+roots)
	f.start(nodes...)
	api := login(t, node)
	site := api.site("mTLS")

	cfgPath := enrollAgentThrough(t, f.url, api, site, f.agentEnv())
	cfg := readAgentConfig(t, cfgPath)
	first := agentCert(t, cfgPath)
	if first.Leaf.Subject.CommonName != cfg.DeviceID {
		t.Fatalf("the enrollment certificate names %q, want %s", first.Leaf.Subject.CommonName, cfg.DeviceID)
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(cfgPath), "client.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client key file: %v %v", fi, err)
	}
	agent := startAgentEnv(t, cfgPath, f.agentEnv())
	eventually(t, 30*time.Second, "the agent linked through the front with its certificate", func() (bool, string) {
		d, ok := api.listed(cfg.DeviceID)
		return ok && d.Status == "online", d.Status
	})

	// No certificate, and a certificate only in a header: both refused.
	link := strings.Replace(f.url, "https", "wss", 1) + fmt.Sprintf(protocol.LinkPath, cfg.DeviceID)
	dial := func(cert *tls.Certificate, hdr http.Header) (int, error) {
		d := f.wsDialer()
		conf := d.TLSClientConfig.Clone()
		if cert != nil {
			conf.Certificates = []tls.Certificate{*cert}
		}
		d.TLSClientConfig = conf
		h := http.Header{"Authorization": {"Bearer " + cfg.AgentToken}}
		for k, v := range hdr {
			h[k] = v
		}
		c, res, err := d.Dial(link, h)
		if c != nil {
			_ = c.Close()
			return http.StatusSwitchingProtocols, nil
		}
		if res == nil {
			return 0, err
		}
		return res.StatusCode, nil
	}
	if code, err := dial(nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("a link without a certificate: %d %v", code, err)
	}
	forged := http.Header{"X-Client-Cert": {base64.StdEncoding.EncodeToString(first.Certificate[0])}}
	if code, err := dial(nil, forged); code != http.StatusUnauthorized {
		t.Fatalf("a certificate in a client-set X-Client-Cert: %d %v", code, err)
	}

	// Renewal over the link at two thirds of 15 s.
	eventually(t, 30*time.Second, "the agent renewed its certificate over the link", func() (bool, string) {
		c := agentCert(t, cfgPath)
		return c.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) != 0, c.Leaf.SerialNumber.Text(16)
	})

	// Rotation: the agent's next renewal comes from the new CA.
	oldCA := agentCert(t, cfgPath)
	caCmd(t, node, "rotate")
	writeRoots(t, node, roots)
	if n := strings.Count(caCmd(t, node, "roots"), "BEGIN CERTIFICATE"); n != 2 {
		t.Fatalf("%d roots during the overlap, want 2", n)
	}
	f.stop()
	f.start(nodes...)
	eventually(t, 40*time.Second, "a certificate from the new CA", func() (bool, string) {
		c := agentCert(t, cfgPath)
		return c.Leaf.Issuer.CommonName != oldCA.Leaf.Issuer.CommonName, c.Leaf.Issuer.CommonName
	})
	caCmd(t, node, "retire")
	writeRoots(t, node, roots)
	f.stop()
	f.start(nodes...)
	before := node.links(cfg.DeviceID)
	eventually(t, 40*time.Second, "the agent relinked after the old CA was retired", func() (bool, string) {
		d, ok := api.listed(cfg.DeviceID)
		return ok && d.Status == "online" && node.links(cfg.DeviceID) > before, d.Status
	})
	if code, _ := dial(&oldCA, nil); code == http.StatusSwitchingProtocols {
		t.Fatal("a certificate of the retired CA linked")
	}
	if agent.exited() {
		t.Fatal("the agent exited")
	}
	status := caCmd(t, node, "status")
	if !strings.Contains(status, "retired") || !strings.Contains(status, "active") {
		t.Fatalf("ca status:\n%s", status)
	}
}
