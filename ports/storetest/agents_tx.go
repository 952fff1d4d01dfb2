package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testAgentDeviceDelete checks that a device's hard delete still works once
// it has agent-link rows, and takes them all with it. The group's store is
// its own, so Prune can count what the delete left.
func testAgentDeviceDelete(t *testing.T, _ AgentFactory, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	key := newEnrollKey(t, st, c.org.ID, c.site.ID)
	d, keep := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	revoked := newDevice(t, st, c.site.ID, "")
	base := identNow().Add(-time.Hour)
	tok, keepTok := setToken(t, st, d.ID), setToken(t, st, keep.ID)
	setToken(t, st, revoked.ID)
	must(t, "Revoke", st.AgentTokens().Revoke(ctx, revoked.ID, identNow()))
	var batch []domain.MetricSample
	for i := range 3 {
		at := base.Add(time.Duration(i) * time.Minute)
		batch = append(batch, cpuSample(d.ID, at, float64(i)), cpuSample(keep.ID, at, float64(i)), cpuSample(revoked.ID, at, 1))
	}
	writeSamples(t, st, "Write", batch...)
	putInventory(t, st, d.ID, "doomed", 2)
	keepInv := putInventory(t, st, keep.ID, "kept", 2)

	must(t, "Delete the device", st.Devices().Delete(ctx, global, d.ID))
	must(t, "Delete the device with a revoked token", st.Devices().Delete(ctx, global, revoked.ID))

	wantNoToken(t, st, "token of the deleted device", tok)
	_, err := st.Telemetry().Latest(ctx, global, d.ID)
	wantIs(t, "Latest of the deleted device", err, domain.ErrNotFound)
	_, err = st.Inventory().GetUnscoped(ctx, d.ID)
	wantIs(t, "GetUnscoped inventory of the deleted device", err, domain.ErrNotFound)
	_, err = st.Inventory().Get(ctx, global, d.ID)
	wantIs(t, "Get inventory of the deleted device", err, domain.ErrNotFound)
	_, err = st.Telemetry().Query(ctx, global, d.ID, base.Add(-time.Hour), base.Add(time.Hour), time.Minute)
	wantIs(t, "Query of the deleted device", err, domain.ErrNotFound)

	// What belongs to the other device stays.
	wantToken(t, st, "token of the kept device", keepTok, keep.ID)
	eqFields(t, "Latest of the kept device", field{"At", latest(t, st, keep.ID).At, base.Add(2 * time.Minute)})
	got, err := st.Inventory().GetUnscoped(ctx, keep.ID)
	must(t, "GetUnscoped inventory of the kept device", err)
	eqInventory(t, "inventory of the kept device", got, keepInv)
	eqEnrollKey(t, "the site's enrollment key", globalEnrollKey(t, st, key.ID), key)

	// Only the kept device's samples are left to prune.
	n, err := st.Telemetry().Prune(ctx, identNow().Add(time.Hour))
	must(t, "Prune", err)
	eqFields(t, "samples left after the deletes", field{"deleted", n, int64(3)})
	// The deleted device's token hash is free again.
	must(t, "Set the deleted device's hash on another device", st.AgentTokens().Set(ctx, keep.ID, tok, identNow()))
	wantToken(t, st, "the reused hash", tok, keep.ID)
}

// agentRows are what one transaction writes through the agent stores.
type agentRows struct {
	key       *domain.EnrollmentKey
	token     string
	sample    domain.MetricSample
	inventory *domain.DeviceInventory
}

// writeAgentRows writes a key, a token, a sample, an inventory and a
// presence update for d through tx, spends one use of spent, and reads each
// back inside the transaction.
func writeAgentRows(ctx context.Context, tx ports.Store, c chain, d *domain.Device, spent *domain.EnrollmentKey) (*agentRows, error) {
	r := &agentRows{key: enrollKeyIn(c.org.ID, c.site.ID), token: randomHash()}
	if err := tx.EnrollmentKeys().Create(ctx, global, r.key); err != nil {
		return r, fmt.Errorf("create key: %w", err)
	}
	if _, err := tx.EnrollmentKeys().Use(ctx, spent.KeyHash, identNow()); err != nil {
		return r, fmt.Errorf("use key: %w", err)
	}
	if err := tx.AgentTokens().Set(ctx, d.ID, r.token, identNow()); err != nil {
		return r, fmt.Errorf("set token: %w", err)
	}
	r.sample = cpuSample(d.ID, identNow(), 42)
	if err := tx.Telemetry().Write(ctx, []domain.MetricSample{r.sample}, time.Time{}); err != nil {
		return r, fmt.Errorf("write telemetry: %w", err)
	}
	r.inventory = &domain.DeviceInventory{DeviceID: d.ID, UpdatedAt: identNow(), Document: inventoryDoc("tx", 1)}
	if err := tx.Inventory().Put(ctx, r.inventory); err != nil {
		return r, fmt.Errorf("put inventory: %w", err)
	}
	if err := tx.Presence().Mark(ctx, []domain.PresenceUpdate{{DeviceID: d.ID, Status: domain.DeviceDecommissioned, LastSeenAt: identNow()}}); err != nil {
		return r, fmt.Errorf("mark presence: %w", err)
	}

	// The transaction sees its own writes.
	if k, err := tx.EnrollmentKeys().Get(ctx, global, spent.ID); err != nil || k.Uses != spent.Uses+1 {
		return r, fmt.Errorf("Get of the spent key inside the tx = %v, %v; want Uses %d", k, err, spent.Uses+1)
	}
	if id, err := tx.AgentTokens().Lookup(ctx, r.token); err != nil || id != d.ID {
		return r, fmt.Errorf("Lookup inside the tx = %q, %v; want %s", id, err, d.ID)
	}
	if s, err := tx.Telemetry().Latest(ctx, global, d.ID); err != nil || !sameTime(s.At, r.sample.At) {
		return r, fmt.Errorf("Latest inside the tx = %v, %v; want the sample at %v", s, err, r.sample.At)
	}
	if _, err := tx.Inventory().GetUnscoped(ctx, d.ID); err != nil {
		return r, fmt.Errorf("GetUnscoped inside the tx: %w", err)
	}
	if got, err := tx.Devices().Get(ctx, global, d.ID); err != nil || got.Status != domain.DeviceDecommissioned {
		return r, fmt.Errorf("device inside the tx = %v, %v; want decommissioned", got, err)
	}
	return r, nil
}

