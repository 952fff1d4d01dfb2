package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Updates keeps agent releases and rollouts (see ports.UpdateStore).
func (s *Store) Updates() ports.UpdateStore { return updateStore{s} }

type updateStore struct{ s *Store }

var _ ports.UpdateStore = updateStore{}

func textsOK(vs ...string) bool {
	for _, v := range vs {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return false
		}
	}
	return true
}

func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

const releaseCols = "id, version, os, arch, sha256, size, signature, notes, created_by, created_at"

func scanRelease(r rowScanner) (*domain.AgentRelease, error) {
	var out domain.AgentRelease
	var at int64
	if err := r.Scan(&out.ID, &out.Version, &out.OS, &out.Arch, &out.SHA256, &out.Size, &out.Signature, &out.Notes, &out.CreatedBy, &at); err != nil {
		return nil, err
	}
	out.CreatedAt = fromMicros(at)
	return &out, nil
}

func queryRows[T any](ctx context.Context, q queryer, op, query string, scan func(rowScanner) (T, error), a ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, a...)
	if err != nil {
		return nil, failure{op: op}.wrap(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, failure{op: op}.wrap(err)
		}
		out = append(out, v)
	}
	return out, failure{op: op}.wrap(rows.Err())
}

func (us updateStore) CreateRelease(ctx context.Context, r *domain.AgentRelease, data []byte) error {
	if r == nil || len(data) == 0 {
		return domain.Invalidf("a release needs its build")
	}
	if !textsOK(r.Version, r.OS, r.Arch, r.SHA256, r.Signature, r.Notes, r.CreatedBy) {
		return domain.Invalidf("release text must be valid UTF-8 without NUL bytes")
	}
	id, err := newID("release", r.ID)
	if err != nil {
		return err
	}
	at := now()
	err = us.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, `INSERT INTO agent_releases (id, version, os, arch, sha256, size, signature, notes, created_by, created_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.Version, r.OS, r.Arch, r.SHA256, r.Size, r.Signature, r.Notes, r.CreatedBy, micros(at), data)
		return failure{op: "create release", unique: "a release of that version for that platform already exists"}.wrap(err)
	})
	if err != nil {
		return err
	}
	r.ID, r.CreatedAt = id, at
	return nil
}

func (us updateStore) ListReleases(ctx context.Context) ([]*domain.AgentRelease, error) {
	return queryRows(ctx, us.s.read(ctx), "list releases", "SELECT "+releaseCols+" FROM agent_releases ORDER BY created_at DESC, id DESC", scanRelease)
}

func (us updateStore) GetRelease(ctx context.Context, id string) (*domain.AgentRelease, error) {
	r, err := scanRelease(us.s.read(ctx).QueryRowContext(ctx, "SELECT "+releaseCols+" FROM agent_releases WHERE id = ?", id))
	if err != nil {
		return nil, failure{op: "get release"}.wrap(err)
	}
	return r, nil
}

func (us updateStore) FindRelease(ctx context.Context, version, os, arch string) (*domain.AgentRelease, error) {
	r, err := scanRelease(us.s.read(ctx).QueryRowContext(ctx, "SELECT "+releaseCols+" FROM agent_releases WHERE version = ? AND os = ? AND arch = ?",
		version, os, arch))
	if err != nil {
		return nil, failure{op: "find release"}.wrap(err)
	}
	return r, nil
}

func (us updateStore) ReleaseData(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	if err := us.s.read(ctx).QueryRowContext(ctx, "SELECT data FROM agent_releases WHERE id = ?", id).Scan(&data); err != nil {
		return nil, failure{op: "read release"}.wrap(err)
	}
	return data, nil
}

const rolloutCols = "id, partner_id, org_id, site_id, scope_kind, scope_id, version, stages, pause_seconds," +
	" failure_threshold, allow_downgrade, trial_seconds, state, stage, next_stage_at, reason, created_by, row_version, created_at, updated_at"

func scanRollout(row rowScanner) (*domain.Rollout, error) {
	var r domain.Rollout
	var stages string
	var next sql.NullInt64
	var allow int
	var created, updated int64
	if err := row.Scan(&r.ID, &r.PartnerID, &r.OrgID, &r.SiteID, &r.ScopeKind, &r.ScopeID, &r.Version, &stages, &r.PauseSeconds,
		&r.FailureThreshold, &allow, &r.TrialSeconds, &r.State, &r.Stage, &next, &r.Reason, &r.CreatedBy,
		&r.RowVersion, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(stages), &r.Stages); err != nil {
		return nil, err
	}
	if next.Valid {
		t := fromMicros(next.Int64)
		r.NextStageAt = &t
	}
	r.AllowDowngrade = allow == 1
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

func (us updateStore) CreateRollout(ctx context.Context, r *domain.Rollout) error {
	if r == nil || !domain.ValidID(r.PartnerID) || len(r.Stages) == 0 {
		return domain.Invalidf("a rollout needs a partner and stages")
	}
	if !textsOK(r.OrgID, r.SiteID, r.ScopeID, r.Version, r.CreatedBy) {
		return domain.Invalidf("rollout text must be valid UTF-8 without NUL bytes")
	}
	id, err := newID("rollout", r.ID)
	if err != nil {
		return err
	}
	stages, _ := json.Marshal(r.Stages)
	at := now()
	allow := 0
	if r.AllowDowngrade {
		allow = 1
	}
	err = us.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, `INSERT INTO agent_rollouts (id, partner_id, org_id, site_id, scope_kind, scope_id, version, stages,
			pause_seconds, failure_threshold, allow_downgrade, trial_seconds, state, stage, reason, created_by, row_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 0, '', ?, 1, ?, ?)`,
			id, r.PartnerID, r.OrgID, r.SiteID, r.ScopeKind, r.ScopeID, r.Version, string(stages), r.PauseSeconds, r.FailureThreshold,
			allow, r.TrialSeconds, r.CreatedBy, micros(at), micros(at))
		return failure{op: "create rollout", unique: "already exists", missing: "partner not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	r.ID, r.State, r.Stage, r.RowVersion, r.CreatedAt, r.UpdatedAt = id, domain.RolloutActive, 0, 1, at, at
	return nil
}

func (us updateStore) GetRollout(ctx context.Context, id string) (*domain.Rollout, error) {
	r, err := scanRollout(us.s.read(ctx).QueryRowContext(ctx, "SELECT "+rolloutCols+" FROM agent_rollouts WHERE id = ?", id))
	if err != nil {
		return nil, failure{op: "get rollout"}.wrap(err)
	}
	return r, nil
}

func (us updateStore) ListRollouts(ctx context.Context) ([]*domain.Rollout, error) {
	return queryRows(ctx, us.s.read(ctx), "list rollouts", "SELECT "+rolloutCols+" FROM agent_rollouts ORDER BY created_at DESC, id DESC", scanRollout)
}

func (us updateStore) RunningRollouts(ctx context.Context) ([]*domain.Rollout, error) {
	return queryRows(ctx, us.s.read(ctx), "list running rollouts", "SELECT "+rolloutCols+" FROM agent_rollouts WHERE state = 'active' ORDER BY created_at", scanRollout)
}

func (us updateStore) UpdateRollout(ctx context.Context, r *domain.Rollout) (bool, error) {
	var next any
	if r.NextStageAt != nil {
		next = micros(*r.NextStageAt)
	}
	at := now()
	done := false
	err := us.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, `UPDATE agent_rollouts SET state = ?, stage = ?, next_stage_at = ?, reason = ?,
			row_version = row_version + 1, updated_at = ? WHERE id = ? AND row_version = ?`,
			r.State, r.Stage, next, clipTo(r.Reason, 1000), micros(at), r.ID, r.RowVersion)
		if err != nil {
			return failure{op: "update rollout", unique: "already exists"}.wrap(err)
		}
		n, err := res.RowsAffected()
		done = n == 1
		return err
	})
	if err != nil || !done {
		return false, err
	}
	r.RowVersion++
	r.UpdatedAt = at
	return true, nil
}

const deviceUpdateColsD = "d.rollout_id, d.device_id, d.org_id, d.stage, d.state, d.from_version, d.error, d.offered_at, d.updated_at"

func scanDeviceUpdate(row rowScanner) (domain.DeviceUpdate, error) {
	var u domain.DeviceUpdate
	var offered sql.NullInt64
	var updated int64
	if err := row.Scan(&u.RolloutID, &u.DeviceID, &u.OrgID, &u.Stage, &u.State, &u.FromVersion, &u.Error, &offered, &updated); err != nil {
		return u, err
	}
	if offered.Valid {
		t := fromMicros(offered.Int64)
		u.OfferedAt = &t
	}
	u.UpdatedAt = fromMicros(updated)
	return u, nil
}

func (us updateStore) AssignDevices(ctx context.Context, list []domain.DeviceUpdate) (int, error) {
	n := 0
	err := us.s.write(ctx, func(q queryer) error {
		for _, u := range list {
			res, err := q.ExecContext(ctx, `INSERT INTO agent_rollout_devices (rollout_id, device_id, org_id, stage, state, from_version, error, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				u.RolloutID, u.DeviceID, u.OrgID, u.Stage, u.State, clipTo(u.FromVersion, 100), clipTo(u.Error, 1000), micros(u.UpdatedAt))
			if err != nil {
				return failure{op: "assign devices", missing: "device not found"}.wrap(err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

func (us updateStore) SetDeviceUpdate(ctx context.Context, u domain.DeviceUpdate, from []string) (bool, error) {
	var offered any
	if u.OfferedAt != nil {
		offered = micros(*u.OfferedAt)
	}
	cond, a := "", []any{u.State, clipTo(u.Error, 1000), offered, micros(u.UpdatedAt), u.RolloutID, u.DeviceID}
	if len(from) > 0 {
		cond = " AND state IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(from)), ", ") + ")"
		for _, f := range from {
			a = append(a, f)
		}
	}
	done := false
	err := us.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, `UPDATE agent_rollout_devices SET state = ?, error = ?, offered_at = coalesce(?, offered_at), updated_at = ?
			WHERE rollout_id = ? AND device_id = ?`+cond, a...)
		if err != nil {
			return failure{op: "set device update"}.wrap(err)
		}
		n, err := res.RowsAffected()
		done = n == 1
		return err
	})
	return done, err
}

