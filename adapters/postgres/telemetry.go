package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type telemetryStore struct {
	q    querier
	pool *pgxpool.Pool
	tx   pgx.Tx // non-nil inside InTx: Write then runs in a savepoint of it
}

var _ ports.TelemetryStore = telemetryStore{}

// Query bounds (the REST edge passes from, to and step as given).
const (
	minMetricStep   = time.Second
	maxMetricPoints = 10_000
)

// pruneChunk is how many samples one DELETE of Prune removes, so a large
// backlog never becomes one huge statement holding its locks and WAL.
const pruneChunk = 10_000

// sampleCols lists the columns of device_metrics and device_latest, in the
// order the staging table holds them and sampleRow fills them.
const sampleCols = "device_id, at, cpu_percent, memory_used, memory_total, disk_used, disk_total," +
	" net_rx_bps, net_tx_bps, load1, uptime, process_count, detail"

// sampleFields is the number of columns in sampleCols.
const sampleFields = 13

// Write ingests a batch: COPY into a per-session temporary staging table,
// then three statements, in this order:
//
//  1. lock the batch's devices in id order, raise their last_seen_at, and
//     drop the samples of unknown devices from the stage. Locking in one
//     global order first means concurrent Writes (from any number of
//     nodes), Presence.Mark (which locks the same way) and device deletes
//     queue on each other rather than deadlock; every later statement only
//     touches rows of devices this transaction already holds.
//  2. INSERT ... SELECT the stage into device_metrics, ON CONFLICT DO
//     NOTHING, so a redelivered sample is ignored.
//  3. upsert each device's newest sample into device_latest, only where it
//     is newer than the stored one.
//
// COPY cannot skip duplicates or rows of unknown devices, hence the staging
// table; it lives in the session (temp_buffers, no WAL, created once per
// connection) and empties itself at commit (ON COMMIT DELETE ROWS).
// Samples of malformed device ids or without a time are dropped with the
// unknown ones; a Detail that is not valid UTF-8 text is stored empty.
func (st telemetryStore) Write(ctx context.Context, samples []domain.MetricSample, seen time.Time) error {
	ctx = system(ctx)
	rows := stageRows(samples)
	if len(rows) == 0 {
		return nil
	}
	var seenArg *time.Time // NULL: no presence change
	if !seen.IsZero() {
		t := stamp(seen)
		seenArg = &t
	}
	if st.tx != nil {
		return writeInTx(ctx, st.tx, rows, seenArg)
	}
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		return translate("acquire connection", err)
	}
	defer conn.Release()
	return writeOwnTx(ctx, conn.Conn(), rows, seenArg)
}

// writeOwnTx runs the batch in a transaction of its own in two round trips:
// BEGIN and COPY go in one simple query, the three statements and COMMIT in
// one pipeline. Under CPU contention every round trip costs a wake-up of
// both sides, so this measured about 7 % faster than five separate ones.
func writeOwnTx(ctx context.Context, conn *pgx.Conn, rows []sampleRow, seen *time.Time) error {
	create := !stageReady(conn)
	sql := "BEGIN; " + copyStageSQL
	if create {
		sql = "BEGIN; " + createStageSQL + "; " + copyStageSQL
	}
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(encodeCopy(rows)), sql); err != nil {
		rollbackOwn(ctx, conn)
		return translate("copy samples", err)
	}
	var batch pgx.Batch
	batch.Queue(writeDevicesSQL, seen)
	batch.Queue(writeMetricsSQL)
	batch.Queue(writeLatestSQL)
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, &batch).Close(); err != nil {
		rollbackOwn(ctx, conn)
		return translate("write samples", err)
	}
	if create {
		// Committed: the table now lives as long as the session.
		conn.PgConn().CustomData()[stageKey] = true
	}
	return nil
}

