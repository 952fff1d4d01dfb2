package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type auditStore struct{ s *Store }

const auditCols = "seq, id, at, actor_type, actor_id, action, resource_type, resource_id, partner_id, org_id," +
	" outcome, ip, user_agent, request_id, details, prev_hash, hash"

func scanAudit(r rowScanner) (*domain.AuditEntry, error) {
	var e domain.AuditEntry
	var at int64
	var outcome string
	if err := r.Scan(&e.Seq, &e.ID, &at, &e.ActorType, &e.ActorID, &e.Action, &e.ResourceType, &e.ResourceID,
		&e.PartnerID, &e.OrgID, &outcome, &e.IP, &e.UserAgent, &e.RequestID, &e.Details, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.At, e.Outcome = fromMicros(at), domain.AuditOutcome(outcome)
	return &e, nil
}

// Append links e to the chain. SQLite has one writer and every write runs in
// a BEGIN IMMEDIATE transaction, so reading the last row and inserting the
// next cannot interleave with another Append, even from another process on
// the same file. Inside InTx the row commits or rolls back with the rest.
func (as auditStore) Append(ctx context.Context, e *domain.AuditEntry) error {
	if e == nil {
		return domain.Invalidf("audit entry is required")
	}
	row := *e
	if row.ID == "" {
		row.ID = domain.NewID()
	} else if !domain.ValidID(row.ID) {
		return domain.Invalidf("audit entry id %q is not a canonical lower-case UUID", row.ID)
	}
	if row.At.IsZero() {
		row.At = now()
	} else {
		row.At = row.At.UTC().Truncate(time.Microsecond) // the stored precision, which the hash covers
	}
	row.Truncate()
	err := as.s.write(ctx, func(q queryer) error {
		var last int64
		var prev string
		err := q.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return failure{op: "read audit chain head"}.wrap(err)
		}
		row.Seq, row.PrevHash = last+1, prev
		row.Hash = row.ComputeHash(prev)
		_, err = q.ExecContext(ctx, "INSERT INTO audit_log ("+auditCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			row.Seq, row.ID, micros(row.At), row.ActorType, row.ActorID, row.Action, row.ResourceType, row.ResourceID,
			row.PartnerID, row.OrgID, string(row.Outcome), row.IP, row.UserAgent, row.RequestID, row.Details,
			row.PrevHash, row.Hash)
		return failure{
			op:     "append audit entry",
			unique: fmt.Sprintf("audit entry %s already exists", row.ID),
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	*e = row
	return nil
}

// List pages newest first: the cursor names the last row returned, and the
// next page resumes below its seq.
func (as auditStore) List(ctx context.Context, s domain.Scope, f ports.AuditFilter, page domain.PageRequest) (domain.Page[*domain.AuditEntry], error) {
	page = page.Normalize()
	after, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return domain.Page[*domain.AuditEntry]{}, err
	}
	var flt filter
	for _, c := range []struct{ col, v string }{
		{"actor_id", f.ActorID}, {"action", f.Action}, {"resource_type", f.ResourceType},
		{"resource_id", f.ResourceID}, {"org_id", f.OrgID},
	} {
		if c.v != "" {
			flt.add(c.col+" = ?", c.v)
		}
	}
	if !f.From.IsZero() {
		flt.add("at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		flt.add("at < ?", micros(f.To))
	}
	args := flt.args
	conds := append(flt.conds, auditScope.where(s, "", &args))
	if after != "" {
		conds = append(conds, "seq < (SELECT seq FROM audit_log WHERE id = ?)")
		args = append(args, after)
	}
	args = append(args, page.Limit+1)
	rows, err := as.s.read(ctx).QueryContext(ctx, "SELECT "+auditCols+" FROM audit_log WHERE "+
		strings.Join(conds, " AND ")+" ORDER BY seq DESC LIMIT ?", args...)
	if err != nil {
		return domain.Page[*domain.AuditEntry]{}, failure{op: "list audit log"}.wrap(err)
	}
	defer rows.Close()
	out := domain.Page[*domain.AuditEntry]{Items: make([]*domain.AuditEntry, 0, min(page.Limit, 64))}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return domain.Page[*domain.AuditEntry]{}, failure{op: "list audit log"}.wrap(err)
		}
		out.Items = append(out.Items, e)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[*domain.AuditEntry]{}, failure{op: "list audit log"}.wrap(err)
	}
	if len(out.Items) > page.Limit {
		out.Items = out.Items[:page.Limit]
		out.NextCursor = domain.EncodeCursor(out.Items[page.Limit-1].ID)
	}
	return out, nil
}

// Verify reads the whole log in one statement (one consistent snapshot) in
// seq order and stops at the first row whose seq, prev_hash or hash does not
// follow from the row before it. checked counts the rows read, the broken
// one included. Cutting rows off the end leaves no broken link: compare the
// last seq with an exported copy to detect that.
func (as auditStore) Verify(ctx context.Context) (*domain.AuditBreak, int64, error) {
	rows, err := as.s.read(ctx).QueryContext(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY seq")
	if err != nil {
		return nil, 0, failure{op: "verify audit log"}.wrap(err)
	}
	defer rows.Close()
	var checked, lastSeq int64
	lastHash := ""
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, checked, failure{op: "verify audit log"}.wrap(err)
		}
		checked++
		var reason string
		switch {
		case e.Seq != lastSeq+1:
			reason = fmt.Sprintf("seq %d follows seq %d: rows are missing", e.Seq, lastSeq)
		case e.PrevHash != lastHash:
			reason = "prev_hash does not match the previous row's hash"
		case e.Hash != e.ComputeHash(lastHash):
			reason = "hash does not match the row's contents"
		}
		if reason != "" {
			return &domain.AuditBreak{Seq: e.Seq, ID: e.ID, Reason: reason}, checked, nil
		}
		lastSeq, lastHash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return nil, checked, failure{op: "verify audit log"}.wrap(err)
	}
	return nil, checked, nil
}

var _ ports.AuditStore = auditStore{}
