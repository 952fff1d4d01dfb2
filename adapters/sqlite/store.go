// Package sqlite is the SQLite storage adapter (modernc.org/sqlite, pure Go):
// it implements ports.Store, ports.IdentityStore and ports.AgentStore for
// the embedded, single-node profile.
//
// SQLite allows one writer at a time, so the adapter keeps two pools on the
// same file: a writer pool of exactly one connection, through which every
// write and every transaction goes (transactions BEGIN IMMEDIATE, so they
// never fail half-way on a lock upgrade), and a read-only pool of several
// connections for reads outside a transaction (WAL lets them run beside the
// writer). Writers queue in database/sql instead of failing with SQLITE_BUSY.
//
// Every tenant query filters by the caller's scope in SQL with bound
// parameters (scope.go). Entity code runs against a queryer, which the pools
// and a transaction both satisfy; that is how InTx shares it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hashicorp/go-hclog"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/migrations"
	"github.com/breeze-rmm/breeze/ports"
)

var (
	_ ports.Store         = (*Store)(nil)
	_ ports.IdentityStore = (*Store)(nil)
	_ ports.AgentStore    = (*Store)(nil)
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (or a checkpoint) before SQLITE_BUSY.
const busyTimeoutMS = 5000

// Writer tuning, see dsn and checkpoint.go.
const (
	walCheckpointPages = 10000
	walSizeLimit       = 64 << 20 // bytes of WAL file kept once it starts over
	writerCacheKiB     = 32 << 10
)

// Options configures Open.
type Options struct {
	// Path is the database file; its directory is created (0700) if missing.
	Path string
	// Logger is optional; nil discards log lines.
	Logger hclog.Logger

	checkpoints *checkpointPolicy // tests; nil: defaultCheckpoints
}

// Store is the SQLite ports.Store. The root Store owns the pools; a Store
// bound to a transaction (the one InTx hands to its function) shares them.
type Store struct {
	db *pools
	tx *txState // nil for the root store
}

type pools struct {
	w       *sql.DB // exactly one connection: the single writer
	r       *sql.DB // read-only connections
	wc, rc  *stmtCache
	ckpt    *checkpointer // WAL checkpoints off the writer (checkpoint.go)
	log     hclog.Logger
	path    string       // the database file, for the free-space check
	commits commitGroups // group commit of the writer (group.go)
}

// Open opens (creating if needed) the database file at opts.Path. It does not
// migrate: call Migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("sqlite: database path is required")
	}
	// The driver splits the DSN at the first '?', and ":memory:" would give
	// each pooled connection its own private database.
	if strings.Contains(opts.Path, "?") || strings.HasPrefix(opts.Path, ":memory:") || strings.HasPrefix(opts.Path, "file:") {
		return nil, fmt.Errorf("sqlite: database path %q must be a plain file path", opts.Path)
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("sqlite")
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create database directory: %w", err)
	}
	if err := ensurePrivate(opts.Path); err != nil {
		return nil, err
	}

	w, err := openPool(ctx, opts.Path, roleWriter, 1)
	if err != nil {
		return nil, err
	}
	readers := max(4, runtime.NumCPU())
	r, err := openPool(ctx, opts.Path, roleReader, readers)
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	c, err := openPool(ctx, opts.Path, roleCheckpointer, 1)
	if err != nil {
		_ = errors.Join(r.Close(), w.Close())
		return nil, err
	}
	pol := defaultCheckpoints
	if opts.checkpoints != nil {
		pol = *opts.checkpoints
	}
	log.Debug("database opened", "path", opts.Path, "readers", readers)
	return &Store{db: &pools{w: w, r: r, wc: newStmtCache(w), rc: newStmtCache(r), log: log, path: opts.Path,
		ckpt: newCheckpointer(c, w, pol, log)}}, nil
}

// The connections a store opens on its file.
type connRole int

const (
	roleWriter       connRole = iota // the single writer
	roleReader                       // the read-only pool
	roleCheckpointer                 // the background checkpoints
)