// rollbackOwn ends a transaction writeOwnTx left open, even when ctx is
// already cancelled. (The pool would otherwise drop the connection.)
func rollbackOwn(ctx context.Context, conn *pgx.Conn) {
	if conn.IsClosed() || conn.PgConn().TxStatus() == 'I' {
		return
	}
	_ = conn.PgConn().Exec(context.WithoutCancel(ctx), "ROLLBACK").Close()
}

// writeInTx runs the batch inside a caller's InTx, in a savepoint so a
// failure leaves the caller's transaction usable. No commit empties the
// stage here, so the last statement does; a table created here may still
// vanish with the caller's rollback, so the connection is not marked.
func writeInTx(ctx context.Context, outer pgx.Tx, rows []sampleRow, seen *time.Time) error {
	tx, err := outer.Begin(ctx)
	if err != nil {
		return translate("begin savepoint", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// System work: back to the connection's own role, which an earlier
	// statement of the caller's transaction may have left (wall.go).
	if _, err := tx.Exec(ctx, leaveSQL); err != nil {
		return translate("leave the tenant wall", err)
	}
	conn := tx.Conn()
	if !stageReady(conn) {
		if _, err := tx.Exec(ctx, createStageSQL); err != nil {
			return translate("create telemetry staging table", err)
		}
	}
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(encodeCopy(rows)), copyStageSQL); err != nil {
		return translate("copy samples", err)
	}
	var batch pgx.Batch
	batch.Queue(writeDevicesSQL, seen)
	batch.Queue(writeMetricsSQL)
	batch.Queue(writeLatestSQL)
	batch.Queue("DELETE FROM pg_temp." + stageTable)
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return translate("write samples", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return translate("release savepoint", err)
	}
	return nil
}

const stageTable = "telemetry_stage"

const createStageSQL = `CREATE TEMP TABLE IF NOT EXISTS ` + stageTable + ` (
	device_id uuid NOT NULL, at timestamptz NOT NULL, cpu_percent float8 NOT NULL, memory_used int8 NOT NULL,
	memory_total int8 NOT NULL, disk_used int8 NOT NULL, disk_total int8 NOT NULL, net_rx_bps float8 NOT NULL,
	net_tx_bps float8 NOT NULL, load1 float8 NOT NULL, uptime int8 NOT NULL, process_count int4 NOT NULL,
	detail text NOT NULL) ON COMMIT DELETE ROWS`

// stageKey marks, in a connection's CustomData, that its session has the
// staging table for good (created by a committed transaction of its own).
const stageKey = "breeze.telemetry_stage"

func stageReady(conn *pgx.Conn) bool { return conn.PgConn().CustomData()[stageKey] == true }

// seenIfLinked is Write's seen ($1, NULL when zero) for a device that is
// pending, offline or online (those a reporting device moves from to
// online), NULL for any other.
const seenIfLinked = "(CASE WHEN d.status IN ('" + string(domain.DevicePending) + "', '" + string(domain.DeviceOffline) +
	"', '" + string(domain.DeviceOnline) + "') THEN $1::timestamptz END)"

// The statements of Write; see Write for why they run in this order.
const (
	// writeDevicesSQL locks the batch's devices in id order (LockRows sits
	// above the Sort), raises their last_seen_at, and drops the samples of
	// devices it did not find from the stage, so the next two statements
	// need no join with devices. $1 is Write's seen (NULL when zero): a
	// pending, offline or online device then also becomes online and is
	// seen at $1 (greatest ignores NULL), and a row already online and
	// seen later is not rewritten.
	writeDevicesSQL = `WITH locked AS (
		SELECT dd.id, u.at
		FROM devices dd
		JOIN (SELECT device_id, max(at) AS at FROM pg_temp.` + stageTable + ` GROUP BY device_id) u ON dd.id = u.device_id
		ORDER BY dd.id
		FOR NO KEY UPDATE OF dd),
	seen AS (
		UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, x.at, ` + seenIfLinked + `),
			status = CASE WHEN ` + seenIfLinked + ` IS NULL THEN d.status ELSE '` + string(domain.DeviceOnline) + `' END
		FROM locked x
		WHERE d.id = x.id AND (d.last_seen_at IS NULL OR d.last_seen_at < greatest(x.at, ` + seenIfLinked + `)
			OR (` + seenIfLinked + ` IS NOT NULL AND d.status <> '` + string(domain.DeviceOnline) + `')))
	DELETE FROM pg_temp.` + stageTable + ` s WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.id = s.device_id)`

	writeMetricsSQL = `INSERT INTO device_metrics (` + sampleCols + `)
	SELECT ` + sampleCols + ` FROM pg_temp.` + stageTable + `
	ORDER BY device_id, at
	ON CONFLICT (device_id, at) DO NOTHING`

	writeLatestSQL = `INSERT INTO device_latest (` + sampleCols + `)
	SELECT DISTINCT ON (device_id) ` + sampleCols + ` FROM pg_temp.` + stageTable + `
	ORDER BY device_id, at DESC
	ON CONFLICT (device_id) DO UPDATE SET at = excluded.at, cpu_percent = excluded.cpu_percent,
		memory_used = excluded.memory_used, memory_total = excluded.memory_total, disk_used = excluded.disk_used,
		disk_total = excluded.disk_total, net_rx_bps = excluded.net_rx_bps, net_tx_bps = excluded.net_tx_bps,
		load1 = excluded.load1, uptime = excluded.uptime, process_count = excluded.process_count,
		detail = excluded.detail
	WHERE excluded.at > device_latest.at`
)

// sampleRow is a sample as stored: counters fit bigint, text is storable.
type sampleRow struct {
	deviceID                                       [16]byte
	at                                             time.Time
	cpu, netRx, netTx, load1                       float64
	memUsed, memTotal, diskUsed, diskTotal, uptime int64
	procs                                          int32
	detail                                         string
}

func stageRows(samples []domain.MetricSample) []sampleRow {
	rows := make([]sampleRow, 0, len(samples))
	for _, s := range samples {
		if !domain.ValidID(s.DeviceID) || s.At.IsZero() {
			continue
		}
		detail := s.Detail
		if !storable(detail) {
			detail = ""
		}
		rows = append(rows, sampleRow{
			deviceID: uuidBytes(s.DeviceID), at: stamp(s.At),
			cpu: s.CPUPercent, netRx: s.NetRxBps, netTx: s.NetTxBps, load1: s.Load1,
			memUsed: clampInt64(s.MemoryUsed), memTotal: clampInt64(s.MemoryTotal),
			diskUsed: clampInt64(s.DiskUsed), diskTotal: clampInt64(s.DiskTotal), uptime: clampInt64(s.Uptime),
			procs: int32(max(0, min(s.ProcessCount, math.MaxInt32))), detail: detail,
		})
	}
	return rows
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// copyStageSQL loads the staging table in PostgreSQL's binary COPY format.
var copyStageSQL = "COPY pg_temp." + stageTable + " (" + sampleCols + ") FROM STDIN (FORMAT binary)"

// pgEpochMicros is 2000-01-01 UTC, the origin of binary timestamps, in Unix µs.
const pgEpochMicros = 946_684_800_000_000

// encodeCopy writes rows in the binary COPY format (a signature, then per
// row a field count and length-prefixed big-endian fields, then -1). The
// column types are fixed by createStageSQL, so nothing needs a lookup: this
// skips pgx's per-value reflection and the round trip that describes the
// table, a third of the client's work per sample.
func encodeCopy(rows []sampleRow) []byte {
	buf := make([]byte, 0, 19+2+len(rows)*(2+13*4+16+8*10+4+160))
	buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
	buf = binary.BigEndian.AppendUint32(buf, 0) // flags
	buf = binary.BigEndian.AppendUint32(buf, 0) // header extension length
	i64 := func(v int64) {
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(v))
	}
	f64 := func(v float64) {
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(v))
	}
	for i := range rows {
		r := &rows[i]
		buf = binary.BigEndian.AppendUint16(buf, sampleFields)
		buf = binary.BigEndian.AppendUint32(buf, 16)
		buf = append(buf, r.deviceID[:]...)
		i64(r.at.UnixMicro() - pgEpochMicros)
		f64(r.cpu)
		i64(r.memUsed)
		i64(r.memTotal)
		i64(r.diskUsed)
		i64(r.diskTotal)
		f64(r.netRx)
		f64(r.netTx)
		f64(r.load1)
		i64(r.uptime)
		buf = binary.BigEndian.AppendUint32(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, uint32(r.procs))
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(r.detail)))
		buf = append(buf, r.detail...)
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff) // trailer: -1
}

