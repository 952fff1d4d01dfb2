package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// workers is how many goroutines race in each test.
const workers = 16

// race runs fn(i) on workers goroutines released together and returns the
// errors by worker.
func race(fn func(i int) error) []error {
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrency(t *testing.T, st ports.Store) {
	t.Run("UpdatesWithTheSameVersionOneWins", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		d := newDevice(t, st, c.site.ID, "")
		names := make([]string, workers)
		errs := race(func(i int) error {
			in := *d
			in.Hostname = uniq(fmt.Sprintf("racer-%d", i))
			names[i] = in.Hostname
			_, err := st.Devices().Update(ctx, global, &in)
			return err
		})
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("workers %d and %d both updated version %d", winner, i, d.Version)
			case err == nil:
				winner = i
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("worker %d: error = %v, want ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no Update succeeded")
		}
		got, err := st.Devices().Get(ctx, global, d.ID)
		must(t, "Get", err)
		eqFields(t, "final device", field{"Version", got.Version, d.Version + 1}, field{"Hostname", got.Hostname, names[winner]})
	})

	t.Run("UpsertsOfDistinctDevicesAllSucceed", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		const rounds = 5
		ids := make([]string, workers)
		for i := range ids {
			ids[i] = domain.NewID()
		}
		errs := race(func(i int) error {
			for r := range rounds {
				d := deviceIn(c.site.ID, "")
				d.ID, d.Hostname = ids[i], fmt.Sprintf("upsert-%d-%d", i, r)
				if _, err := st.Devices().Upsert(ctx, global, d); err != nil {
					return fmt.Errorf("round %d: %w", r, err)
				}
			}
			return nil
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
		}
		for i, id := range ids {
			d, err := st.Devices().Get(ctx, global, id)
			if err != nil {
				t.Errorf("device of worker %d: %v", i, err)
				continue
			}
			eqFields(t, fmt.Sprintf("device of worker %d", i), field{"Version", d.Version, int64(rounds)},
				field{"Hostname", d.Hostname, fmt.Sprintf("upsert-%d-%d", i, rounds-1)})
		}
		wantOnly(t, st, c.scope(), kindDevice, ref{}, ids...)
	})

	t.Run("CreatesUnderOneParentAllSucceed", func(t *testing.T) {
		ctx := t.Context()
		p := newPartner(t, st)
		ids := make([]string, workers)
		errs := race(func(i int) error {
			o := &domain.Organization{PartnerID: p.ID, Name: uniq("org")}
			err := st.Orgs().Create(ctx, global, o)
			ids[i] = o.ID
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
		}
		wantOnly(t, st, global, kindOrg, ref{PartnerID: p.ID}, ids...)
	})

	t.Run("SameNameRaceOneWins", func(t *testing.T) {
		ctx := t.Context()
		name := uniq("contested")
		errs := race(func(int) error {
			return st.Partners().Create(ctx, global, &domain.Partner{Name: name})
		})
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("worker %d: error = %v, want ErrConflict", i, err)
			}
		}
		if wins != 1 {
			t.Errorf("%d creates of partner %q succeeded, want exactly 1", wins, name)
		}
	})

	// Each transaction reads before it writes: a database that starts
	// transactions as readers must still serialise the writers instead of
	// failing them ("database is locked").
	t.Run("ReadThenWriteTransactionsAllCommit", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		ids := make([]string, workers)
		errs := race(func(i int) error {
			return st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
				if _, err := tx.Sites().Get(ctx, global, c.site.ID); err != nil {
					return err
				}
				if _, err := listAll(ctx, tx, global, kindDevice, ref{SiteID: c.site.ID}); err != nil {
					return err
				}
				d := deviceIn(c.site.ID, "")
				if err := tx.Devices().Create(ctx, global, d); err != nil {
					return err
				}
				ids[i] = d.ID
				return nil
			})
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
		}
		wantOnly(t, st, c.scope(), kindDevice, ref{}, ids...)
	})
}
