package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Row-level security, the second wall (migration 00026, docs/security.md).
//
// Every statement a store runs goes out in one pipeline with a statement
// before it that switches, for its transaction only, to the role
// breeze_app (subject to the policies) and places the statement's tenant
// set in the breeze.* settings the policies read. Outside a transaction the
// pipeline is PostgreSQL's implicit transaction, which ends at its Sync, so
// the setting never outlives the statement and a pooled connection never
// carries it to the next caller. Inside one (InTx, atomically) each
// statement places its own set again. One round trip either way.
//
// The tenant set comes from the context: tenant(ctx, s) in every port method
// that takes a domain.Scope, system(ctx) in the port methods that take none
// (the server's own cross-tenant work: agent ingest by device id, sweeps,
// schedulers, sign-in lookups). A statement whose context holds neither runs
// with an empty set and sees no tenant row at all.

// appRole is the role every store statement runs as (created by 00026).
const appRole = "breeze_app"

// enterSQL places the role and the tenant set for the transaction:
// $1 the kind, $2 the partners, $3 the orgs. enterSitesSQL adds to the orgs
// those of the sites in $4 (looked up by a SECURITY DEFINER function), so
// only a site-scoped caller pays for that lookup and every policy reads
// plain settings.
const (
	enterSQL = "SELECT set_config('role', '" + appRole + "', true), set_config('breeze.scope', $1, true)," +
		" set_config('breeze.partner_ids', $2, true), set_config('breeze.org_ids', $3, true)"
	enterSitesSQL = "SELECT set_config('role', '" + appRole + "', true), set_config('breeze.scope', $1, true)," +
		" set_config('breeze.partner_ids', $2, true)," +
		" set_config('breeze.org_ids', ($3::uuid[] || breeze_rls_site_orgs($4::uuid[]))::text, true)"
)

type wallKey struct{}

// wallSet is what enterSQL places: the scope kind ("global", "system",
// "tenant") and the ids as PostgreSQL uuid[] literals.
type wallSet struct {
	kind                  string
	partners, orgs, sites string
}

var (
	systemSet = &wallSet{kind: "system", partners: "{}", orgs: "{}", sites: "{}"}
	globalSet = &wallSet{kind: "global", partners: "{}", orgs: "{}", sites: "{}"}
	emptySet  = &wallSet{kind: "none", partners: "{}", orgs: "{}", sites: "{}"}
)

// tenant limits ctx's statements to the partners, orgs and sites of s.
func tenant(ctx context.Context, s domain.Scope) context.Context {
	if s.Global {
		return context.WithValue(ctx, wallKey{}, globalSet)
	}
	return context.WithValue(ctx, wallKey{}, &wallSet{kind: "tenant",
		partners: uuidArray(s.PartnerIDs), orgs: uuidArray(s.OrgIDs), sites: uuidArray(s.SiteIDs)})
}

// system lets ctx's statements reach every tenant: for the port methods
// that take no scope, and nothing else. grep "system(ctx)" lists them.
func system(ctx context.Context) context.Context {
	return context.WithValue(ctx, wallKey{}, systemSet)
}

func wallOf(ctx context.Context) *wallSet {
	if w, ok := ctx.Value(wallKey{}).(*wallSet); ok {
		return w
	}
	return emptySet
}

// uuidArray writes the valid ids as a uuid[] literal; ids are canonical
// UUIDs (domain.ValidID), so no quoting is needed.
func uuidArray(ids []string) string {
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for _, id := range ids {
		if !domain.ValidID(id) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
		n++
	}
	b.WriteByte('}')
	return b.String()
}

// enterSystemSQL is enterSQL for the simple protocol (telemetry's COPY).
const enterSystemSQL = "SET LOCAL ROLE " + appRole + "; SET LOCAL breeze.scope = 'system'"

// batcher is what wall needs: *pgxpool.Pool and pgx.Tx have it.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
}

// walled is a querier whose every statement runs behind the wall.
type walled struct{ b batcher }

func wall(b batcher) querier { return walled{b} }

// send queues enterSQL and the statement in one pipeline and reads past
// enterSQL's result.
func (w walled) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	set := wallOf(ctx)
	var batch pgx.Batch
	if set.sites == "{}" {
		batch.Queue(enterSQL, set.kind, set.partners, set.orgs)
	} else {
		batch.Queue(enterSitesSQL, set.kind, set.partners, set.orgs, set.sites)
	}
	batch.Queue(sql, args...)
	br := w.b.SendBatch(ctx, &batch)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

func (w walled) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := w.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (w walled) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := w.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		rows.Close()
		_ = br.Close()
		return nil, err
	}
	return &walledRows{Rows: rows, br: br}, nil
}

func (w walled) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := w.Query(ctx, sql, args...)
	return walledRow{rows: rows, err: err}
}

// Begin opens a transaction (a savepoint on a transaction) whose
// statements run behind the wall too.
func (w walled) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := w.b.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return walledTx{tx}, nil
}

// walledTx is a pgx.Tx whose statements run behind the wall.
type walledTx struct{ pgx.Tx }

func (t walledTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return walled{t.Tx}.Exec(ctx, sql, args...)
}

func (t walledTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return walled{t.Tx}.Query(ctx, sql, args...)
}

func (t walledTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return walled{t.Tx}.QueryRow(ctx, sql, args...)
}

func (t walledTx) Begin(ctx context.Context) (pgx.Tx, error) {
	return walled{t.Tx}.Begin(ctx)
}

// walledRows closes the pipeline (releasing a pooled connection) when the
// rows end or are closed.
type walledRows struct {
	pgx.Rows
	br   pgx.BatchResults
	done bool
	err  error
}

func (r *walledRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.finish()
	return false
}

func (r *walledRows) Close() {
	r.Rows.Close()
	r.finish()
}

func (r *walledRows) finish() {
	if !r.done {
		r.done = true
		r.Rows.Close()
		r.err = r.br.Close()
	}
}

func (r *walledRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// walledRow is QueryRow's answer, read like pgx's own.
type walledRow struct {
	rows pgx.Rows
	err  error
}

func (r walledRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