const latestCols = "l.device_id, l.at, l.cpu_percent, l.memory_used, l.memory_total, l.disk_used, l.disk_total," +
	" l.net_rx_bps, l.net_tx_bps, l.load1, l.uptime, l.process_count, l.detail"

// Latest returns the device's newest sample when the scope covers the device.
func (st telemetryStore) Latest(ctx context.Context, s domain.Scope, deviceID string) (*domain.MetricSample, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(deviceID) {
		return nil, notFound("metric sample")
	}
	a := args{deviceID}
	var m domain.MetricSample
	var memUsed, memTotal, diskUsed, diskTotal, uptime int64
	var procs int32
	err := st.q.QueryRow(ctx, "SELECT "+latestCols+" FROM device_latest l JOIN devices d ON d.id = l.device_id"+
		" WHERE l.device_id = $1 AND "+tenantScope.where(s, &a, "d."), a...).Scan(
		&m.DeviceID, &m.At, &m.CPUPercent, &memUsed, &memTotal, &diskUsed, &diskTotal,
		&m.NetRxBps, &m.NetTxBps, &m.Load1, &uptime, &procs, &m.Detail)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("metric sample")
	}
	if err != nil {
		return nil, translate("get latest sample", err)
	}
	m.At = m.At.UTC()
	m.MemoryUsed, m.MemoryTotal = uint64(max(memUsed, 0)), uint64(max(memTotal, 0))
	m.DiskUsed, m.DiskTotal, m.Uptime = uint64(max(diskUsed, 0)), uint64(max(diskTotal, 0)), uint64(max(uptime, 0))
	m.ProcessCount = int(procs)
	return &m, nil
}

