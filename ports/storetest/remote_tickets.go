package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func ticketIn() *domain.WSTicket {
	return &domain.WSTicket{
		Hash: randomHash(), UserID: domain.NewID(), SessionID: domain.NewID(),
		Purpose: domain.TicketTerminal, DeviceID: domain.NewID(),
	}
}

func eqTicket(t testing.TB, what string, got, want *domain.WSTicket) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil ticket", what)
		return
	}
	eqFields(t, what, field{"ID", got.ID, want.ID}, field{"Hash", got.Hash, want.Hash},
		field{"UserID", got.UserID, want.UserID}, field{"SessionID", got.SessionID, want.SessionID},
		field{"Purpose", got.Purpose, want.Purpose}, field{"DeviceID", got.DeviceID, want.DeviceID},
		field{"CreatedAt", got.CreatedAt, want.CreatedAt}, field{"ExpiresAt", got.ExpiresAt, want.ExpiresAt})
	checkUTC(t, what, got.CreatedAt)
	checkUTC(t, what, got.ExpiresAt)
}

// testTickets: one use, expiry, a single winner, pruning.
func testTickets(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tk := st.Tickets()

	t.Run("CreateAndConsumeOnce", func(t *testing.T) {
		in := ticketIn()
		want := *in
		must(t, "Create", tk.Create(ctx, in))
		checkNewID(t, "Create", in.ID)
		checkStamps(t, "Create", in.CreatedAt, in.CreatedAt)
		want.ID, want.CreatedAt, want.ExpiresAt = in.ID, in.CreatedAt, in.CreatedAt.Add(domain.TicketTTL)
		eqTicket(t, "Create's result", in, &want)
		got, err := tk.Consume(ctx, in.Hash, time.Now())
		must(t, "Consume", err)
		eqTicket(t, "Consume", got, &want)
		_, err = tk.Consume(ctx, in.Hash, time.Now())
		wantIs(t, "Consume again", err, domain.ErrNotFound)
		_, err = tk.Consume(ctx, randomHash(), time.Now())
		wantIs(t, "Consume an unknown ticket", err, domain.ErrNotFound)
		_, err = tk.Consume(ctx, "", time.Now())
		wantIs(t, "Consume no hash", err, domain.ErrNotFound)
	})

	t.Run("Refused", func(t *testing.T) {
		in := ticketIn()
		must(t, "Create", tk.Create(ctx, in))
		dup := ticketIn()
		dup.Hash = in.Hash
		wantIs(t, "Create with a taken hash", tk.Create(ctx, dup), domain.ErrConflict)
		noHash := ticketIn()
		noHash.Hash = ""
		wantIs(t, "Create without a hash", tk.Create(ctx, noHash), domain.ErrInvalid)
		noPurpose := ticketIn()
		noPurpose.Purpose = ""
		wantIs(t, "Create without a purpose", tk.Create(ctx, noPurpose), domain.ErrInvalid)
		got, err := tk.Consume(ctx, in.Hash, time.Now())
		must(t, "Consume the first ticket", err)
		eqFields(t, "the ticket kept", field{"UserID", got.UserID, in.UserID})
	})

	t.Run("Expired", func(t *testing.T) {
		in := ticketIn()
		in.ExpiresAt = time.Now().UTC().Add(time.Minute).Truncate(time.Microsecond)
		must(t, "Create", tk.Create(ctx, in))
		_, err := tk.Consume(ctx, in.Hash, in.ExpiresAt)
		wantIs(t, "Consume at ExpiresAt", err, domain.ErrNotFound)
		_, err = tk.Consume(ctx, in.Hash, in.ExpiresAt.Add(time.Second))
		wantIs(t, "Consume after ExpiresAt", err, domain.ErrNotFound)
		got, err := tk.Consume(ctx, in.Hash, in.ExpiresAt.Add(-time.Millisecond))
		must(t, "Consume just before ExpiresAt (an expired try spends nothing)", err)
		eqFields(t, "Consume", field{"ID", got.ID, in.ID})
	})

	t.Run("OneWinner", func(t *testing.T) {
		const racers = 8
		in := ticketIn()
		must(t, "Create", tk.Create(ctx, in))
		var wg sync.WaitGroup
		errs := make([]error, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = tk.Consume(ctx, in.Hash, time.Now())
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			wantIs(t, "a losing Consume", err, domain.ErrNotFound)
			_ = i
		}
		if won != 1 {
			t.Errorf("%d concurrent Consume calls succeeded, want exactly 1", won)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		// The group's store is its own: only this subtest's tickets remain
		// unconsumed besides Expired's, which expires a minute from now.
		base := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
		old, edge, live := ticketIn(), ticketIn(), ticketIn()
		old.ExpiresAt, edge.ExpiresAt, live.ExpiresAt = base.Add(-time.Second), base, base.Add(time.Hour)
		for _, tkt := range []*domain.WSTicket{old, edge, live} {
			must(t, "Create", tk.Create(ctx, tkt))
		}
		n, err := tk.Prune(ctx, base)
		must(t, "Prune", err)
		eqFields(t, "Prune", field{"deleted", n, int64(1)}) // old only: the Expired ticket was consumed
		_, err = tk.Consume(ctx, old.Hash, base.Add(-time.Hour))
		wantIs(t, "Consume a pruned ticket", err, domain.ErrNotFound)
		for _, tkt := range []*domain.WSTicket{edge, live} {
			_, err = tk.Consume(ctx, tkt.Hash, base.Add(-time.Hour))
			must(t, "Consume a ticket Prune kept", err)
		}
	})
}