func testAgentTx(t *testing.T, _ AgentFactory, st ports.Store) {
	t.Run("RollsBackOnError", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		d := newDevice(t, st, c.site.ID, "")
		before := globalDevice(t, st, d.ID)
		spent := newEnrollKey(t, st, c.org.ID, c.site.ID)
		var rows *agentRows
		err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			var err error
			if rows, err = writeAgentRows(ctx, tx, c, d, spent); err != nil {
				return err
			}
			return fmt.Errorf("fn failed: %w", errBoom)
		})
		wantIs(t, "InTx", err, errBoom)
		if rows == nil {
			t.Fatal("InTx did not run fn")
		}
		wantAgentGone(t, st, d, rows)
		eqEnrollKey(t, "the key spent in the rolled-back tx", globalEnrollKey(t, st, spent.ID), spent)
		got := globalDevice(t, st, d.ID)
		eqFields(t, "device after the rollback", field{"Status", got.Status, before.Status}, field{"LastSeenAt", got.LastSeenAt, before.LastSeenAt})
	})

	t.Run("RollsBackOnPanic", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		d := newDevice(t, st, c.site.ID, "")
		spent := newEnrollKey(t, st, c.org.ID, c.site.ID)
		var rows *agentRows
		recovered := func() (p any) {
			defer func() { p = recover() }()
			_ = st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
				var err error
				if rows, err = writeAgentRows(ctx, tx, c, d, spent); err != nil {
					return err
				}
				panic(errBoom)
			})
			return nil
		}()
		if recovered != errBoom {
			t.Errorf("recovered %v, want %v", recovered, errBoom)
		}
		if rows != nil {
			wantAgentGone(t, st, d, rows)
		}
		eqEnrollKey(t, "the key spent in the rolled-back tx", globalEnrollKey(t, st, spent.ID), spent)
	})

	t.Run("CommitsOnNil", func(t *testing.T) {
		ctx := t.Context()
		c := newChain(t, st)
		d := newDevice(t, st, c.site.ID, "")
		spent := newEnrollKey(t, st, c.org.ID, c.site.ID)
		var rows *agentRows
		err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			var err error
			rows, err = writeAgentRows(ctx, tx, c, d, spent)
			return err
		})
		must(t, "InTx", err)
		eqEnrollKey(t, "key created in the tx", globalEnrollKey(t, st, rows.key.ID), rows.key)
		eqFields(t, "key spent in the tx", field{"Uses", globalEnrollKey(t, st, spent.ID).Uses, spent.Uses + 1})
		wantToken(t, st, "token set in the tx", rows.token, d.ID)
		eqSample(t, "Latest written in the tx", latest(t, st, d.ID), rows.sample)
		got, err := st.Inventory().GetUnscoped(ctx, d.ID)
		must(t, "GetUnscoped", err)
		eqInventory(t, "inventory put in the tx", got, rows.inventory)
		eqFields(t, "device marked in the tx", field{"Status", globalDevice(t, st, d.ID).Status, domain.DeviceDecommissioned})
	})
}

func wantAgentGone(t *testing.T, st ports.Store, d *domain.Device, r *agentRows) {
	t.Helper()
	ctx := t.Context()
	if r.key != nil && r.key.ID != "" {
		_, err := st.EnrollmentKeys().Get(ctx, global, r.key.ID)
		wantIs(t, "Get of the rolled-back key", err, domain.ErrNotFound)
		wantKeyAbsent(t, st, "rolled-back key", r.key.KeyHash)
	}
	wantNoToken(t, st, "rolled-back token", r.token)
	_, err := st.Telemetry().Latest(ctx, global, d.ID)
	wantIs(t, "Latest after the rollback", err, domain.ErrNotFound)
	_, err = st.Inventory().GetUnscoped(ctx, d.ID)
	wantIs(t, "inventory after the rollback", err, domain.ErrNotFound)
}