// Query downsamples [from, to) into buckets of step, bucket k covering
// [from + k*step, from + (k+1)*step). The bucket is computed exactly on
// microseconds (extract(epoch) is numeric), so a sample on a boundary always
// falls in the later bucket.
func (st telemetryStore) Query(ctx context.Context, s domain.Scope, deviceID string, from, to time.Time, step time.Duration) ([]domain.MetricPoint, error) {
	ctx = tenant(ctx, s)
	from, to = stamp(from), stamp(to)
	stepUS := step.Microseconds()
	if err := st.checkQuery(ctx, s, deviceID, from, to, step, "query metrics"); err != nil {
		return nil, err
	}
	rows, err := st.q.Query(ctx, `SELECT floor((extract(epoch FROM at) - extract(epoch FROM $2::timestamptz)) * 1000000 / $4)::bigint AS b,
			count(*), avg(cpu_percent), max(cpu_percent), avg(memory_used)::float8, avg(memory_total)::float8,
			avg(disk_used)::float8, avg(disk_total)::float8, avg(net_rx_bps), avg(net_tx_bps), avg(load1)
		FROM device_metrics
		WHERE device_id = $1 AND at >= $2 AND at < $3
		GROUP BY b ORDER BY b`, deviceID, from, to, stepUS)
	if err != nil {
		return nil, translate("query metrics", err)
	}
	defer rows.Close()
	out := []domain.MetricPoint{}
	for rows.Next() {
		var p domain.MetricPoint
		var bucket int64
		if err := rows.Scan(&bucket, &p.Samples, &p.CPUAvg, &p.CPUMax, &p.MemoryUsed, &p.MemoryTotal,
			&p.DiskUsed, &p.DiskTotal, &p.NetRxBps, &p.NetTxBps, &p.Load1); err != nil {
			return nil, translate("query metrics", err)
		}
		p.At = from.Add(time.Duration(bucket*stepUS) * time.Microsecond)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("query metrics", err)
	}
	return out, nil
}

