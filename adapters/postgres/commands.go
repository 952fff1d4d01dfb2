package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Commands keeps remote commands (see ports.CommandStore).
func (s *Store) Commands() ports.CommandStore { return commandStore{q: s.q} }

type commandStore struct{ q querier }

var _ ports.CommandStore = commandStore{}

// commandColsOf lists the columns scanCommand reads, qualified by p.
func commandColsOf(p string) string {
	return p + "id, " + p + "partner_id, " + p + "org_id, " + p + "site_id, " + p + "device_id, " + p + "action, " +
		"coalesce(" + p + "payload::text, ''), " + p + "idempotency_key, coalesce(" + p + "batch_id::text, ''), " +
		"coalesce(" + p + "script_id::text, ''), " + p + "requested_by, " + p + "status, " + p + "timeout_seconds, " +
		p + "output_cap, " + p + "created_at, " + p + "expires_at, " + p + "sent_at, " + p + "started_at, " +
		p + "finished_at, " + p + "exit_code, " + p + "stdout, " + p + "stderr, " + p + "truncated, " + p + "error, " +
		"coalesce(" + p + "data::text, ''), " + p + "attempts"
}

var commandCols = commandColsOf("")

func scanCommand(row pgx.Row) (*domain.Command, error) {
	var c domain.Command
	var payload, data string
	var expires, sent, started, finished *time.Time
	var exit *int32
	if err := row.Scan(&c.ID, &c.PartnerID, &c.OrgID, &c.SiteID, &c.DeviceID, &c.Action, &payload, &c.IdempotencyKey,
		&c.BatchID, &c.ScriptID, &c.RequestedBy, &c.Status, &c.TimeoutSeconds, &c.OutputCap, &c.CreatedAt, &expires,
		&sent, &started, &finished, &exit, byteaString{&c.Stdout}, byteaString{&c.Stderr}, &c.Truncated, &c.Error,
		&data, &c.Attempts); err != nil {
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), fromOpt(expires)
	c.SentAt, c.StartedAt, c.FinishedAt = utcPtr(sent), utcPtr(started), utcPtr(finished)
	if exit != nil {
		v := int(*exit)
		c.ExitCode = &v
	}
	if payload != "" {
		c.Payload = json.RawMessage(payload)
	}
	if data != "" {
		c.Data = json.RawMessage(data)
	}
	return &c, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// optStampPtr stores an optional time; nil and the zero time are NULL.
func optStampPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return optStamp(*t)
}

// Field bounds shared by the command checks.
const (
	maxActionLen = 100
	maxRefLen    = 200 // idempotency keys, requesting user ids
)

// checkCommand validates what a caller supplies to Create.
func checkCommand(c *domain.Command) error {
	switch {
	case c.Action == "" || len(c.Action) > maxActionLen || !storable(c.Action):
		return domain.Invalidf("command action is required (at most %d characters)", maxActionLen)
	case len(c.IdempotencyKey) > maxRefLen || len(c.RequestedBy) > maxRefLen ||
		!storable(c.IdempotencyKey) || !storable(c.RequestedBy):
		return domain.Invalidf("command idempotency key and requester are text of at most %d characters", maxRefLen)
	case len(c.Payload) > 0 && !json.Valid(c.Payload):
		return domain.Invalidf("command payload is not JSON")
	case c.BatchID != "" && !domain.ValidID(c.BatchID), c.ScriptID != "" && !domain.ValidID(c.ScriptID):
		return domain.Invalidf("command batch and script ids must be canonical UUIDs")
	case c.Status != "" && !c.Status.Valid():
		return domain.Invalidf("unknown command status %q", c.Status)
	case c.TimeoutSeconds < 0 || c.OutputCap < 0 || c.Attempts < 0:
		return domain.Invalidf("command timeout, output cap and attempts must not be negative")
	}
	return nil
}

// jsonArg passes JSON text to a jsonb column; empty is NULL.
func jsonArg(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return string(v)
}

