package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// Demo names, shown in the README and used by `make run`.
const (
	DemoPartner = "Demo MSP"
	DemoOrg     = "Demo Customer"
	DemoSite    = "HQ"
	DemoEmail   = "admin@demo.breeze.local"
)

// Credentials is the first administrator's sign-in, when Breeze made it.
type Credentials struct {
	Email, Password string
}

// credentialsFile keeps the demo admin's password (0600) so every `make run`
// can print it again; only the hash is in the database.
func credentialsFile(cfg *config.Config) string {
	return filepath.Join(cfg.DataDir, "demo-credentials.txt")
}

// FirstStart creates the first partner and administrator on an empty
// database: from BREEZE_BOOTSTRAP_EMAIL/PASSWORD, or the demo tenant when
// --demo is set. It returns the demo credentials to print, if any.
func FirstStart(ctx context.Context, cfg *config.Config, log hclog.Logger, st ports.Store, hasher ports.PasswordHasher) (*Credentials, error) {
	n, err := st.Users().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count users: %w", err)
	}
	switch {
	case n > 0 && cfg.Demo:
		return readCredentials(credentialsFile(cfg)), nil
	case n > 0:
		return nil, nil
	case cfg.BootstrapEmail != "":
		res, err := access.Bootstrap(ctx, st, hasher, access.BootstrapInput{Email: cfg.BootstrapEmail, Password: cfg.BootstrapPassword})
		if err != nil && !errors.Is(err, access.ErrAlreadyBootstrapped) {
			return nil, fmt.Errorf("bootstrap from BREEZE_BOOTSTRAP_EMAIL: %w", err)
		}
		if err == nil {
			log.Info("created the first partner and its administrator", "email", res.User.Email)
		}
		return nil, nil
	case cfg.Demo:
		pw := randomPassword()
		res, err := access.Bootstrap(ctx, st, hasher, access.BootstrapInput{
			PartnerName: DemoPartner, Email: DemoEmail, Name: "Demo Admin", Password: pw,
			Orgs: []access.BootstrapOrg{{Name: DemoOrg, Sites: []string{DemoSite}}},
		})
		if errors.Is(err, access.ErrAlreadyBootstrapped) { // another node won the race
			return readCredentials(credentialsFile(cfg)), nil
		}
		if err != nil {
			return nil, fmt.Errorf("seed the demo: %w", err)
		}
		c := &Credentials{Email: res.User.Email, Password: pw}
		if err := writeCredentials(credentialsFile(cfg), c); err != nil {
			log.Warn("could not keep the demo credentials", "error", err)
		}
		if err := demoEnrollmentKey(ctx, cfg, st, res); err != nil {
			log.Warn("could not make the demo enrollment key", "error", err)
		}
		log.Info("seeded the demo", "partner", DemoPartner, "org", DemoOrg, "site", DemoSite)
		return c, nil
	default:
		log.Warn("no users yet: set BREEZE_BOOTSTRAP_EMAIL and BREEZE_BOOTSTRAP_PASSWORD, or run `breeze admin bootstrap`")
		return nil, nil
	}
}

func randomPassword() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func writeCredentials(path string, c *Credentials) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(c.Email+"\n"+c.Password+"\n"), 0o600)
}

func readCredentials(path string) *Credentials {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		return nil
	}
	return &Credentials{Email: lines[0], Password: lines[1]}
}

// DemoKeyFile holds an enrollment key for the demo site, so `make run` can
// enroll a local agent without a browser. Mode 0600, like the credentials.
func DemoKeyFile(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "demo-enroll.key") }

func demoEnrollmentKey(ctx context.Context, cfg *config.Config, st ports.Store, res *access.BootstrapResult) error {
	if len(res.Sites) == 0 {
		return nil
	}
	secret := auth.NewSecret(agents.KeyPrefix)
	site := res.Sites[0]
	k := &domain.EnrollmentKey{
		PartnerID: site.PartnerID, OrgID: site.OrgID, SiteID: site.ID, Name: "Demo local agent",
		Prefix: secret[:12], KeyHash: auth.HashSecret(secret), ExpiresAt: time.Now().Add(365 * 24 * time.Hour),
		CreatedBy: res.User.ID,
	}
	if err := st.EnrollmentKeys().Create(ctx, domain.GlobalScope(), k); err != nil {
		return err
	}
	return os.WriteFile(DemoKeyFile(cfg), []byte(secret+"\n"), 0o600)
}
