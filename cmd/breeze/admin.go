package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/adapters/password"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/internal/server"
	"github.com/breeze-rmm/breeze/logging"
)

// adminBootstrap creates the first partner and its administrator on an empty
// database. The password comes from BREEZE_BOOTSTRAP_PASSWORD or the first
// line of standard input, never from a flag (process lists are public).
func adminBootstrap(ctx context.Context, args []string) error {
	const synopsis = "breeze admin bootstrap --email EMAIL [flags] (the password from BREEZE_BOOTSTRAP_PASSWORD or standard input)"
	fs := newFlags(synopsis)
	email := fs.String("email", os.Getenv("BREEZE_BOOTSTRAP_EMAIL"), "the administrator's email [BREEZE_BOOTSTRAP_EMAIL]")
	name := fs.String("name", "", "the administrator's name (default: the email)")
	partner := fs.String("partner", "Default Partner", "the first partner's name")
	cfg, err := config.LoadSome(fs, args, os.Getenv, dbFlags...)
	if err = helped(fs, synopsis, err); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("--email (or BREEZE_BOOTSTRAP_EMAIL) is required")
	}
	pw := cfg.BootstrapPassword
	if pw == "" {
		fmt.Fprintln(os.Stderr, "password (one line on standard input):")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	log := logging.New("breeze", cfg.LogLevel, cfg.LogFormat, os.Stderr)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := server.Migrate(ctx, st, log); err != nil {
		return err
	}
	hasher, err := password.NewHasher(password.Options{})
	if err != nil {
		return err
	}
	res, err := access.Bootstrap(ctx, st, hasher, access.BootstrapInput{PartnerName: *partner, Email: *email, Name: *name, Password: pw})
	if err != nil {
		return err
	}
	fmt.Printf("created partner %q and its administrator %s\n", res.Partner.Name, res.User.Email)
	return nil
}

// auditVerify walks the audit hash chain and reports the first broken link.
func auditVerify(ctx context.Context, args []string) error {
	cfg, err := loadConfig("breeze audit verify [flags]", args, dbFlags...)
	if err != nil {
		return err
	}
	log := logging.New("breeze", cfg.LogLevel, cfg.LogFormat, os.Stderr)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	broken, checked, err := st.Audit().Verify(ctx)
	if err != nil {
		return fmt.Errorf("verify audit log: %w", err)
	}
	if broken != nil {
		return fmt.Errorf("audit log broken at seq %d (id %s): %s; %d rows checked before it", broken.Seq, broken.ID, broken.Reason, checked)
	}
	fmt.Printf("audit log intact: %d rows\n", checked)
	return nil
}
