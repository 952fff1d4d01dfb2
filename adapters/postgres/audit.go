package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// auditStore appends through batch when it is the root store's (outside
// any transaction), inline in the transaction otherwise.
type auditStore struct {
	q     querier
	batch *auditBatcher
}

var _ ports.AuditStore = auditStore{}

// auditLockKey is the pg_advisory_xact_lock key that serialises appends
// across every server node on the database ("brzaudit" in ASCII).
const auditLockKey int64 = 0x62727a6175646974

const auditCols = "seq, id, at, actor_type, actor_id, action, resource_type, resource_id, partner_id, org_id," +
	" outcome, ip, user_agent, request_id, details, prev_hash, hash"

func scanAudit(row pgx.Row) (*domain.AuditEntry, error) {
	var e domain.AuditEntry
	if err := row.Scan(&e.Seq, &e.ID, &e.At, &e.ActorType, &e.ActorID, &e.Action, &e.ResourceType, &e.ResourceID,
		&e.PartnerID, &e.OrgID, &e.Outcome, byteaString{&e.IP}, byteaString{&e.UserAgent}, byteaString{&e.RequestID},
		byteaString{&e.Details}, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.At = e.At.UTC()
	return &e, nil
}

// Append links e to the chain. Inside a transaction (a savepoint when the
// store is already in one) it takes a transaction-scoped advisory lock, reads
// the chain head and inserts head+1: the lock is held until the outermost
// transaction ends, so no other node can read the same head, and a rolled
// back append leaves no gap. Inside InTx this makes other appenders wait for
// that transaction to finish.
//
// ip, user_agent, request_id and details are stored as bytes, exactly as
// hashed. The other fields are text columns, which hold only UTF-8 without
// NUL bytes; rather than lose the row, such bytes are replaced before
// hashing (U+FFFD for invalid sequences, NULs dropped) and e shows what was
// stored.
func (st auditStore) Append(ctx context.Context, e *domain.AuditEntry) error {
	ctx = system(ctx)
	row, err := prepareAudit(e)
	if err != nil {
		return err
	}
	if st.batch != nil {
		// Outside a transaction: join the next group append (one lock and
		// one commit for every row waiting), which is what lets mutating
		// requests of all nodes share the chain without queueing one
		// commit each behind the lock.
		if err := st.batch.append(ctx, row); err != nil {
			return err
		}
	} else if err := atomically(ctx, st.q, func(q querier) error { return appendChain(ctx, q, []*domain.AuditEntry{row}) }); err != nil {
		return err
	}
	*e = *row
	return nil
}

// prepareAudit fills a row's id and time and makes its text storable.
func prepareAudit(e *domain.AuditEntry) (*domain.AuditEntry, error) {
	if e == nil {
		return nil, domain.Invalidf("audit entry is required")
	}
	row := *e
	var err error
	if row.ID, err = newID(row.ID); err != nil {
		return nil, err
	}
	if row.At.IsZero() {
		row.At = now()
	}
	row.At = stamp(row.At) // the stored precision, which the hash covers
	row.Truncate()
	for _, f := range []*string{&row.ActorType, &row.ActorID, &row.Action, &row.ResourceType, &row.ResourceID,
		&row.PartnerID, &row.OrgID} {
		*f = cleanText(*f)
	}
	row.Outcome = domain.AuditOutcome(cleanText(string(row.Outcome)))
	return &row, nil
}

// appendChain links rows, in order, to the chain inside the transaction q:
// it takes the transaction-scoped advisory lock, reads the head once and
// inserts every row in one statement. It sets each row's Seq, PrevHash and
// Hash.
func appendChain(ctx context.Context, q querier, rows []*domain.AuditEntry) error {
	if _, err := q.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", auditLockKey); err != nil {
		return translate("lock audit chain", err)
	}
	var last int64
	var prev string
	err := q.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return translate("read audit chain head", err)
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO audit_log (" + auditCols + ") VALUES ")
	args := make([]any, 0, 17*len(rows))
	for i, row := range rows {
		last++
		row.Seq, row.PrevHash = last, prev
		row.Hash = row.ComputeHash(prev)
		prev = row.Hash
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(")
		for j := 1; j <= 17; j++ {
			if j > 1 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", len(args)+j)
		}
		sb.WriteString(")")
		args = append(args, row.Seq, row.ID, row.At, row.ActorType, row.ActorID, row.Action, row.ResourceType,
			row.ResourceID, row.PartnerID, row.OrgID, string(row.Outcome), bytea(row.IP), bytea(row.UserAgent),
			bytea(row.RequestID), bytea(row.Details), row.PrevHash, row.Hash)
	}
	_, err = q.Exec(ctx, sb.String(), args...)
	return translate("append audit entry", err)
}

// cleanText makes s storable in a text column.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// List pages newest first: the cursor names the last row returned and the
// next page resumes below its seq, so rows appended meanwhile do not shift
// the pages.
func (st auditStore) List(ctx context.Context, s domain.Scope, f ports.AuditFilter, page domain.PageRequest) (domain.Page[*domain.AuditEntry], error) {
	ctx = tenant(ctx, s)
	page = page.Normalize()
	after, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return domain.Page[*domain.AuditEntry]{}, err
	}
	var a args
	where := []string{auditRead(s, &a)}
	for _, c := range []struct{ col, v string }{
		{"actor_id", f.ActorID}, {"action", f.Action}, {"resource_type", f.ResourceType},
		{"resource_id", f.ResourceID}, {"org_id", f.OrgID},
	} {
		switch {
		case c.v == "":
		case !storable(c.v):
			where = append(where, "FALSE") // no stored row holds such bytes
		default:
			where = append(where, c.col+" = "+a.add(c.v))
		}
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+a.add(stamp(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+a.add(stamp(f.To)))
	}
	if after != "" {
		where = append(where, "seq < (SELECT seq FROM audit_log WHERE id = "+a.add(after)+"::uuid)")
	}
	items, err := queryAll(ctx, st.q, "SELECT "+auditCols+" FROM audit_log WHERE "+strings.Join(where, " AND ")+
		" ORDER BY seq DESC LIMIT "+a.add(page.Limit+1), a, scanAudit)
	if err != nil {
		return domain.Page[*domain.AuditEntry]{}, translate("list audit log", err)
	}
	return finishPage(items, page.Limit, func(e *domain.AuditEntry) string { return e.ID }), nil
}

// Verify streams the whole log in seq order in one statement (one snapshot)
// and stops at the first row whose seq, prev_hash or hash does not follow
// from the row before it. checked counts the rows read, the broken one
// included. Rows cut off the end leave no broken link: compare the last seq
// with an exported copy to detect that.
func (st auditStore) Verify(ctx context.Context) (*domain.AuditBreak, int64, error) {
	ctx = system(ctx)
	rows, err := st.q.Query(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY seq")
	if err != nil {
		return nil, 0, translate("verify audit log", err)
	}
	defer rows.Close()
	var checked, lastSeq int64
	lastHash := ""
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, checked, translate("verify audit log", err)
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
		return nil, checked, translate("verify audit log", err)
	}
	return nil, checked, nil
}
