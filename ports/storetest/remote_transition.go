package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

var (
	fromQueued  = []domain.CommandStatus{domain.CommandQueued}
	fromSent    = []domain.CommandStatus{domain.CommandSent}
	fromRunning = []domain.CommandStatus{domain.CommandSent, domain.CommandRunning}
)

// testCommandTransition: allowed and refused transitions, partial updates,
// and one winner among racing callers.
func testCommandTransition(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")

	t.Run("Lifecycle", func(t *testing.T) {
		cmd := newCommand(t, st, d.ID)
		want := *getCommand(t, st, cmd.ID)
		sent := time.Now().UTC().Add(-3 * time.Second)
		got, err := st.Commands().Transition(ctx, cmd.ID, fromQueued,
			domain.CommandUpdate{Status: domain.CommandSent, SentAt: &sent, CountAttempt: true})
		must(t, "queued → sent", err)
		want.Status, want.SentAt, want.Attempts = domain.CommandSent, &sent, 1
		eqCommand(t, "queued → sent", got, &want)

		started := sent.Add(time.Second)
		got, err = st.Commands().Transition(ctx, cmd.ID, fromRunning,
			domain.CommandUpdate{Status: domain.CommandRunning, StartedAt: &started, CountAttempt: true})
		must(t, "sent → running", err)
		want.Status, want.StartedAt, want.Attempts = domain.CommandRunning, &started, 2
		eqCommand(t, "sent → running", got, &want)

		finished := started.Add(time.Second)
		redacted := json.RawMessage(`{"language": "sh", "body": "echo hi", "params": {"a": "***"}}`)
		u := domain.CommandUpdate{Status: domain.CommandFailed, FinishedAt: &finished, ExitCode: ptr(2),
			Stdout: "out\nline", Stderr: "err", Truncated: true, Error: "exit status 2",
			Data: json.RawMessage(`{"rows": [1, 2]}`), Payload: redacted}
		got, err = st.Commands().Transition(ctx, cmd.ID, fromRunning, u)
		must(t, "running → failed", err)
		want.Status, want.FinishedAt, want.ExitCode = domain.CommandFailed, &finished, ptr(2)
		want.Stdout, want.Stderr, want.Truncated, want.Error = u.Stdout, u.Stderr, true, u.Error
		want.Data, want.Payload = u.Data, redacted
		eqCommand(t, "running → failed", got, &want)
		eqCommand(t, "Get after the transitions", getCommand(t, st, cmd.ID), &want)

		// A final command refuses to move, and says what it is.
		got, err = st.Commands().Transition(ctx, cmd.ID, fromRunning, domain.CommandUpdate{Status: domain.CommandSucceeded})
		wantIs(t, "a transition from a final status", err, domain.ErrConflict)
		eqCommand(t, "the command returned with the conflict", got, &want)
		eqCommand(t, "Get after the refused transition", getCommand(t, st, cmd.ID), &want)

		// An update carrying no field changes nothing but what it carries.
		got, err = st.Commands().Transition(ctx, cmd.ID, []domain.CommandStatus{domain.CommandFailed}, domain.CommandUpdate{CountAttempt: true})
		must(t, "count an attempt only", err)
		want.Attempts++
		eqCommand(t, "after counting an attempt", got, &want)
	})

	t.Run("Refused", func(t *testing.T) {
		cmd := newCommand(t, st, d.ID)
		want := getCommand(t, st, cmd.ID)
		got, err := st.Commands().Transition(ctx, cmd.ID, fromSent, domain.CommandUpdate{Status: domain.CommandRunning, Stdout: "x"})
		wantIs(t, "sent → running on a queued command", err, domain.ErrConflict)
		eqCommand(t, "the command returned with the conflict", got, want)
		eqCommand(t, "Get after the refused transition", getCommand(t, st, cmd.ID), want)

		_, err = st.Commands().Transition(ctx, domain.NewID(), fromQueued, domain.CommandUpdate{Status: domain.CommandSent})
		wantIs(t, "Transition of an unknown command", err, domain.ErrNotFound)
		for _, id := range malformedIDs(cmd.ID) {
			_, err = st.Commands().Transition(ctx, id, fromQueued, domain.CommandUpdate{Status: domain.CommandSent})
			wantIs(t, "Transition("+id+")", err, domain.ErrNotFound)
		}
		_, err = st.Commands().Transition(ctx, cmd.ID, nil, domain.CommandUpdate{Status: domain.CommandSent})
		wantIs(t, "Transition from no status", err, domain.ErrInvalid)
		_, err = st.Commands().Transition(ctx, cmd.ID, fromQueued, domain.CommandUpdate{Status: "lost"})
		wantIs(t, "Transition to an unknown status", err, domain.ErrInvalid)
		_, err = st.Commands().Transition(ctx, cmd.ID, fromQueued, domain.CommandUpdate{Status: domain.CommandSent, Data: json.RawMessage("{")})
		wantIs(t, "Transition with data that is not JSON", err, domain.ErrInvalid)
		eqCommand(t, "Get after invalid transitions", getCommand(t, st, cmd.ID), want)
	})

	t.Run("ForDevice", func(t *testing.T) {
		other := newDevice(t, st, c.site.ID, "")
		cmd := newCommand(t, st, d.ID)
		want := *getCommand(t, st, cmd.ID)
		running := domain.CommandUpdate{Status: domain.CommandRunning, Stdout: "x"}

		// Another device's command (or none, or a malformed device id) is
		// not found, and nothing changes.
		for _, dev := range append([]string{other.ID, domain.NewID()}, malformedIDs(d.ID)...) {
			got, err := st.Commands().TransitionForDevice(ctx, dev, cmd.ID, fromQueued, running)
			wantIs(t, "TransitionForDevice by device "+dev, err, domain.ErrNotFound)
			if got != nil {
				t.Errorf("TransitionForDevice by device %s returned %+v, want nothing", dev, got)
			}
		}
		_, err := st.Commands().TransitionForDevice(ctx, d.ID, domain.NewID(), fromQueued, running)
		wantIs(t, "TransitionForDevice of an unknown command", err, domain.ErrNotFound)
		eqCommand(t, "Get after refused transitions", getCommand(t, st, cmd.ID), &want)

		got, err := st.Commands().TransitionForDevice(ctx, d.ID, cmd.ID, fromQueued, running)
		must(t, "TransitionForDevice by its device", err)
		want.Status, want.Stdout = domain.CommandRunning, "x"
		eqCommand(t, "TransitionForDevice by its device", got, &want)

		// A status not in from: ErrConflict with the stored command, as
		// Transition; for another device still ErrNotFound.
		got, err = st.Commands().TransitionForDevice(ctx, d.ID, cmd.ID, fromQueued, domain.CommandUpdate{Status: domain.CommandSent})
		wantIs(t, "TransitionForDevice from a status it is not in", err, domain.ErrConflict)
		eqCommand(t, "the command returned with the conflict", got, &want)
		_, err = st.Commands().TransitionForDevice(ctx, other.ID, cmd.ID, fromQueued, domain.CommandUpdate{Status: domain.CommandSent})
		wantIs(t, "TransitionForDevice by another device from a status it is not in", err, domain.ErrNotFound)
		eqCommand(t, "Get after the conflicts", getCommand(t, st, cmd.ID), &want)
	})

	// Guards: the cap and the payload are checked with the status, in the
	// same write; a guard that fails is ErrConflict with what is stored,
	// and nothing changes.
	t.Run("Guards", func(t *testing.T) {
		secret := commandFor(d.ID)
		secret.Payload = json.RawMessage(`{"language": "sh", "body": "true", "args": ["sealed:abc"], "secretArgs": [0]}`)
		must(t, "create a command with a sealed value", st.Commands().Create(ctx, global, secret))
		noCap := commandFor(d.ID)
		noCap.OutputCap = 0
		must(t, "create a command with the server's cap", st.Commands().Create(ctx, global, noCap))
		capped := newCommand(t, st, d.ID) // OutputCap 1 << 16
		refused := []struct {
			name string
			id   string
			u    domain.CommandUpdate
		}{
			{"output past the cap", capped.ID, domain.CommandUpdate{Status: domain.CommandRunning, OutputCapAtLeast: 1<<16 + 1}},
			{"a payload holding the text", secret.ID, domain.CommandUpdate{Status: domain.CommandRunning, PayloadLacks: `"sealed:`}},
		}
		for _, tc := range refused {
			want := *getCommand(t, st, tc.id)
			got, err := st.Commands().TransitionForDevice(ctx, d.ID, tc.id, fromQueued, tc.u)
			wantIs(t, tc.name, err, domain.ErrConflict)
			eqCommand(t, tc.name+": the command returned", got, &want)
			eqCommand(t, tc.name+": stored", getCommand(t, st, tc.id), &want)
		}
		for _, id := range []string{capped.ID, noCap.ID} {
			got, err := st.Commands().TransitionForDevice(ctx, d.ID, id, fromQueued, domain.CommandUpdate{
				Status: domain.CommandRunning, OutputCapAtLeast: 1 << 16, PayloadLacks: `"sealed:`})
			must(t, "guards met", err)
			if got.Status != domain.CommandRunning {
				t.Errorf("guards met: status %s", got.Status)
			}
		}
	})

	t.Run("OneWinner", func(t *testing.T) {
		const racers = 8
		cmd := newCommand(t, st, d.ID)
		var wg sync.WaitGroup
		errs := make([]error, racers)
		outs := make([]*domain.Command, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				outs[i], errs[i] = st.Commands().Transition(ctx, cmd.ID, fromQueued,
					domain.CommandUpdate{Status: domain.CommandSent, CountAttempt: true, Stdout: string(rune('a' + i))})
			}()
		}
		close(start)
		wg.Wait()
		won, winner := 0, -1
		for i, err := range errs {
			switch {
			case err == nil:
				won, winner = won+1, i
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("racer %d: error = %v, want nil or ErrConflict", i, err)
			case outs[i] == nil || outs[i].Status != domain.CommandSent:
				t.Errorf("racer %d: the loser's command = %+v, want the stored one (sent)", i, outs[i])
			}
		}
		if won != 1 {
			t.Fatalf("%d racers won queued → sent, want exactly 1", won)
		}
		got := getCommand(t, st, cmd.ID)
		eqFields(t, "after the race", field{"Status", got.Status, domain.CommandSent}, field{"Attempts", got.Attempts, 1},
			field{"Stdout", got.Stdout, string(rune('a' + winner))})
	})
}

