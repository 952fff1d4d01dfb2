package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

const scriptVersionCols = "script_id, version, language, body, params::text, timeout_seconds, run_as, os_filter," +
	" created_by, created_at"

func scanScriptVersion(row pgx.Row) (*domain.ScriptVersion, error) {
	var v domain.ScriptVersion
	var params string
	if err := row.Scan(&v.ScriptID, &v.Version, &v.Language, &v.Body, &params, &v.TimeoutSeconds, &v.RunAs,
		&v.OSFilter, &v.CreatedBy, &v.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &v.Params); err != nil {
		return nil, fmt.Errorf("decode script params: %w", err)
	}
	if v.OSFilter == nil {
		v.OSFilter = []string{}
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
}

// Versions lists the kept versions of a script the scope may read, newest
// first.
func (st scriptStore) Versions(ctx context.Context, s domain.Scope, scriptID string) ([]*domain.ScriptVersion, error) {
	ctx = tenant(ctx, s)
	if _, err := getScript(ctx, st.q, s, scriptID); err != nil {
		return nil, err
	}
	items, err := queryAll(ctx, st.q, "SELECT "+scriptVersionCols+" FROM script_versions WHERE script_id = $1 ORDER BY version DESC",
		args{scriptID}, scanScriptVersion)
	if err != nil {
		return nil, translate("list script versions", err)
	}
	if items == nil {
		items = []*domain.ScriptVersion{}
	}
	return items, nil
}

func (st scriptStore) Version(ctx context.Context, s domain.Scope, scriptID string, version int64) (*domain.ScriptVersion, error) {
	ctx = tenant(ctx, s)
	if _, err := getScript(ctx, st.q, s, scriptID); err != nil {
		return nil, err
	}
	v, err := scanScriptVersion(st.q.QueryRow(ctx, "SELECT "+scriptVersionCols+
		" FROM script_versions WHERE script_id = $1 AND version = $2", scriptID, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("script version")
	}
	if err != nil {
		return nil, translate("get script version", err)
	}
	return v, nil
}
