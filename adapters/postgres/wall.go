package postgres

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Row-level security, the second wall (migration 00026, docs/security.md).
//
// A statement made for a tenant scope goes out in one pipeline after a
// statement that switches, for its transaction only, to the role breeze_app
// (subject to the policies) and places the scope's partner and org ids in
// breeze.tenant_ids, which the policies read. Outside a transaction the
// pipeline is PostgreSQL's implicit transaction, which ends at its Sync, so
// neither the role nor the set outlives the statement and a pooled
// connection never carries them to its next user. Inside one (InTx,
// atomically) each statement places its own again. One round trip either way.
//
// The set comes from the context: tenant(ctx, s) in every port method that
// takes a domain.Scope; system(ctx) in the port methods that take none (the
// server's own cross-tenant work: agent ingest by device id, sweeps,
// schedulers, sign-in lookups). System work, and the global scope, run as
// the connection's own role, the tables' owner, which the policies do not
// restrict: outside a transaction they go out exactly as without the wall.
// A statement whose context holds neither runs as breeze_app with an empty
// set and sees no tenant row at all.

// appRole is the role tenant statements run as (created by 00026).
const appRole = "breeze_app"

// enterSQL switches to appRole with the set in $1 (a uuid[] literal);
// enterSitesSQL adds the orgs of the sites in $2 (looked up by a SECURITY
// DEFINER function, so only a site-scoped caller pays for it). leaveSQL is
// for system and global statements inside a transaction, where an earlier
// statement may have switched: back to the connection's own role.
const (
	enterSQL      = "SELECT set_config('role', '" + appRole + "', true), set_config('breeze.tenant_ids', $1, true)"
	enterSitesSQL = "SELECT set_config('role', '" + appRole + "', true)," +
		" set_config('breeze.tenant_ids', ($1::uuid[] || breeze_rls_site_orgs($2::uuid[]))::text, true)"
	leaveSQL = "SELECT set_config('role', 'none', true), set_config('breeze.tenant_ids', '', true)"
)

type wallKey struct{}

// wallSet is a statement's tenant set: all (system work, the global scope)
// or the ids as PostgreSQL uuid[] literals.
type wallSet struct {
	all        bool
	ids, sites string
}

var (
	allSet   = &wallSet{all: true}
	emptySet = &wallSet{ids: "{}", sites: "{}"}
)

// tenant limits ctx's statements to the partners, orgs and sites of s.
func tenant(ctx context.Context, s domain.Scope) context.Context {
	if s.Global {
		return context.WithValue(ctx, wallKey{}, allSet)
	}
	ids := make([]string, 0, len(s.PartnerIDs)+len(s.OrgIDs))
	ids = append(append(ids, s.PartnerIDs...), s.OrgIDs...)
	return context.WithValue(ctx, wallKey{}, &wallSet{ids: uuidArray(ids), sites: uuidArray(s.SiteIDs)})
}

// system lets ctx's statements reach every tenant: for the port methods
// that take no scope, and nothing else. grep "system(ctx)" lists them.
func system(ctx context.Context) context.Context {
	return context.WithValue(ctx, wallKey{}, allSet)
}

// oneOrg and oneSite are for port methods that take no scope but name the
// one org or site they work in: the wall then stands around that unit
// rather than opening to every tenant.
func oneOrg(ctx context.Context, orgID string) context.Context {
	return tenant(ctx, domain.Scope{OrgIDs: []string{orgID}})
}

func oneSite(ctx context.Context, siteID string) context.Context {
	return tenant(ctx, domain.Scope{SiteIDs: []string{siteID}})
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

// batcher is what wall needs: *pgxpool.Pool and pgx.Tx have it.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
}

// walled is a querier whose every statement runs behind the wall; inTx
// when b is a transaction.
type walled struct {
	b     batcher
	inTx  bool
	sites *siteSets
	tx    *txState // inTx only
}

// txState tracks whether a transaction may be switched to appRole, so that
// system statements in a transaction that never switched (audit appends,
// sweeps) go out without a preamble.
type txState struct{ entered bool }

