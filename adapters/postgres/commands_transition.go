package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Transition is one conditional UPDATE. Racing transitions queue on the row
// lock and each re-checks the status against the row the previous one left
// (READ COMMITTED re-evaluation), so exactly one leaves a given status.
func (st commandStore) Transition(ctx context.Context, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error) {
	ctx = system(ctx)
	return st.transition(ctx, "", id, from, u)
}

// TransitionForDevice is Transition with the device in the condition.
func (st commandStore) TransitionForDevice(ctx context.Context, deviceID, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return nil, notFound("command")
	}
	return st.transition(ctx, deviceID, id, from, u)
}

// transition applies u to command id, of deviceID only when that is set.
func (st commandStore) transition(ctx context.Context, deviceID, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error) {
	if !domain.ValidID(id) {
		return nil, notFound("command")
	}
	if len(from) == 0 {
		return nil, domain.Invalidf("a transition needs the statuses it may leave")
	}
	statuses := make([]string, len(from))
	for i, s := range from {
		if !s.Valid() {
			return nil, domain.Invalidf("unknown command status %q", s)
		}
		statuses[i] = string(s)
	}
	var a args
	set, err := transitionSet(u, &a)
	if err != nil {
		return nil, err
	}
	where := "id = " + a.add(id) + "::uuid"
	if deviceID != "" {
		where += " AND device_id = " + a.add(deviceID) + "::uuid"
	}
	where += " AND status = ANY(" + a.add(statuses) + "::text[])"
	if u.OutputCapAtLeast > 0 {
		where += " AND (output_cap = 0 OR output_cap >= " + a.add(u.OutputCapAtLeast) + ")"
	}
	if u.PayloadLacks != "" {
		where += " AND strpos(coalesce(payload::text, ''), " + a.add(u.PayloadLacks) + ") = 0"
	}
	sql := "UPDATE commands SET " + set + " WHERE " + where + " RETURNING " + commandCols
	out, err := scanCommand(st.q.QueryRow(ctx, sql, a...))
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, translateJSON("transition command", err)
	}
	// Not applied: show the caller what is stored instead.
	key := args{id}
	where = "id = $1"
	if deviceID != "" {
		key, where = args{id, deviceID}, "id = $1 AND device_id = $2"
	}
	cur, err := st.one(ctx, "SELECT "+commandCols+" FROM commands WHERE "+where, key)
	if err != nil {
		return nil, err
	}
	return cur, u.Refusal(cur, from)
}

// transitionSet is the SET list of an update: only the fields it carries.
func transitionSet(u domain.CommandUpdate, a *args) (string, error) {
	var cols []string
	add := func(col string, v any) { cols = append(cols, col+" = "+a.add(v)) }
	if u.Status != "" {
		if !u.Status.Valid() {
			return "", domain.Invalidf("unknown command status %q", u.Status)
		}
		add("status", string(u.Status))
	}
	if u.SentAt != nil {
		add("sent_at", stamp(*u.SentAt))
	}
	if u.StartedAt != nil {
		add("started_at", stamp(*u.StartedAt))
	}
	if u.FinishedAt != nil {
		add("finished_at", stamp(*u.FinishedAt))
	}
	if u.ExitCode != nil {
		add("exit_code", *u.ExitCode)
	}
	if u.Stdout != "" {
		add("stdout", bytea(u.Stdout))
	}
	if u.Stderr != "" {
		add("stderr", bytea(u.Stderr))
	}
	if u.Truncated {
		add("truncated", true)
	}
	if u.Error != "" {
		add("error", cleanText(u.Error))
	}
	if len(u.Data) > 0 {
		if !json.Valid(u.Data) {
			return "", domain.Invalidf("command data is not JSON")
		}
		cols = append(cols, "data = "+a.add(string(u.Data))+"::jsonb")
	}
	if len(u.Payload) > 0 {
		if !json.Valid(u.Payload) {
			return "", domain.Invalidf("command payload is not JSON")
		}
		cols = append(cols, "payload = "+a.add(string(u.Payload))+"::jsonb")
	}
	if u.CountAttempt {
		cols = append(cols, "attempts = attempts + 1")
	}
	if len(cols) == 0 {
		cols = append(cols, "status = status") // a pure compare: still returns the row
	}
	return strings.Join(cols, ", "), nil
}
