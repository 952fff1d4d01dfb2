package storetest

import (
	"context"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// testRemoteTx: the remote stores of the store InTx hands over write in
// the transaction: a rollback undoes them, a commit keeps them.
func testRemoteTx(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	write := func(ctx context.Context, tx ports.Store) (cmd *domain.Command, sc *domain.Script, tkt *domain.WSTicket, err error) {
		cmd, sc, tkt = commandFor(d.ID), scriptIn("", c.org.ID), ticketIn()
		if err = tx.Commands().Create(ctx, global, cmd); err != nil {
			return
		}
		if _, err = tx.Commands().Transition(ctx, cmd.ID, fromQueued, domain.CommandUpdate{Status: domain.CommandSent}); err != nil {
			return
		}
		if err = tx.Scripts().Create(ctx, global, sc); err != nil {
			return
		}
		if err = tx.Tickets().Create(ctx, tkt); err != nil {
			return
		}
		// Read back inside the transaction.
		if _, err = tx.Commands().Get(ctx, global, cmd.ID); err != nil {
			return
		}
		_, err = tx.Scripts().Versions(ctx, global, sc.ID)
		return
	}

	var cmd *domain.Command
	var sc *domain.Script
	var tkt *domain.WSTicket
	err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		var err error
		if cmd, sc, tkt, err = write(ctx, tx); err != nil {
			return err
		}
		return errBoom
	})
	wantIs(t, "InTx returning an error", err, errBoom)
	_, err = st.Commands().Get(ctx, global, cmd.ID)
	wantIs(t, "command after rollback", err, domain.ErrNotFound)
	_, err = st.Scripts().Get(ctx, global, sc.ID)
	wantIs(t, "script after rollback", err, domain.ErrNotFound)
	_, err = st.Tickets().Consume(ctx, tkt.Hash, tkt.CreatedAt)
	wantIs(t, "ticket after rollback", err, domain.ErrNotFound)

	err = st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		var err error
		cmd, sc, tkt, err = write(ctx, tx)
		return err
	})
	must(t, "InTx", err)
	eqFields(t, "command after commit", field{"Status", getCommand(t, st, cmd.ID).Status, domain.CommandSent})
	_, err = st.Scripts().Get(ctx, global, sc.ID)
	must(t, "script after commit", err)
	_, err = st.Tickets().Consume(ctx, tkt.Hash, tkt.CreatedAt)
	must(t, "ticket after commit", err)
}