func (us updateStore) DeviceUpdates(ctx context.Context, rolloutID string) ([]domain.DeviceUpdate, error) {
	return queryRows(ctx, us.s.read(ctx), "list device updates",
		"SELECT "+deviceUpdateColsD+" FROM agent_rollout_devices d WHERE d.rollout_id = ? ORDER BY d.stage, d.device_id", scanDeviceUpdate, rolloutID)
}

func (us updateStore) LatestDeviceUpdate(ctx context.Context, deviceID string) (*domain.DeviceUpdate, error) {
	u, err := scanDeviceUpdate(us.s.read(ctx).QueryRowContext(ctx, "SELECT "+deviceUpdateColsD+` FROM agent_rollout_devices d
		JOIN agent_rollouts r ON r.id = d.rollout_id WHERE d.device_id = ? ORDER BY r.created_at DESC LIMIT 1`, deviceID))
	if err != nil {
		return nil, failure{op: "latest device update"}.wrap(err)
	}
	return &u, nil
}

func (us updateStore) StaleDeviceUpdates(ctx context.Context, states []string, before time.Time, limit int) ([]domain.DeviceUpdate, error) {
	if len(states) == 0 {
		return nil, nil
	}
	a := []any{}
	for _, s := range states {
		a = append(a, s)
	}
	a = append(a, micros(before), limit)
	return queryRows(ctx, us.s.read(ctx), "stale device updates", "SELECT "+deviceUpdateColsD+` FROM agent_rollout_devices d
		JOIN agent_rollouts r ON r.id = d.rollout_id
		WHERE r.state = 'active' AND d.state IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")+`) AND d.updated_at < ?
		ORDER BY d.updated_at LIMIT ?`, scanDeviceUpdate, a...)
}
