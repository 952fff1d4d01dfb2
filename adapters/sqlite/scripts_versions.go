package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
)

const scriptVersionCols = "script_id, version, language, body, params, timeout_seconds, run_as, os_filter, created_by, created_at"

func scanScriptVersion(r rowScanner) (*domain.ScriptVersion, error) {
	var v domain.ScriptVersion
	var params, osFilter string
	var created int64
	if err := r.Scan(&v.ScriptID, &v.Version, &v.Language, &v.Body, &params, &v.TimeoutSeconds, &v.RunAs,
		&osFilter, &v.CreatedBy, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &v.Params); err != nil {
		return nil, fmt.Errorf("decode script params: %w", err)
	}
	if err := json.Unmarshal([]byte(osFilter), &v.OSFilter); err != nil {
		return nil, fmt.Errorf("decode script os filter: %w", err)
	}
	v.CreatedAt = fromMicros(created)
	return &v, nil
}

// Versions lists the kept versions of a script the scope may read, newest
// first.
func (ss scriptStore) Versions(ctx context.Context, s domain.Scope, scriptID string) ([]*domain.ScriptVersion, error) {
	q := ss.s.read(ctx)
	if _, err := scripts.get(ctx, q, s, scriptID); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT "+scriptVersionCols+" FROM script_versions WHERE script_id = ? ORDER BY version DESC", scriptID)
	if err != nil {
		return nil, failure{op: "list script versions"}.wrap(err)
	}
	defer rows.Close()
	out := []*domain.ScriptVersion{}
	for rows.Next() {
		v, err := scanScriptVersion(rows)
		if err != nil {
			return nil, failure{op: "list script versions"}.wrap(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, failure{op: "list script versions"}.wrap(err)
	}
	return out, nil
}

func (ss scriptStore) Version(ctx context.Context, s domain.Scope, scriptID string, version int64) (*domain.ScriptVersion, error) {
	q := ss.s.read(ctx)
	if _, err := scripts.get(ctx, q, s, scriptID); err != nil {
		return nil, err
	}
	v, err := scanScriptVersion(q.QueryRowContext(ctx, "SELECT "+scriptVersionCols+
		" FROM script_versions WHERE script_id = ? AND version = ?", scriptID, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("script version")
	}
	if err != nil {
		return nil, failure{op: "get script version"}.wrap(err)
	}
	return v, nil
}
