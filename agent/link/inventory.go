package link

import (
	"context"
	"errors"
	"fmt"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/inventory"
	"github.com/breeze-rmm/breeze/protocol"
)

// inventoryState remembers what the server last received, so later sends can
// be diffs. It is used only from the session goroutine.
type inventoryState struct {
	store InventoryStore
	last  protocol.Inventory
	have  bool
}

func (s *inventoryState) init(store InventoryStore, log hclog.Logger) {
	s.store = store
	if store == nil {
		return
	}
	inv, ok, err := store.Load()
	if err != nil {
		log.Warn("cannot read the inventory cache; the next inventory will be sent in full", "error", err)
		return
	}
	s.last, s.have = inv, ok
}

// onConnect sends the full inventory when the server asks for it or when the
// machine changed since the server last got one.
func (s *inventoryState) onConnect(ctx context.Context, l *Link, conn *websocket.Conn, wanted bool) error {
	if l.opts.Inventory == nil {
		return nil
	}
	cur, err := l.opts.Inventory.Collect(ctx)
	if err != nil {
		l.log.Warn("cannot collect inventory; will try again later", "error", err)
		return nil
	}
	if !wanted && s.have {
		if _, changed := inventory.Diff(s.last, cur); !changed {
			return nil
		}
	}
	return s.send(l, conn, cur, cur)
}

// onTick sends only what changed since the last inventory the server got.
func (s *inventoryState) onTick(ctx context.Context, l *Link, conn *websocket.Conn) error {
	if l.opts.Inventory == nil {
		return nil
	}
	cur, err := l.opts.Inventory.Collect(ctx)
	if err != nil {
		l.log.Warn("cannot collect inventory; will try again later", "error", err)
		return nil
	}
	if !s.have {
		return s.send(l, conn, cur, cur)
	}
	d, changed := inventory.Diff(s.last, cur)
	if !changed {
		return nil
	}
	return s.send(l, conn, d, cur)
}

// send writes frame and, once written, records full as what the server has.
func (s *inventoryState) send(l *Link, conn *websocket.Conn, frame, full protocol.Inventory) error {
	frame.Type = protocol.TypeInventory
	if err := l.writeJSON(conn, frame); err != nil {
		if errors.Is(err, errFrameTooLarge) {
			l.log.Error("inventory is too large for one frame; not sent", "error", err)
			return nil
		}
		return fmt.Errorf("send inventory: %w", err)
	}
	l.log.Debug("inventory sent", "full", frame.Full, "software", len(frame.Software),
		"added", len(frame.SoftwareAdded), "removed", len(frame.SoftwareRemoved))
	s.last, s.have = full, true
	if s.store != nil {
		if err := s.store.Save(full); err != nil {
			l.log.Warn("cannot write the inventory cache", "error", err)
		}
	}
	return nil
}

// errInventoryUnavailable: no source, or collecting failed; the link is fine.
var errInventoryUnavailable = errors.New("inventory unavailable")

// sendFull collects and sends a full inventory now (collect_inventory).
func (s *inventoryState) sendFull(ctx context.Context, l *Link, conn *websocket.Conn) error {
	if l.opts.Inventory == nil {
		return fmt.Errorf("%w: this agent has no inventory source", errInventoryUnavailable)
	}
	cur, err := l.opts.Inventory.Collect(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", errInventoryUnavailable, err)
	}
	cur.Full = true
	return s.send(l, conn, cur, cur)
}

// SendFullInventory asks the live session to collect and send a full
// inventory and waits for the outcome. It fails with ErrLinkDown when no
// session is up (the next session's welcome decides then).
func (l *Link) SendFullInventory(ctx context.Context) error {
	out := l.current.Load()
	if out == nil {
		return ErrLinkDown
	}
	req := make(chan error, 1)
	select {
	case l.invNow <- req:
	case <-out.closed:
		return ErrLinkDown
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req:
		return err
	case <-out.closed:
		return ErrLinkDown
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CheckInventory asks the live session to look for inventory changes now
// (a collector plugin started) instead of at the next InventoryEvery tick;
// it never blocks. Without a session the next one's connect check covers it.
func (l *Link) CheckInventory() {
	select {
	case l.invCheck <- struct{}{}:
	default:
	}
}
