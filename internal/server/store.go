package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// MigratingStore is a Store that can bring its own schema up to date.
type MigratingStore interface {
	ports.Store
	Migrate(ctx context.Context) (sqlmigrate.Result, error)
	// Writable reports whether the database takes a write now (readiness).
	Writable(ctx context.Context) error
}

// OpenStore opens the database named by the configuration.
func OpenStore(ctx context.Context, cfg *config.Config, log hclog.Logger) (MigratingStore, error) {
	kind, target, err := config.ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	switch kind {
	case config.SQLite:
		st, err := sqlite.Open(ctx, sqlite.Options{Path: target, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", target, err)
		}
		return st, nil
	case config.Postgres:
		// pgx's default pool, max(4, CPUs), starves a node: agent writes,
		// queue workers and schedule fires each hold a connection. A URL's
		// own pool_max_conns still wins.
		var maxConns int32 = serverPoolConns
		if strings.Contains(target, "pool_max_conns") {
			maxConns = 0
		}
		st, err := postgres.Open(ctx, postgres.Options{URL: target, Logger: log, MaxConns: maxConns})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database %s: %w (is PostgreSQL running? check BREEZE_DATABASE_URL)",
				config.Redact(target), err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("unsupported database kind %q", kind)
}

// Migrate applies pending migrations and logs what it did.
func Migrate(ctx context.Context, st MigratingStore, log hclog.Logger) error {
	res, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if len(res.Applied) > 0 {
		log.Info("database migrated", "from", res.From, "to", res.To, "applied", len(res.Applied))
	} else {
		log.Debug("database schema up to date", "version", res.To)
	}
	return nil
}

// serverPoolConns caps a node's PostgreSQL pool (connections open lazily;
// add ?pool_max_conns=N to BREEZE_DATABASE_URL to change it).
const serverPoolConns = 16
