package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/agent/certs"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/agent/enroll"
	"github.com/breeze-rmm/breeze/protocol"
)

func cmdEnroll(ctx context.Context, e *env, args []string) error {
	fs, cfgFlag, level := e.flags("enroll")
	server := fs.String("server", "", "server URL, e.g. https://rmm.example.com")
	key := fs.String("key", "", "one-time enrollment key; visible in the process list while enrollment runs, so prefer --key-file or $"+enroll.EnvKey)
	keyFile := fs.String("key-file", "", "file holding the enrollment key")
	force := fs.Bool("force", false, "enroll again even if this machine is already enrolled (it becomes a new device)")
	var trust []string
	fs.Func("trust-key", "a plugin signing key (.pub, PEM) to trust; repeat for several", func(v string) error {
		trust = append(trust, v)
		return nil
	})
	quiet := fs.Bool("quiet", false, "print nothing on success (for scripts such as make run, which print their own summary)")
	if err := e.parse(fs, args, cfgFlag, level); err != nil {
		return err
	}
	if *server == "" {
		return errors.New("--server is required")
	}
	// Several URLs of one deployment (comma-separated): enrollment tries
	// them in turn, and the agent's link does the same later.
	var urls []string
	for _, u := range strings.Split(*server, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if err := config.ValidateServerURL(u); err != nil {
			return err
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return errors.New("--server is required")
	}
	// Read the keys before enrolling: a bad file must not cost the one-time key.
	var trusted []ed25519.PublicKey
	for _, f := range trust {
		ks, err := readPublicKeys(f, os.Stdin)
		if err != nil {
			return err
		}
		trusted = append(trusted, ks...)
	}
	k, err := enroll.ResolveKey(enroll.KeyInput{Flag: *key, File: *keyFile, Env: os.Getenv(enroll.EnvKey)})
	if err != nil {
		return err
	}
	if old, err := config.Load(e.configPath); err == nil && !*force {
		return fmt.Errorf("already enrolled as device %s with %s (config %s); pass --force to enroll again as a new device",
			old.DeviceID, old.ServerURL, e.configPath)
	}
	for _, u := range urls {
		if insecureRemote(u) {
			e.log.Warn("the server URL is plain http to a remote host: the agent token will travel unencrypted; use https", "server", u)
		}
	}

	// The client key is made here, on this machine, and never leaves it;
	// the server answers the request with a certificate naming the device.
	cs, err := certs.Open(stateDir(config.Config{}, e.configPath))
	if err != nil {
		return err
	}
	csr, err := cs.CSR()
	if err != nil {
		return err
	}
	var res protocol.EnrollResponse
	primary := ""
	for i, u := range urls {
		res, err = enroll.Enroll(ctx, enroll.Options{ServerURL: u, Key: k, AgentVersion: Version, Logger: e.log, CSR: csr})
		if err == nil {
			primary = u
			break
		}
		// Only an unreachable server is worth the next URL: a refused key
		// is refused by every node of the deployment.
		if i == len(urls)-1 || !enroll.Unreachable(err) {
			return err
		}
		e.log.Warn("cannot reach the server; trying the next URL", "server", u, "error", err)
	}
	var others []string
	for _, u := range urls {
		if u != primary {
			others = append(others, u)
		}
	}
	cfg := config.Config{
		ServerURL:  primary,
		ServerURLs: others,
		DeviceID:   res.DeviceID,
		AgentToken: config.Secret(res.AgentToken),
		OrgID:      res.OrgID,
		SiteID:     res.SiteID,
		EnrolledAt: time.Now().UTC().Truncate(time.Second),
	}
	// The deployment's release keys: the builds a self-update may install.
	for _, k := range res.ReleaseKeys {
		if _, err := protocol.ParseReleaseKey(k); err != nil {
			e.log.Warn("the server sent an unreadable release key; ignored", "error", err)
			continue
		}
		cfg.ReleaseKeys = append(cfg.ReleaseKeys, k)
	}
	if _, err := trustKeys(&cfg, trusted); err != nil {
		return err
	}
	if err := config.Save(e.configPath, cfg); err != nil {
		return fmt.Errorf("enrolled as device %s but could not save the config (enroll again with a new key): %w", res.DeviceID, err)
	}
	if res.ClientCert != "" {
		if err := cs.Save(res.ClientCert, res.CARoots); err != nil {
			// The link asks for another one.
			e.log.Warn("client certificate not kept; the agent asks again over its link", "error", err)
		}
	}
	e.log.Info("enrolled", "device", cfg.DeviceID, "org", cfg.OrgID, "site", cfg.SiteID, "config", e.configPath)
	if *quiet {
		return nil
	}
	fmt.Fprintf(e.stdout, "Enrolled as device %s (org %s, site %s).\nConfig written to %s.\n"+
		"Next: `sudo breeze-agent install` to run it as a service, or `breeze-agent run` in the foreground.\n",
		cfg.DeviceID, cfg.OrgID, cfg.SiteID, e.configPath)
	return nil
}

// insecureRemote is true for http:// to anything but loopback.
func insecureRemote(server string) bool {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
