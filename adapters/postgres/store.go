// Package postgres is the PostgreSQL storage adapter (pgx/v5): it implements
// ports.Store for the production profile.
//
// Every tenant query filters by the caller's scope in SQL with bound
// parameters (see scope.go), so a row outside the scope is never read or
// written; and every tenant statement runs behind row-level security as the
// role breeze_app with the caller's tenant set (wall.go), so a query that
// forgot its filter still reads and writes nothing outside it. Entity code
// runs against a small querier interface that both the pool and a
// transaction satisfy, which is how InTx shares it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/migrations"
	"github.com/breeze-rmm/breeze/ports"
)

var (
	_ ports.Store      = (*Store)(nil)
	_ ports.AgentStore = (*Store)(nil)
)

// pingTimeout bounds the connection check in Open: a server that does not
// answer within it is reported as unreachable rather than hanging start-up.
const pingTimeout = 5 * time.Second

// Options configures Open.
type Options struct {
	// URL is a postgres:// URL (or a key=value DSN) as accepted by pgx.
	URL string
	// Logger is optional; nil discards log lines.
	Logger hclog.Logger
	// MaxConns caps the pool; 0 keeps pgx's default (max(4, CPUs)).
	MaxConns int32
}

// querier is what the entity stores need; *pgxpool.Pool and pgx.Tx both have
// it. Begin on a pgx.Tx opens a savepoint (see atomically).
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store is a ports.Store on a pgx pool, or bound to one transaction inside InTx.
type Store struct {
	pool *pgxpool.Pool
	q    querier
	tx   pgx.Tx // non-nil when bound to a transaction
	log  hclog.Logger
	addr string // host:port, for messages
	// audit groups the root store's audit appends (nil inside InTx, where
	// they run in the caller's transaction).
	audit *auditBatcher
	// sites caches site-scoped callers' resolved tenant sets (wall.go).
	sites *siteSets
}

// Open parses opts.URL, connects and checks the database answers.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if strings.TrimSpace(opts.URL) == "" {
		return nil, errors.New("postgres: database URL is empty")
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		// pgconn redacts the password in its message.
		return nil, fmt.Errorf("postgres: malformed database URL: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("postgres")
	addr := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: configure pool for %s: %w", addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// The server answered but refused us (bad password, no such database, ...).
			return nil, fmt.Errorf("postgres: connect to database at %s: %w", addr, err)
		}
		return nil, fmt.Errorf("postgres: database at %s is unreachable: %w", addr, err)
	}
	log.Debug("connected to postgres", "addr", addr, "database", cfg.ConnConfig.Database, "max_conns", cfg.MaxConns)
	sites := &siteSets{}
	return &Store{pool: pool, q: guard(wall(pool, sites)), log: log, addr: addr,
		audit: newAuditBatcher(guard(wall(pool, sites))), sites: sites}, nil
}

// Pool exposes the connection pool for adapters that share this database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate applies pending migrations, then brings the built-in roles in step
// with domain.BuiltInRoles(). Goose uses its own database/sql connections,
// so its advisory lock serialises concurrent nodes and each migration runs
// in its own transaction; the role sync is idempotent and safe to race.
func (s *Store) Migrate(ctx context.Context) (sqlmigrate.Result, error) {
	db := stdlib.OpenDB(*s.pool.Config().ConnConfig)
	defer db.Close()
	res, err := sqlmigrate.Up(ctx, db, sqlmigrate.Postgres, migrations.Postgres())
	if err != nil {
		return res, fmt.Errorf("postgres: migrate database at %s: %w", s.addr, err)
	}
	if len(res.Applied) > 0 {
		s.log.Info("applied migrations", "from", res.From, "to", res.To, "files", strings.Join(res.Applied, ","))
	}
	changed, err := syncBuiltInRoles(ctx, s.pool)
	if err != nil {
		return res, fmt.Errorf("postgres: sync built-in roles in database at %s: %w", s.addr, err)
	}
	if changed > 0 {
		s.log.Info("updated built-in roles", "roles", changed)
	}
	return res, nil
}

func (s *Store) Partners() ports.PartnerStore         { return partnerStore{q: s.q} }
func (s *Store) Orgs() ports.OrgStore                 { return orgStore{q: s.q} }
func (s *Store) Sites() ports.SiteStore               { return siteStore{q: s.q} }
func (s *Store) DeviceGroups() ports.DeviceGroupStore { return groupStore{q: s.q} }
func (s *Store) Devices() ports.DeviceStore           { return deviceStore{q: s.q} }

func (s *Store) Users() ports.UserStore                     { return userStore{q: s.q} }
func (s *Store) Roles() ports.RoleStore                     { return roleStore{q: s.q} }
func (s *Store) RoleAssignments() ports.RoleAssignmentStore { return grantStore{q: s.q} }
func (s *Store) APIKeys() ports.APIKeyStore                 { return apiKeyStore{q: s.q} }
func (s *Store) RefreshTokens() ports.RefreshTokenStore     { return refreshStore{q: s.q} }
func (s *Store) Audit() ports.AuditStore                    { return auditStore{q: s.q, batch: s.audit} }

func (s *Store) EnrollmentKeys() ports.EnrollmentKeyStore { return enrollKeyStore{q: s.q} }
func (s *Store) AgentTokens() ports.AgentTokenStore       { return agentTokenStore{q: s.q} }
func (s *Store) Presence() ports.PresenceStore            { return presenceStore{q: s.q} }
func (s *Store) Inventory() ports.InventoryStore          { return inventoryStore{q: s.q} }

// Telemetry needs the pool (COPY on a connection of its own) or, inside
// InTx, the transaction itself.
func (s *Store) Telemetry() ports.TelemetryStore {
	return telemetryStore{q: s.q, pool: s.pool, tx: s.tx}
}

// InTx runs fn in a transaction; on a transaction-bound store it runs fn inline.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx ports.Store) error) (err error) {
	if s.tx != nil {
		return fn(ctx, s)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate("begin transaction", err)
	}
	// Roll back even when ctx is already cancelled.
	rollback := func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if err := fn(ctx, &Store{pool: s.pool, q: guard(wall(tx, s.sites)), tx: tx, log: s.log, addr: s.addr, sites: s.sites}); err != nil {
		rollback()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate("commit", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.q.Exec(ctx, "SELECT 1"); err != nil {
		return fmt.Errorf("postgres: ping %s: %w", s.addr, markUnavailable(err))
	}
	return nil
}

// Close releases the pool. On a transaction-bound store it does nothing: the
// transaction ends when InTx returns.
func (s *Store) Close() error {
	if s.tx == nil {
		if s.audit != nil {
			s.audit.close() // queued audit rows are written first
		}
		s.pool.Close()
	}
	return nil
}