// openPool opens one pool and checks it answers. The writer is opened first:
// its first connection switches the file to WAL, which then persists.
func openPool(ctx context.Context, path string, role connRole, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, role))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// dsn sets the pragmas on every connection the pool opens.
func dsn(path string, role connRole) string {
	q := url.Values{}
	if role == roleCheckpointer {
		// No busy handler: a TRUNCATE checkpoint that meets a reader or
		// the writer gives up at once instead of holding the write lock
		// while it waits (PASSIVE never waits anyway).
		q.Add("_pragma", "busy_timeout(0)")
		return path + "?" + q.Encode()
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Statement journals and temp indexes stay in memory, not in temp files
	// written with a syscall per page on every multi-row write.
	q.Add("_pragma", "temp_store(MEMORY)")
	if role == roleReader {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// The writer never checkpoints: the checkpointer does, beside it
		// (checkpoint.go). The WAL starts over on the writer's commit
		// after a complete checkpoint, which is where the file is cut
		// back to walSizeLimit. The larger page cache keeps the hot pages
		// of heartbeat ingest off the read path.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
	}
	return path + "?" + q.Encode()
}

// Migrate applies the pending embedded migrations through the writer, then
// brings the built-in roles in step with domain.BuiltInRoles() (every time:
// a new release may change their permissions without a migration).
func (s *Store) Migrate(ctx context.Context) (sqlmigrate.Result, error) {
	res, err := sqlmigrate.Up(ctx, s.db.w, sqlmigrate.SQLite, migrations.SQLite())
	if err != nil {
		return res, fmt.Errorf("sqlite: %w", err)
	}
	if len(res.Applied) > 0 {
		s.db.log.Info("migrations applied", "from", res.From, "to", res.To, "files", res.Applied)
	}
	var changed int64
	err = s.write(ctx, func(q queryer) (err error) {
		changed, err = syncBuiltInRoles(ctx, q)
		return err
	})
	if err != nil {
		return res, err
	}
	if changed > 0 {
		s.db.log.Info("built-in roles updated", "roles", changed)
	}
	return res, nil
}

// WriterDB is the single-writer pool, for adapters that keep their own tables
// in the same file (the embedded queue). Use it for writes only, and never
// while holding a transaction of this store: it has one connection.
func (s *Store) WriterDB() *sql.DB { return s.db.w }

// ReaderDB is the read-only pool.
func (s *Store) ReaderDB() *sql.DB { return s.db.r }

func (s *Store) Partners() ports.PartnerStore         { return partnerStore{s} }
func (s *Store) Orgs() ports.OrgStore                 { return orgStore{s} }
func (s *Store) Sites() ports.SiteStore               { return siteStore{s} }
func (s *Store) DeviceGroups() ports.DeviceGroupStore { return groupStore{s} }
func (s *Store) Devices() ports.DeviceStore           { return deviceStore{s} }

func (s *Store) Users() ports.UserStore                     { return userStore{s} }
func (s *Store) Roles() ports.RoleStore                     { return roleStore{s} }
func (s *Store) RoleAssignments() ports.RoleAssignmentStore { return grantStore{s} }
func (s *Store) APIKeys() ports.APIKeyStore                 { return apiKeyStore{s} }
func (s *Store) RefreshTokens() ports.RefreshTokenStore     { return refreshStore{s} }
func (s *Store) Audit() ports.AuditStore                    { return auditStore{s} }

func (s *Store) EnrollmentKeys() ports.EnrollmentKeyStore { return enrollKeyStore{s} }
func (s *Store) AgentTokens() ports.AgentTokenStore       { return agentTokenStore{s} }
func (s *Store) Presence() ports.PresenceStore            { return presenceStore{s} }
func (s *Store) Telemetry() ports.TelemetryStore          { return telemetryStore{s} }
func (s *Store) Inventory() ports.InventoryStore          { return inventoryStore{s} }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read(ctx).QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", markUnavailable("ping", err))
	}
	return nil
}

// Close releases both pools. On a transaction-bound store it does nothing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	s.db.ckpt.stop()
	s.db.rc.close()
	s.db.wc.close()
	// The checkpointer's connection last: its TRUNCATE finds no reader or writer.
	return errors.Join(s.db.r.Close(), s.db.w.Close(), s.db.ckpt.close())
}