// testCommandPending: a device's unfinished commands, oldest first, and
// batch tallies.
func testCommandPending(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, other := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	batch := domain.NewID()
	var ids []string
	for range 5 {
		ids = append(ids, newCommand(t, st, d.ID, func(c *domain.Command) { c.BatchID = batch }).ID)
	}
	newCommand(t, st, other.ID, func(c *domain.Command) { c.BatchID = batch })
	move := func(id string, from []domain.CommandStatus, to domain.CommandStatus) {
		t.Helper()
		_, err := st.Commands().Transition(ctx, id, from, domain.CommandUpdate{Status: to})
		must(t, "Transition to "+string(to), err)
	}
	move(ids[1], fromQueued, domain.CommandSent)
	move(ids[2], fromQueued, domain.CommandSent)
	move(ids[2], fromRunning, domain.CommandRunning)
	move(ids[3], fromQueued, domain.CommandCancelled)
	move(ids[4], fromQueued, domain.CommandSent)
	move(ids[4], fromRunning, domain.CommandSucceeded)

	pending := func(limit int) []string {
		t.Helper()
		list, err := st.Commands().Pending(ctx, d.ID, limit)
		must(t, "Pending", err)
		var out []string
		for _, cmd := range list {
			if cmd.DeviceID != d.ID {
				t.Errorf("Pending returned a command of device %s", cmd.DeviceID)
			}
			out = append(out, cmd.ID)
		}
		return out
	}
	want := []string{ids[0], ids[1], ids[2]}
	if got := pending(10); !slices.Equal(got, want) {
		t.Errorf("Pending = %v, want %v (oldest first)", got, want)
	}
	if got := pending(2); !slices.Equal(got, want[:2]) {
		t.Errorf("Pending(limit 2) = %v, want %v", got, want[:2])
	}
	if got := pending(0); !slices.Equal(got, want) {
		t.Errorf("Pending(limit 0) = %v, want %v (the default limit)", got, want)
	}
	list, err := st.Commands().Pending(ctx, domain.NewID(), 10)
	must(t, "Pending of an unknown device", err)
	if len(list) != 0 {
		t.Errorf("Pending of an unknown device: %d commands", len(list))
	}

	counts, err := st.Commands().CountByBatch(ctx, batch)
	must(t, "CountByBatch", err)
	wantCounts := domain.RunCounts{domain.CommandQueued: 2, domain.CommandSent: 1, domain.CommandRunning: 1,
		domain.CommandCancelled: 1, domain.CommandSucceeded: 1}
	for status, n := range wantCounts {
		if counts[status] != n {
			t.Errorf("CountByBatch[%s] = %d, want %d (all: %v)", status, counts[status], n, counts)
		}
	}
	for status, n := range counts {
		if _, ok := wantCounts[status]; !ok && n != 0 {
			t.Errorf("CountByBatch[%s] = %d, want 0", status, n)
		}
	}
	counts, err = st.Commands().CountByBatch(ctx, domain.NewID())
	must(t, "CountByBatch of an unknown batch", err)
	if len(counts) != 0 {
		t.Errorf("CountByBatch of an unknown batch = %v, want empty", counts)
	}
}