// translateJSON is translate plus jsonb's refusal of \u0000 (22P05).
func translateJSON(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "22P05" {
		return &dbError{domain: domain.Invalidf("JSON text must not hold \\u0000"), cause: err}
	}
	return translate(op, err)
}

// Create stores a command for a device the scope covers that has an agent,
// copying the device's partner, org and site onto it in the same statement.
func (st commandStore) Create(ctx context.Context, s domain.Scope, c *domain.Command) error {
	ctx = tenant(ctx, s)
	if c == nil {
		return domain.Invalidf("command is required")
	}
	if err := checkCommand(c); err != nil {
		return err
	}
	if !domain.ValidID(c.DeviceID) {
		return notFound("device")
	}
	id, err := newID(c.ID)
	if err != nil {
		return err
	}
	status := c.Status
	if status == "" {
		status = domain.CommandQueued
	}
	created := now()
	if !c.CreatedAt.IsZero() {
		created = stamp(c.CreatedAt)
	}
	var exit any
	if c.ExitCode != nil {
		exit = *c.ExitCode
	}
	a := args{id, c.DeviceID, c.Action, jsonArg(c.Payload), c.IdempotencyKey, nullID(c.BatchID), nullID(c.ScriptID),
		c.RequestedBy, string(status), c.TimeoutSeconds, c.OutputCap, created, optStamp(c.ExpiresAt),
		optStampPtr(c.SentAt), optStampPtr(c.StartedAt), optStampPtr(c.FinishedAt), exit, bytea(c.Stdout),
		bytea(c.Stderr), c.Truncated, cleanText(c.Error), jsonArg(c.Data), c.Attempts}
	out, err := scanCommand(st.q.QueryRow(ctx, `INSERT INTO commands (id, partner_id, org_id, site_id, device_id, action,
			payload, idempotency_key, batch_id, script_id, requested_by, status, timeout_seconds, output_cap, created_at,
			expires_at, sent_at, started_at, finished_at, exit_code, stdout, stderr, truncated, error, data, attempts)
		SELECT $1, d.partner_id, d.org_id, d.site_id, d.id, $3, $4::jsonb, $5, $6::uuid, $7::uuid, $8, $9, $10, $11, $12,
			$13, $14, $15, $16, $17, $18, $19, $20, $21, $22::jsonb, $23
		FROM devices d WHERE d.id = $2 AND d.kind <> 'network' AND `+tenantScope.where(s, &a, "d.")+`
		RETURNING `+commandCols, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("device")
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "commands_idempotency_key" {
			return &dbError{domain: domain.Conflictf("a command with this idempotency key already exists for the device"), cause: err}
		}
		return translateJSON("create command", err)
	}
	*c = *out
	return nil
}

func (st commandStore) ByIdempotencyKey(ctx context.Context, s domain.Scope, deviceID, key string) (*domain.Command, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(deviceID) || key == "" || len(key) > maxRefLen || !storable(key) {
		return nil, notFound("command")
	}
	a := args{deviceID, key}
	return st.one(ctx, "SELECT "+commandCols+" FROM commands WHERE device_id = $1 AND idempotency_key = $2 AND "+
		tenantScope.where(s, &a, ""), a)
}

func (st commandStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Command, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(id) {
		return nil, notFound("command")
	}
	a := args{id}
	return st.one(ctx, "SELECT "+commandCols+" FROM commands WHERE id = $1 AND "+tenantScope.where(s, &a, ""), a)
}

// GetForDevice reads a command of the device only; no scope: the caller is
// the device's own link.
func (st commandStore) GetForDevice(ctx context.Context, deviceID, id string) (*domain.Command, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) || !domain.ValidID(id) {
		return nil, notFound("command")
	}
	return st.one(ctx, "SELECT "+commandCols+" FROM commands WHERE id = $1 AND device_id = $2", args{id, deviceID})
}

