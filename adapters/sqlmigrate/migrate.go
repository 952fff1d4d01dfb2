// Package sqlmigrate applies Breeze's embedded SQL migrations with goose.
// Both storage adapters call it; each migration runs in its own transaction,
// so a failing one leaves the schema at the last good version.
package sqlmigrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Dialect names the database goose talks to.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Result reports what Up did.
type Result struct {
	From, To int64    // schema version before and after
	Applied  []string // file names applied, in order
}

// Up applies every pending migration of fsys to db. On PostgreSQL a session
// advisory lock keeps two server nodes from migrating at the same time.
func Up(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS) (Result, error) {
	p, err := provider(db, d, fsys)
	if err != nil {
		return Result{}, err
	}
	from, err := p.GetDBVersion(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read schema version: %w", err)
	}
	res := Result{From: from, To: from}
	applied, err := p.Up(ctx)
	for _, r := range applied {
		if r.Error == nil && r.Source != nil {
			res.Applied = append(res.Applied, r.Source.Path)
			res.To = r.Source.Version
		}
	}
	if err != nil {
		var perr *goose.PartialError
		if errors.As(err, &perr) {
			// goose returns no result list on failure: what did apply is in the error.
			for _, r := range perr.Applied {
				if r.Source != nil {
					res.Applied = append(res.Applied, r.Source.Path)
					res.To = r.Source.Version
				}
			}
		}
		if perr != nil && perr.Failed != nil && perr.Failed.Source != nil {
			return res, fmt.Errorf("migration %s failed and was rolled back (schema stays at version %d): %w",
				perr.Failed.Source.Path, res.To, perr.Err)
		}
		return res, fmt.Errorf("apply migrations: %w", err)
	}
	return res, nil
}

// Pending reports whether migrations remain to apply.
func Pending(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS) (bool, error) {
	p, err := provider(db, d, fsys)
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

func provider(db *sql.DB, d Dialect, fsys fs.FS) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	var dialect goose.Dialect
	switch d {
	case SQLite:
		dialect = goose.DialectSQLite3
	case Postgres:
		dialect = goose.DialectPostgres
		// Retry every second (not goose's 5 s) for up to 5 minutes: a node
		// starting beside a migrating one waits no longer than it must.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	default:
		return nil, fmt.Errorf("unknown migration dialect %q", d)
	}
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}
