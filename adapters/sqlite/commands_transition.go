package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Transition is one conditional UPDATE: the status check and the write are
// the same statement, and writes are serialised on the single writer, so of
// racing transitions from the same status exactly one matches.
func (cs commandStore) Transition(ctx context.Context, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error) {
	return cs.transition(ctx, "", id, from, u)
}

// TransitionForDevice is Transition with the device in the condition.
func (cs commandStore) TransitionForDevice(ctx context.Context, deviceID, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error) {
	if !domain.ValidID(deviceID) {
		return nil, notFound("command")
	}
	return cs.transition(ctx, deviceID, id, from, u)
}

// transition applies u to command id, of deviceID only when that is set.
func (cs commandStore) transition(ctx context.Context, deviceID, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error) {
	if !domain.ValidID(id) {
		return nil, notFound("command")
	}
	set, setArgs, err := transitionSet(u)
	if err != nil {
		return nil, err
	}
	in, inArgs, err := statusList(from)
	if err != nil {
		return nil, err
	}
	where, whereArgs := "id = ?", []any{id}
	if deviceID != "" {
		where, whereArgs = "id = ? AND device_id = ?", []any{id, deviceID}
	}
	args := append(append(setArgs, whereArgs...), inArgs...)
	guards := ""
	if u.OutputCapAtLeast > 0 {
		guards += " AND (output_cap = 0 OR output_cap >= ?)"
		args = append(args, u.OutputCapAtLeast)
	}
	if u.PayloadLacks != "" {
		guards += " AND instr(coalesce(payload, ''), ?) = 0"
		args = append(args, u.PayloadLacks)
	}
	query := "UPDATE commands SET " + set + " WHERE " + where + " AND status IN (" + in + ")" + guards + " RETURNING " + commandCols
	var out *domain.Command
	err = cs.s.write(ctx, func(q queryer) (err error) {
		out, err = scanCommand(q.QueryRowContext(ctx, query, args...))
		if !errors.Is(err, sql.ErrNoRows) {
			return failure{op: "transition command"}.wrap(err)
		}
		// Not applied: show the caller what is stored instead.
		out, err = scanCommand(q.QueryRowContext(ctx, "SELECT "+commandCols+" FROM commands WHERE "+where, whereArgs...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("command")
		}
		if err != nil {
			return failure{op: "read command"}.wrap(err)
		}
		return u.Refusal(out, from)
	})
	if errors.Is(err, domain.ErrConflict) {
		return out, err
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// transitionSet is the SET list of an update: only the fields it carries.
func transitionSet(u domain.CommandUpdate) (string, []any, error) {
	var cols []string
	var args []any
	add := func(col string, v any) {
		cols = append(cols, col+" = ?")
		args = append(args, v)
	}
	if u.Status != "" {
		if !u.Status.Valid() {
			return "", nil, domain.Invalidf("unknown command status %q", u.Status)
		}
		add("status", string(u.Status))
	}
	if u.SentAt != nil {
		add("sent_at", micros(*u.SentAt))
	}
	if u.StartedAt != nil {
		add("started_at", micros(*u.StartedAt))
	}
	if u.FinishedAt != nil {
		add("finished_at", micros(*u.FinishedAt))
	}
	if u.ExitCode != nil {
		add("exit_code", *u.ExitCode)
	}
	if u.Stdout != "" {
		add("stdout", u.Stdout)
	}
	if u.Stderr != "" {
		add("stderr", u.Stderr)
	}
	if u.Truncated {
		add("truncated", true)
	}
	if u.Error != "" {
		add("error", u.Error)
	}
	if len(u.Data) > 0 {
		if !json.Valid(u.Data) {
			return "", nil, domain.Invalidf("command data is not JSON")
		}
		add("data", string(u.Data))
	}
	if len(u.Payload) > 0 {
		if !json.Valid(u.Payload) {
			return "", nil, domain.Invalidf("command payload is not JSON")
		}
		add("payload", string(u.Payload))
	}
	if u.CountAttempt {
		cols = append(cols, "attempts = attempts + 1")
	}
	if len(cols) == 0 {
		cols = append(cols, "status = status") // a pure compare: still returns the row
	}
	return strings.Join(cols, ", "), args, nil
}

// statusList checks from and returns its placeholders and values.
func statusList(from []domain.CommandStatus) (string, []any, error) {
	if len(from) == 0 {
		return "", nil, domain.Invalidf("a transition needs the statuses it may leave")
	}
	marks := make([]string, len(from))
	args := make([]any, len(from))
	for i, st := range from {
		if !st.Valid() {
			return "", nil, domain.Invalidf("unknown command status %q", st)
		}
		marks[i], args[i] = "?", string(st)
	}
	return strings.Join(marks, ", "), args, nil
}