// wall wraps the pool or a transaction.
func wall(b batcher, sites *siteSets) querier {
	if _, inTx := b.(pgx.Tx); inTx {
		return walled{b: b, inTx: true, sites: sites, tx: &txState{}}
	}
	return walled{b: b, sites: sites}
}

// siteSets remembers the set a site-scoped caller's enter statement
// resolved (its ids plus its sites' orgs), so the lookup runs once per
// scope, not once per statement. A site never changes org, so an entry
// never goes stale; a scope that stops existing just stops being asked.
type siteSets struct {
	m sync.Map // ids + "|" + sites → the resolved uuid[] literal
	n atomic.Int64
}

// maxSiteSets bounds the memory: past it, new scopes resolve every time.
const maxSiteSets = 10_000

func (c *siteSets) get(set *wallSet) (string, bool) {
	if c == nil {
		return "", false
	}
	v, ok := c.m.Load(set.ids + "|" + set.sites)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (c *siteSets) put(set *wallSet, resolved string) {
	if c == nil || c.n.Load() >= maxSiteSets {
		return
	}
	if _, loaded := c.m.LoadOrStore(set.ids+"|"+set.sites, resolved); !loaded {
		c.n.Add(1)
	}
}

// direct is the querier for statements that need no preamble.
func (w walled) direct(ctx context.Context) (querier, bool) {
	if !wallOf(ctx).all || (w.inTx && w.tx.entered) {
		return nil, false
	}
	q, ok := w.b.(querier) // the pool or the bare transaction
	return q, ok
}

// send queues the preamble and the statement in one pipeline and reads past
// the preamble's result.
func (w walled) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	set := wallOf(ctx)
	var batch pgx.Batch
	resolve := false
	if w.inTx {
		w.tx.entered = !set.all
	}
	switch {
	case set.all:
		batch.Queue(leaveSQL)
	case set.sites == "{}":
		batch.Queue(enterSQL, set.ids)
	default:
		if ids, ok := w.sites.get(set); ok {
			batch.Queue(enterSQL, ids)
		} else {
			batch.Queue(enterSitesSQL, set.ids, set.sites)
			resolve = true
		}
	}
	batch.Queue(sql, args...)
	br := w.b.SendBatch(ctx, &batch)
	var err error
	if resolve {
		var role, ids string
		if err = br.QueryRow().Scan(&role, &ids); err == nil {
			w.sites.put(set, ids)
		}
	} else {
		_, err = br.Exec()
	}
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

func (w walled) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if q, ok := w.direct(ctx); ok {
		return q.Exec(ctx, sql, args...)
	}
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
	if q, ok := w.direct(ctx); ok {
		return q.Query(ctx, sql, args...)
	}
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
	if q, ok := w.direct(ctx); ok {
		return q.QueryRow(ctx, sql, args...)
	}
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
	state := w.tx
	if state == nil {
		state = &txState{}
	}
	return walledTx{Tx: tx, sites: w.sites, tx: state}, nil
}

// walledTx is a pgx.Tx whose statements run behind the wall.
type walledTx struct {
	pgx.Tx
	sites *siteSets
	tx    *txState // shared with the enclosing transaction's savepoints
}

// Rollback of a savepoint may restore a role set before it: assume the
// transaction is switched, so the next system statement leaves again.
func (t walledTx) Rollback(ctx context.Context) error {
	t.tx.entered = true
	return t.Tx.Rollback(ctx)
}

func (t walledTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return walled{b: t.Tx, inTx: true, sites: t.sites, tx: t.tx}.Exec(ctx, sql, args...)
}

func (t walledTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return walled{b: t.Tx, inTx: true, sites: t.sites, tx: t.tx}.Query(ctx, sql, args...)
}

func (t walledTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return walled{b: t.Tx, inTx: true, sites: t.sites, tx: t.tx}.QueryRow(ctx, sql, args...)
}

func (t walledTx) Begin(ctx context.Context) (pgx.Tx, error) {
	return walled{b: t.Tx, inTx: true, sites: t.sites, tx: t.tx}.Begin(ctx)
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