// checkQuery refuses a bad window and a device outside s (ErrNotFound).
func (st telemetryStore) checkQuery(ctx context.Context, s domain.Scope, deviceID string, from, to time.Time, step time.Duration, op string) error {
	switch {
	case !from.Before(to):
		return domain.Invalidf("metrics range is empty: from must be before to")
	case step < minMetricStep:
		return domain.Invalidf("metrics step must be at least %s", minMetricStep)
	case to.Sub(from)/step > maxMetricPoints:
		return domain.Invalidf("metrics range holds more than %d steps: use a larger step", maxMetricPoints)
	}
	if !domain.ValidID(deviceID) {
		return notFound("device")
	}
	a := args{deviceID}
	var visible bool
	if err := st.q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1 AND "+
		tenantScope.where(s, &a, "")+")", a...).Scan(&visible); err != nil {
		return translate(op, err)
	}
	if !visible {
		return notFound("device")
	}
	return nil
}

// QuerySeries downsamples one collector plugin metric from the samples'
// detail JSON (see ports.TelemetryStore).
func (st telemetryStore) QuerySeries(ctx context.Context, s domain.Scope, deviceID string, series domain.PluginSeries, from, to time.Time, step time.Duration) ([]domain.SeriesPoint, error) {
	ctx = tenant(ctx, s)
	from, to = stamp(from), stamp(to)
	stepUS := step.Microseconds()
	if !storable(series.Plugin) || !storable(series.Name) {
		return nil, notFound("device")
	}
	if err := st.checkQuery(ctx, s, deviceID, from, to, step, "query plugin metric"); err != nil {
		return nil, err
	}
	// Only rows with plugin metrics are parsed (a cheap text test first;
	// a sample without detail has none).
	rows, err := st.q.Query(ctx, `SELECT floor((extract(epoch FROM m.at) - extract(epoch FROM $2::timestamptz)) * 1000000 / $4)::bigint AS b,
			count(*), avg(v), min(v), max(v)
		FROM device_metrics AS m,
			LATERAL (SELECT (e->>'value')::float8 AS v
				FROM jsonb_array_elements(CASE WHEN m.detail LIKE '%"plugins":%'
					THEN m.detail::jsonb->'plugins' ELSE '[]'::jsonb END) AS e
				WHERE e->>'plugin' = $5 AND e->>'name' = $6) AS x
		WHERE m.device_id = $1 AND m.at >= $2 AND m.at < $3
		GROUP BY b ORDER BY b`, deviceID, from, to, stepUS, series.Plugin, series.Name)
	if err != nil {
		return nil, translate("query plugin metric", err)
	}
	defer rows.Close()
	out := []domain.SeriesPoint{}
	for rows.Next() {
		var p domain.SeriesPoint
		var bucket int64
		if err := rows.Scan(&bucket, &p.Samples, &p.Avg, &p.Min, &p.Max); err != nil {
			return nil, translate("query plugin metric", err)
		}
		p.At = from.Add(time.Duration(bucket*stepUS) * time.Microsecond)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("query plugin metric", err)
	}
	return out, nil
}

// Prune deletes samples older than before, pruneChunk at a time.
func (st telemetryStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	ctx = system(ctx)
	var total int64
	for {
		tag, err := st.q.Exec(ctx, `DELETE FROM device_metrics WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM device_metrics WHERE at < $1 LIMIT $2))`, stamp(before), pruneChunk)
		if err != nil {
			return total, translate("prune metrics", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneChunk {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("postgres: prune metrics: %w", err)
		}
	}
}
