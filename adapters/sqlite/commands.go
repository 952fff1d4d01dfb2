package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Commands keeps remote commands (see ports.CommandStore).
func (s *Store) Commands() ports.CommandStore { return commandStore{s} }

type commandStore struct{ s *Store }

var _ ports.CommandStore = commandStore{}

const commandCols = "id, partner_id, org_id, site_id, device_id, action, payload, idempotency_key, batch_id, script_id," +
	" requested_by, status, timeout_seconds, output_cap, created_at, expires_at, sent_at, started_at, finished_at," +
	" exit_code, stdout, stderr, truncated, error, data, attempts"

// A command is visible when the scope covers the (partner, org, site) it
// was created in.
var commands = &table[*domain.Command]{
	name:  "commands",
	what:  "command",
	cols:  commandCols,
	read:  tenantScope,
	write: tenantScope,
	scan:  scanCommand,
	idOf:  func(c *domain.Command) string { return c.ID },
}

func scanCommand(r rowScanner) (*domain.Command, error) {
	var c domain.Command
	var payload, status, data string
	var created int64
	var expires, sent, started, finished, exit sql.NullInt64
	if err := r.Scan(&c.ID, &c.PartnerID, &c.OrgID, &c.SiteID, &c.DeviceID, &c.Action, &payload, &c.IdempotencyKey,
		&c.BatchID, &c.ScriptID, &c.RequestedBy, &status, &c.TimeoutSeconds, &c.OutputCap, &created, &expires,
		&sent, &started, &finished, &exit, &c.Stdout, &c.Stderr, &c.Truncated, &c.Error, &data, &c.Attempts); err != nil {
		return nil, err
	}
	c.Status, c.CreatedAt, c.ExpiresAt = domain.CommandStatus(status), fromMicros(created), optMicros(expires)
	c.SentAt, c.StartedAt, c.FinishedAt = timePtr(sent), timePtr(started), timePtr(finished)
	if exit.Valid {
		v := int(exit.Int64)
		c.ExitCode = &v
	}
	c.Payload, c.Data = rawJSON(payload), rawJSON(data)
	return &c, nil
}

// timePtr reads a nullable time column into an optional time.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullTimePtr stores an optional time; nil (and a zero time) is NULL.
func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nullMicros(*t)
}

// rawJSON turns a stored JSON text column back into a value; "" is none.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// Field bounds shared by the command checks.
const (
	maxActionLen = 100
	maxRefLen    = 200 // idempotency keys, requesting user ids
)