func (st commandStore) one(ctx context.Context, sql string, a args) (*domain.Command, error) {
	c, err := scanCommand(st.q.QueryRow(ctx, sql, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("command")
	}
	if err != nil {
		return nil, translate("get command", err)
	}
	return c, nil
}

// List pages newest first.
func (st commandStore) List(ctx context.Context, s domain.Scope, f ports.CommandFilter, page domain.PageRequest) (domain.Page[*domain.Command], error) {
	ctx = tenant(ctx, s)
	var a args
	where := []string{tenantScope.where(s, &a, "")}
	where = filterID(where, &a, "device_id", f.DeviceID)
	where = filterID(where, &a, "batch_id", f.BatchID)
	if f.Status != "" {
		if !f.Status.Valid() {
			return domain.Page[*domain.Command]{}, domain.Invalidf("unknown command status %q", f.Status)
		}
		where = append(where, "status = "+a.add(string(f.Status)))
	}
	tail, page, err := pageQueryDesc(page, &a, where)
	if err != nil {
		return domain.Page[*domain.Command]{}, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+commandCols+" FROM commands"+tail, a, scanCommand)
	if err != nil {
		return domain.Page[*domain.Command]{}, translate("list commands", err)
	}
	return finishPage(items, page.Limit, func(c *domain.Command) string { return c.ID }), nil
}

// Pending lists the device's unfinished commands, oldest first.
func (st commandStore) Pending(ctx context.Context, deviceID string, limit int) ([]*domain.Command, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return []*domain.Command{}, nil
	}
	items, err := queryAll(ctx, st.q, "SELECT "+commandCols+" FROM commands"+
		" WHERE device_id = $1 AND status IN ('queued', 'sent', 'running') ORDER BY id LIMIT $2",
		args{deviceID, pendingLimit(limit)}, scanCommand)
	if err != nil {
		return nil, translate("list pending commands", err)
	}
	if items == nil {
		items = []*domain.Command{}
	}
	return items, nil
}

// Overdue lists sent or running commands past their timeout plus grace.
func (st commandStore) Overdue(ctx context.Context, now time.Time, grace time.Duration, limit int) ([]*domain.Command, error) {
	ctx = system(ctx)
	items, err := queryAll(ctx, st.q, "SELECT "+commandCols+" FROM commands"+
		" WHERE status IN ('sent', 'running') AND sent_at IS NOT NULL"+
		" AND sent_at + make_interval(secs => timeout_seconds + $1::float8) <= $2 ORDER BY sent_at, id LIMIT $3",
		args{grace.Seconds(), stamp(now), pendingLimit(limit)}, scanCommand)
	if err != nil {
		return nil, translate("list overdue commands", err)
	}
	if items == nil {
		items = []*domain.Command{}
	}
	return items, nil
}

// Expired lists queued commands at or past their expiry.
func (st commandStore) Expired(ctx context.Context, now time.Time, limit int) ([]*domain.Command, error) {
	ctx = system(ctx)
	items, err := queryAll(ctx, st.q, "SELECT "+commandCols+" FROM commands"+
		" WHERE status = 'queued' AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2",
		args{stamp(now), pendingLimit(limit)}, scanCommand)
	if err != nil {
		return nil, translate("list expired commands", err)
	}
	if items == nil {
		items = []*domain.Command{}
	}
	return items, nil
}

// pendingLimit bounds Pending: a non-positive limit is the default page.
func pendingLimit(limit int) int {
	if limit <= 0 {
		return domain.DefaultPageSize
	}
	return min(limit, 10*domain.MaxPageSize)
}

// CountByBatch tallies a batch's commands by status; an unknown batch has none.
func (st commandStore) CountByBatch(ctx context.Context, batchID string) (domain.RunCounts, error) {
	ctx = system(ctx)
	out := domain.RunCounts{}
	if !domain.ValidID(batchID) {
		return out, nil
	}
	type tally struct {
		status string
		n      int
	}
	rows, err := queryAll(ctx, st.q, "SELECT status, count(*) FROM commands WHERE batch_id = $1 GROUP BY status",
		args{batchID}, func(r pgx.Row) (tally, error) {
			var t tally
			err := r.Scan(&t.status, &t.n)
			return t, err
		})
	if err != nil {
		return nil, translate("count batch", err)
	}
	for _, t := range rows {
		out[domain.CommandStatus(t.status)] = t.n
	}
	return out, nil
}
