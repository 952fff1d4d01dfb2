package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Updates keeps agent releases and rollouts (see ports.UpdateStore).
func (s *Store) Updates() ports.UpdateStore { return updateStore{q: s.q} }

type updateStore struct{ q querier }

var _ ports.UpdateStore = updateStore{}

const releaseCols = "id::text, version, os, arch, sha256, size, signature, notes, created_by, created_at"

func scanRelease(row pgx.Row) (*domain.AgentRelease, error) {
	var r domain.AgentRelease
	if err := row.Scan(&r.ID, &r.Version, &r.OS, &r.Arch, &r.SHA256, &r.Size, &r.Signature, &r.Notes, &r.CreatedBy, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

func (st updateStore) CreateRelease(ctx context.Context, r *domain.AgentRelease, data []byte) error {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if r == nil || len(data) == 0 {
		return domain.Invalidf("a release needs its build")
	}
	for _, v := range []string{r.Version, r.OS, r.Arch, r.SHA256, r.Signature, r.Notes, r.CreatedBy} {
		if !storable(v) {
			return domain.Invalidf("release text must be valid UTF-8 without NUL bytes")
		}
	}
	id, err := newID(r.ID)
	if err != nil {
		return err
	}
	at := stamp(time.Now())
	if _, err := st.q.Exec(ctx, `INSERT INTO agent_releases (id, version, os, arch, sha256, size, signature, notes, created_by, created_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, r.Version, r.OS, r.Arch, r.SHA256, r.Size, r.Signature, r.Notes, r.CreatedBy, at, data); err != nil {
		return translate("create release", err)
	}
	r.ID, r.CreatedAt = id, at
	return nil
}

func (st updateStore) ListReleases(ctx context.Context) ([]*domain.AgentRelease, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	out, err := queryAll(ctx, st.q, "SELECT "+releaseCols+" FROM agent_releases ORDER BY created_at DESC, id DESC", nil, scanRelease)
	return out, translate("list releases", err)
}

func (st updateStore) GetRelease(ctx context.Context, id string) (*domain.AgentRelease, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(id) {
		return nil, notFound("release")
	}
	r, err := scanRelease(st.q.QueryRow(ctx, "SELECT "+releaseCols+" FROM agent_releases WHERE id = $1", id))
	if err != nil {
		return nil, translate("get release", err)
	}
	return r, nil
}

func (st updateStore) FindRelease(ctx context.Context, version, os, arch string) (*domain.AgentRelease, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	r, err := scanRelease(st.q.QueryRow(ctx, "SELECT "+releaseCols+" FROM agent_releases WHERE version = $1 AND os = $2 AND arch = $3",
		version, os, arch))
	if err != nil {
		return nil, translate("find release", err)
	}
	return r, nil
}

func (st updateStore) ReleaseData(ctx context.Context, id string) ([]byte, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(id) {
		return nil, notFound("release")
	}
	var data []byte
	if err := st.q.QueryRow(ctx, "SELECT data FROM agent_releases WHERE id = $1", id).Scan(&data); err != nil {
		return nil, translate("read release", err)
	}
	return data, nil
}

const rolloutCols = "id::text, partner_id::text, org_id, site_id, scope_kind, scope_id, version, stages, pause_seconds," +
	" failure_threshold, allow_downgrade, trial_seconds, state, stage, next_stage_at, reason, created_by, row_version, created_at, updated_at"

func scanRollout(row pgx.Row) (*domain.Rollout, error) {
	var r domain.Rollout
	var stages string
	var next *time.Time
	if err := row.Scan(&r.ID, &r.PartnerID, &r.OrgID, &r.SiteID, &r.ScopeKind, &r.ScopeID, &r.Version, &stages, &r.PauseSeconds,
		&r.FailureThreshold, &r.AllowDowngrade, &r.TrialSeconds, &r.State, &r.Stage, &next, &r.Reason, &r.CreatedBy,
		&r.RowVersion, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(stages), &r.Stages); err != nil {
		return nil, err
	}
	if next != nil {
		t := next.UTC()
		r.NextStageAt = &t
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}

func (st updateStore) CreateRollout(ctx context.Context, r *domain.Rollout) error {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if r == nil || !domain.ValidID(r.PartnerID) || len(r.Stages) == 0 {
		return domain.Invalidf("a rollout needs a partner and stages")
	}
	for _, v := range []string{r.OrgID, r.SiteID, r.ScopeID, r.Version, r.CreatedBy} {
		if !storable(v) {
			return domain.Invalidf("rollout text must be valid UTF-8 without NUL bytes")
		}
	}
	id, err := newID(r.ID)
	if err != nil {
		return err
	}
	stages, _ := json.Marshal(r.Stages)
	at := stamp(time.Now())
	if _, err := st.q.Exec(ctx, `INSERT INTO agent_rollouts (id, partner_id, org_id, site_id, scope_kind, scope_id, version, stages,
		pause_seconds, failure_threshold, allow_downgrade, trial_seconds, state, stage, reason, created_by, row_version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', 0, '', $13, 1, $14, $14)`,
		id, r.PartnerID, r.OrgID, r.SiteID, r.ScopeKind, r.ScopeID, r.Version, string(stages), r.PauseSeconds, r.FailureThreshold,
		r.AllowDowngrade, r.TrialSeconds, r.CreatedBy, at); err != nil {
		return translate("create rollout", err)
	}
	r.ID, r.State, r.Stage, r.RowVersion, r.CreatedAt, r.UpdatedAt = id, domain.RolloutActive, 0, 1, at, at
	return nil
}

func (st updateStore) GetRollout(ctx context.Context, id string) (*domain.Rollout, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(id) {
		return nil, notFound("rollout")
	}
	r, err := scanRollout(st.q.QueryRow(ctx, "SELECT "+rolloutCols+" FROM agent_rollouts WHERE id = $1", id))
	if err != nil {
		return nil, translate("get rollout", err)
	}
	return r, nil
}

func (st updateStore) ListRollouts(ctx context.Context) ([]*domain.Rollout, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	out, err := queryAll(ctx, st.q, "SELECT "+rolloutCols+" FROM agent_rollouts ORDER BY created_at DESC, id DESC", nil, scanRollout)
	return out, translate("list rollouts", err)
}

func (st updateStore) RunningRollouts(ctx context.Context) ([]*domain.Rollout, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	out, err := queryAll(ctx, st.q, "SELECT "+rolloutCols+" FROM agent_rollouts WHERE state = 'active' ORDER BY created_at", nil, scanRollout)
	return out, translate("list running rollouts", err)
}

func (st updateStore) UpdateRollout(ctx context.Context, r *domain.Rollout) (bool, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(r.ID) {
		return false, notFound("rollout")
	}
	var next any
	if r.NextStageAt != nil {
		next = stamp(*r.NextStageAt)
	}
	at := stamp(time.Now())
	tag, err := st.q.Exec(ctx, `UPDATE agent_rollouts SET state = $3, stage = $4, next_stage_at = $5, reason = $6,
		row_version = row_version + 1, updated_at = $7 WHERE id = $1 AND row_version = $2`,
		r.ID, r.RowVersion, r.State, r.Stage, next, cut(r.Reason, 1000), at)
	if err != nil {
		return false, translate("update rollout", err)
	}
	if tag.RowsAffected() != 1 {
		return false, nil
	}
	r.RowVersion++
	r.UpdatedAt = at
	return true, nil
}

const deviceUpdateCols = "rollout_id::text, device_id::text, org_id, stage, state, from_version, error, offered_at, updated_at"

// deviceUpdateColsD is deviceUpdateCols of the table aliased d (joined
// with agent_rollouts, which shares column names).
const deviceUpdateColsD = "d.rollout_id::text, d.device_id::text, d.org_id, d.stage, d.state, d.from_version, d.error, d.offered_at, d.updated_at"

func scanDeviceUpdate(row pgx.Row) (domain.DeviceUpdate, error) {
	var u domain.DeviceUpdate
	var offered *time.Time
	if err := row.Scan(&u.RolloutID, &u.DeviceID, &u.OrgID, &u.Stage, &u.State, &u.FromVersion, &u.Error, &offered, &u.UpdatedAt); err != nil {
		return u, err
	}
	if offered != nil {
		t := offered.UTC()
		u.OfferedAt = &t
	}
	u.UpdatedAt = u.UpdatedAt.UTC()
	return u, nil
}

func (st updateStore) AssignDevices(ctx context.Context, us []domain.DeviceUpdate) (int, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	n := 0
	err := atomically(ctx, st.q, func(q querier) error {
		for _, u := range us {
			if !domain.ValidID(u.RolloutID) || !domain.ValidID(u.DeviceID) {
				return notFound("device")
			}
			tag, err := q.Exec(ctx, `INSERT INTO agent_rollout_devices (rollout_id, device_id, org_id, stage, state, from_version, error, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
				u.RolloutID, u.DeviceID, u.OrgID, u.Stage, u.State, cut(u.FromVersion, 100), cut(u.Error, 1000), stamp(u.UpdatedAt))
			if err != nil {
				return translate("assign devices", err)
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	return n, err
}

func (st updateStore) SetDeviceUpdate(ctx context.Context, u domain.DeviceUpdate, from []string) (bool, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(u.RolloutID) || !domain.ValidID(u.DeviceID) {
		return false, nil
	}
	var offered any
	if u.OfferedAt != nil {
		offered = stamp(*u.OfferedAt)
	}
	if from == nil {
		from = []string{}
	}
	tag, err := st.q.Exec(ctx, `UPDATE agent_rollout_devices SET state = $3, error = $4, offered_at = coalesce($5, offered_at), updated_at = $6
		WHERE rollout_id = $1 AND device_id = $2 AND (cardinality($7::text[]) = 0 OR state = ANY($7::text[]))`,
		u.RolloutID, u.DeviceID, u.State, cut(u.Error, 1000), offered, stamp(u.UpdatedAt), from)
	if err != nil {
		return false, translate("set device update", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (st updateStore) DeviceUpdates(ctx context.Context, rolloutID string) ([]domain.DeviceUpdate, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(rolloutID) {
		return nil, nil
	}
	out, err := queryAll(ctx, st.q, "SELECT "+deviceUpdateCols+" FROM agent_rollout_devices WHERE rollout_id = $1 ORDER BY stage, device_id",
		args{rolloutID}, scanDeviceUpdate)
	return out, translate("list device updates", err)
}

func (st updateStore) LatestDeviceUpdate(ctx context.Context, deviceID string) (*domain.DeviceUpdate, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	if !domain.ValidID(deviceID) {
		return nil, notFound("device update")
	}
	u, err := scanDeviceUpdate(st.q.QueryRow(ctx, "SELECT "+deviceUpdateColsD+` FROM agent_rollout_devices d
		JOIN agent_rollouts r ON r.id = d.rollout_id WHERE d.device_id = $1 ORDER BY r.created_at DESC LIMIT 1`, deviceID))
	if err != nil {
		return nil, translate("latest device update", err)
	}
	return &u, nil
}

func (st updateStore) StaleDeviceUpdates(ctx context.Context, states []string, before time.Time, limit int) ([]domain.DeviceUpdate, error) {
	ctx = system(ctx) // rollouts are scoped by core/app/updates
	out, err := queryAll(ctx, st.q, "SELECT "+deviceUpdateColsD+` FROM agent_rollout_devices d
		JOIN agent_rollouts r ON r.id = d.rollout_id
		WHERE r.state = 'active' AND d.state = ANY($1::text[]) AND d.updated_at < $2 ORDER BY d.updated_at LIMIT $3`,
		args{states, stamp(before), limit}, scanDeviceUpdate)
	return out, translate("stale device updates", err)
}
