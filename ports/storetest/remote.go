package storetest

// The remote-work part of the suite: commands, the script library and its
// runs, WebSocket tickets (ports/remote.go), run by both adapters through
// Run (group "Remote") or alone with RunRemote.
//
// Choices the contract leaves open, fixed here so both adapters agree:
//   - command Create fills ID (UUIDv7), CreatedAt (a caller's non-zero one
//     is kept), Status queued when empty, and PartnerID/OrgID/SiteID from
//     the device; a payload that is not JSON, an unknown status or an empty
//     action is ErrInvalid; an unknown, foreign or malformed device is
//     ErrNotFound (ErrInvalid allowed for a malformed one);
//   - Payload and Data are JSON: compared as JSON values (jsonb may change
//     white space and key order), never content;
//   - Transition with no from status is ErrInvalid; a refused transition
//     returns the stored command AND ErrConflict; an update sets only the
//     fields it carries; ExitCode, times and output survive later
//     transitions that do not carry them;
//   - Pending with a non-positive limit uses a default (at least 1);
//     CountByBatch of an unknown batch is an empty tally, not an error;
//   - a malformed id in a command filter answers an empty page or
//     ErrNotFound, never ErrInvalid; an unknown status filter is ErrInvalid;
//   - deleting a device deletes its commands (ON DELETE CASCADE);
//   - script Create needs an org covered at org level or, for a shared
//     script, the partner covered; a PartnerID naming another partner than
//     the org's is ErrInvalid or ErrNotFound; names are unique per (partner,
//     org) case-insensitively, and an org may reuse the name of a shared
//     script of its partner;
//   - whether a site holder reads its org's own scripts is left open (the
//     contract says "covers its org"); it never writes them;
//   - Versions and Version of a script the scope cannot read are
//     ErrNotFound; Delete drops the script and its versions;
//   - CreateRun fills ID, CreatedAt and PartnerID from the org; the script
//     must be the org's or shared by its partner (ErrNotFound otherwise);
//   - tickets: Create fills ID and CreatedAt when empty and ExpiresAt as
//     CreatedAt + domain.TicketTTL when zero; a taken hash is ErrConflict;
//     Consume deletes nothing but the ticket it returns; Prune counts the
//     tickets it deleted.

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunRemote runs the remote-work suite against stores made by newStore.
func RunRemote(t *testing.T, newStore Factory) {
	t.Helper()
	groups := []struct {
		name string
		fn   func(t *testing.T, st ports.Store)
	}{
		{"Commands", testCommands},
		{"CommandList", testCommandList},
		{"CommandIdempotency", testCommandIdempotency},
		{"CommandTransition", testCommandTransition},
		{"CommandPending", testCommandPending},
		{"CommandOverdue", testCommandOverdue},
		{"CommandExpired", testCommandExpired},
		{"CommandScoping", testCommandScoping},
		{"Scripts", testScripts},
		{"ScriptVisibility", testScriptVisibility},
		{"ScriptRuns", testScriptRuns},
		{"Tickets", testTickets},
		{"Transactions", testRemoteTx},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, newStore(t)) })
	}
}

// commandFor returns an unsaved command for deviceID.
func commandFor(deviceID string) *domain.Command {
	return &domain.Command{
		DeviceID:       deviceID,
		Action:         "run_script",
		Payload:        json.RawMessage(`{"language": "sh", "body": "echo hi", "params": {"a": "1"}}`),
		RequestedBy:    domain.NewID(),
		TimeoutSeconds: 60,
		OutputCap:      1 << 16,
		ExpiresAt:      time.Now().UTC().Add(time.Hour),
	}
}

// newCommand stores a command for deviceID (with the Global scope), after
// edit changes it.
func newCommand(t testing.TB, st ports.Store, deviceID string, edit ...func(*domain.Command)) *domain.Command {
	t.Helper()
	c := commandFor(deviceID)
	for _, e := range edit {
		e(c)
	}
	must(t, "create command", st.Commands().Create(t.Context(), global, c))
	return c
}

// getCommand reads a command with the Global scope.
func getCommand(t testing.TB, st ports.Store, id string) *domain.Command {
	t.Helper()
	c, err := st.Commands().Get(t.Context(), global, id)
	must(t, "get command "+id, err)
	return c
}

// eqCommand compares every stored field of a command.
func eqCommand(t testing.TB, what string, got, want *domain.Command) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil command", what)
		return
	}
	eqFields(t, what,
		field{"ID", got.ID, want.ID}, field{"PartnerID", got.PartnerID, want.PartnerID},
		field{"OrgID", got.OrgID, want.OrgID}, field{"SiteID", got.SiteID, want.SiteID},
		field{"DeviceID", got.DeviceID, want.DeviceID}, field{"Action", got.Action, want.Action},
		field{"IdempotencyKey", got.IdempotencyKey, want.IdempotencyKey}, field{"BatchID", got.BatchID, want.BatchID},
		field{"ScriptID", got.ScriptID, want.ScriptID}, field{"RequestedBy", got.RequestedBy, want.RequestedBy},
		field{"Status", got.Status, want.Status}, field{"TimeoutSeconds", got.TimeoutSeconds, want.TimeoutSeconds},
		field{"OutputCap", got.OutputCap, want.OutputCap}, field{"CreatedAt", got.CreatedAt, want.CreatedAt},
		field{"ExpiresAt", got.ExpiresAt, want.ExpiresAt}, field{"SentAt", optTime(got.SentAt), optTime(want.SentAt)},
		field{"StartedAt", optTime(got.StartedAt), optTime(want.StartedAt)},
		field{"FinishedAt", optTime(got.FinishedAt), optTime(want.FinishedAt)},
		field{"ExitCode", optInt(got.ExitCode), optInt(want.ExitCode)},
		field{"Stdout", got.Stdout, want.Stdout}, field{"Stderr", got.Stderr, want.Stderr},
		field{"Truncated", got.Truncated, want.Truncated}, field{"Error", got.Error, want.Error},
		field{"Attempts", got.Attempts, want.Attempts},
	)
	wantJSON(t, what+": Payload", string(got.Payload), string(want.Payload))
	wantJSON(t, what+": Data", string(got.Data), string(want.Data))
	for _, v := range []*time.Time{&got.CreatedAt, &got.ExpiresAt, got.SentAt, got.StartedAt, got.FinishedAt} {
		if v != nil {
			checkUTC(t, what, *v)
		}
	}
}

// optTime and optInt make optional values comparable by eqFields.
func optTime(v *time.Time) time.Time {
	if v == nil {
		return time.Time{}
	}
	return *v
}

func optInt(v *int) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(*v)
}

func ptr[T any](v T) *T { return &v }

// commandIDs lists every command a scope sees with f, following cursors.
func commandIDs(t testing.TB, st ports.Store, s domain.Scope, f ports.CommandFilter, limit int) []string {
	t.Helper()
	var ids []string
	req := domain.PageRequest{Limit: limit}
	for range 1000 {
		page, err := st.Commands().List(t.Context(), s, f, req)
		must(t, "list commands", err)
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		req.Cursor = page.NextCursor
	}
	t.Fatal("list commands: the cursor never ends")
	return nil
}
