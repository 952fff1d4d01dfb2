package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type inventoryStore struct{ s *Store }

// Put replaces the device's document. An unknown device is ErrNotFound.
func (is inventoryStore) Put(ctx context.Context, inv *domain.DeviceInventory) error {
	if inv == nil {
		return domain.Invalidf("inventory is required")
	}
	if !domain.ValidID(inv.DeviceID) {
		return notFound("device")
	}
	if !json.Valid([]byte(inv.Document)) {
		return domain.Invalidf("inventory document is not valid JSON")
	}
	at := inv.UpdatedAt
	if at.IsZero() {
		at = now()
	}
	err := is.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO device_inventory (device_id, updated_at, document) VALUES (?, ?, ?)"+
			" ON CONFLICT (device_id) DO UPDATE SET updated_at = excluded.updated_at, document = excluded.document",
			inv.DeviceID, micros(at), inv.Document)
		return failure{op: "put inventory", missing: "device not found"}.wrap(err)
	})
	if err != nil {
		return err
	}
	inv.UpdatedAt = fromMicros(micros(at))
	return nil
}

// Get joins the device row: the inventory is visible where the device is.
func (is inventoryStore) Get(ctx context.Context, s domain.Scope, deviceID string) (*domain.DeviceInventory, error) {
	if !domain.ValidID(deviceID) {
		return nil, notFound("inventory")
	}
	args := []any{deviceID}
	where := tenantScope.where(s, "d.", &args)
	return scanInventory(is.s.read(ctx).QueryRowContext(ctx, "SELECT i.device_id, i.updated_at, i.document"+
		" FROM device_inventory AS i JOIN devices AS d ON d.id = i.device_id WHERE i.device_id = ? AND "+where, args...))
}

func (is inventoryStore) GetUnscoped(ctx context.Context, deviceID string) (*domain.DeviceInventory, error) {
	if !domain.ValidID(deviceID) {
		return nil, notFound("inventory")
	}
	return scanInventory(is.s.read(ctx).QueryRowContext(ctx,
		"SELECT device_id, updated_at, document FROM device_inventory WHERE device_id = ?", deviceID))
}

// Exists probes the primary key only: the link asks on every hello and
// must not read a document that may span many pages.
func (is inventoryStore) Exists(ctx context.Context, deviceID string) (bool, error) {
	if !domain.ValidID(deviceID) {
		return false, nil
	}
	var found bool
	err := is.s.read(ctx).QueryRowContext(ctx,
		"SELECT EXISTS (SELECT 1 FROM device_inventory WHERE device_id = ?)", deviceID).Scan(&found)
	if err != nil {
		return false, failure{op: "check inventory"}.wrap(err)
	}
	return found, nil
}

func scanInventory(r rowScanner) (*domain.DeviceInventory, error) {
	var inv domain.DeviceInventory
	var at int64
	err := r.Scan(&inv.DeviceID, &at, &inv.Document)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("inventory")
	}
	if err != nil {
		return nil, failure{op: "read inventory"}.wrap(err)
	}
	inv.UpdatedAt = fromMicros(at)
	return &inv, nil
}

var _ ports.InventoryStore = inventoryStore{}