// checkCommand validates what a caller supplies to Create.
func checkCommand(c *domain.Command) error {
	switch {
	case c.Action == "" || len(c.Action) > maxActionLen:
		return domain.Invalidf("command action is required (at most %d characters)", maxActionLen)
	case len(c.IdempotencyKey) > maxRefLen || len(c.RequestedBy) > maxRefLen:
		return domain.Invalidf("command idempotency key and requester are at most %d characters", maxRefLen)
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

// Create stores a command for a device the scope covers that has an agent,
// copying the device's partner, org and site onto it in the same statement.
func (cs commandStore) Create(ctx context.Context, s domain.Scope, c *domain.Command) error {
	if c == nil {
		return domain.Invalidf("command is required")
	}
	if err := checkCommand(c); err != nil {
		return err
	}
	if !domain.ValidID(c.DeviceID) {
		return notFound("device")
	}
	id, err := newID("command", c.ID)
	if err != nil {
		return err
	}
	status := c.Status
	if status == "" {
		status = domain.CommandQueued
	}
	created := now()
	if !c.CreatedAt.IsZero() {
		created = c.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	var exit any
	if c.ExitCode != nil {
		exit = *c.ExitCode
	}
	args := []any{id, c.Action, string(c.Payload), c.IdempotencyKey, c.BatchID, c.ScriptID, c.RequestedBy, string(status),
		c.TimeoutSeconds, c.OutputCap, micros(created), nullMicros(c.ExpiresAt), nullTimePtr(c.SentAt),
		nullTimePtr(c.StartedAt), nullTimePtr(c.FinishedAt), exit, c.Stdout, c.Stderr, c.Truncated, c.Error,
		string(c.Data), c.Attempts, c.DeviceID}
	where := tenantScope.where(s, "d.", &args)
	var out *domain.Command
	err = cs.s.write(ctx, func(q queryer) (err error) {
		out, err = scanCommand(q.QueryRowContext(ctx, "INSERT INTO commands ("+commandCols+")"+
			" SELECT ?, d.partner_id, d.org_id, d.site_id, d.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"+
			" FROM devices AS d WHERE d.id = ? AND d.kind <> 'network' AND "+where+" RETURNING "+commandCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("device")
		}
		return failure{
			op:      "create command",
			unique:  "a command with this idempotency key already exists for the device",
			dup:     fmt.Sprintf("command %s already exists", id),
			missing: "device not found",
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*c = *out
	return nil
}

func (cs commandStore) ByIdempotencyKey(ctx context.Context, s domain.Scope, deviceID, key string) (*domain.Command, error) {
	if !domain.ValidID(deviceID) || key == "" || len(key) > maxRefLen {
		return nil, notFound("command")
	}
	args := []any{deviceID, key}
	where := tenantScope.where(s, "", &args)
	return cs.one(ctx, "SELECT "+commandCols+" FROM commands WHERE device_id = ? AND idempotency_key = ? AND "+where, args)
}

func (cs commandStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Command, error) {
	return commands.get(ctx, cs.s.read(ctx), s, id)
}

// GetForDevice reads a command of the device only; no scope: the caller is
// the device's own link.
func (cs commandStore) GetForDevice(ctx context.Context, deviceID, id string) (*domain.Command, error) {
	if !domain.ValidID(deviceID) || !domain.ValidID(id) {
		return nil, notFound("command")
	}
	return cs.one(ctx, "SELECT "+commandCols+" FROM commands WHERE id = ? AND device_id = ?", []any{id, deviceID})
}

func (cs commandStore) one(ctx context.Context, query string, args []any) (*domain.Command, error) {
	c, err := scanCommand(cs.s.read(ctx).QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("command")
	}
	if err != nil {
		return nil, failure{op: "get command"}.wrap(err)
	}
	return c, nil
}

// List pages newest first.
func (cs commandStore) List(ctx context.Context, s domain.Scope, f ports.CommandFilter, page domain.PageRequest) (domain.Page[*domain.Command], error) {
	var flt filter
	if f.DeviceID != "" {
		flt.tenant("device_id", f.DeviceID)
	}
	if f.BatchID != "" {
		flt.tenant("batch_id", f.BatchID)
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return domain.Page[*domain.Command]{}, domain.Invalidf("unknown command status %q", f.Status)
		}
		flt.add("status = ?", string(f.Status))
	}
	return listDesc(ctx, cs.s.read(ctx), commands, s, flt, page)
}

// Pending lists the device's unfinished commands, oldest first.
func (cs commandStore) Pending(ctx context.Context, deviceID string, limit int) ([]*domain.Command, error) {
	if !domain.ValidID(deviceID) {
		return []*domain.Command{}, nil
	}
	limit = pendingLimit(limit)
	rows, err := cs.s.read(ctx).QueryContext(ctx, "SELECT "+commandCols+" FROM commands"+
		" WHERE device_id = ? AND status IN ('queued', 'sent', 'running') ORDER BY id LIMIT ?", deviceID, limit)
	if err != nil {
		return nil, failure{op: "list pending commands"}.wrap(err)
	}
	defer rows.Close()
	out := []*domain.Command{}
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, failure{op: "list pending commands"}.wrap(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "list pending commands"}.wrap(err)
	}
	return out, nil
}

// Overdue: sent_at is in unix microseconds.
func (cs commandStore) Overdue(ctx context.Context, now time.Time, grace time.Duration, limit int) ([]*domain.Command, error) {
	rows, err := cs.s.read(ctx).QueryContext(ctx, "SELECT "+commandCols+" FROM commands"+
		" WHERE status IN ('sent', 'running') AND sent_at IS NOT NULL"+
		" AND sent_at + timeout_seconds * 1000000 + ? <= ? ORDER BY sent_at, id LIMIT ?",
		grace.Microseconds(), micros(now), pendingLimit(limit))
	if err != nil {
		return nil, failure{op: "list overdue commands"}.wrap(err)
	}
	defer rows.Close()
	out := []*domain.Command{}
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, failure{op: "list overdue commands"}.wrap(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "list overdue commands"}.wrap(err)
	}
	return out, nil
}

// Expired: expires_at is in unix microseconds.
func (cs commandStore) Expired(ctx context.Context, now time.Time, limit int) ([]*domain.Command, error) {
	rows, err := cs.s.read(ctx).QueryContext(ctx, "SELECT "+commandCols+" FROM commands"+
		" WHERE status = 'queued' AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
		micros(now), pendingLimit(limit))
	if err != nil {
		return nil, failure{op: "list expired commands"}.wrap(err)
	}
	defer rows.Close()
	out := []*domain.Command{}
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, failure{op: "list expired commands"}.wrap(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "list expired commands"}.wrap(err)
	}
	return out, nil
}

// pendingLimit bounds Pending: a non-positive limit is the default page.
func pendingLimit(limit int) int {
	if limit <= 0 {
		return domain.DefaultPageSize
	}
	return min(limit, 10*domain.MaxPageSize)
}

// CountByBatch tallies a batch's commands by status; an unknown batch has none.
func (cs commandStore) CountByBatch(ctx context.Context, batchID string) (domain.RunCounts, error) {
	out := domain.RunCounts{}
	if !domain.ValidID(batchID) {
		return out, nil
	}
	rows, err := cs.s.read(ctx).QueryContext(ctx, "SELECT status, count(*) FROM commands WHERE batch_id = ? GROUP BY status", batchID)
	if err != nil {
		return nil, failure{op: "count batch"}.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, failure{op: "count batch"}.wrap(err)
		}
		out[domain.CommandStatus(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "count batch"}.wrap(err)
	}
	return out, nil
}
