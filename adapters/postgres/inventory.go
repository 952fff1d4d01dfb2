package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type inventoryStore struct{ q querier }

var _ ports.InventoryStore = inventoryStore{}

// Put replaces the device's inventory document. An unknown device is
// ErrNotFound; a document that is not UTF-8 text is ErrInvalid. A zero
// UpdatedAt is set to now; inv gets the stored value.
func (st inventoryStore) Put(ctx context.Context, inv *domain.DeviceInventory) error {
	ctx = system(ctx)
	if !domain.ValidID(inv.DeviceID) {
		return notFound("device")
	}
	if !storable(inv.Document) {
		return domain.Invalidf("inventory document must be valid UTF-8 without NUL bytes")
	}
	at := now()
	if !inv.UpdatedAt.IsZero() {
		at = stamp(inv.UpdatedAt)
	}
	_, err := st.q.Exec(ctx, `INSERT INTO device_inventory (device_id, updated_at, document) VALUES ($1, $2, $3)
		ON CONFLICT (device_id) DO UPDATE SET updated_at = excluded.updated_at, document = excluded.document`,
		inv.DeviceID, at, inv.Document)
	if err != nil {
		err = translate("put inventory", err)
		if errors.Is(err, domain.ErrNotFound) {
			return notFound("device")
		}
		return err
	}
	inv.UpdatedAt = at
	return nil
}

// Get returns the inventory of a device the scope covers.
func (st inventoryStore) Get(ctx context.Context, s domain.Scope, deviceID string) (*domain.DeviceInventory, error) {
	ctx = tenant(ctx, s)
	if !domain.ValidID(deviceID) {
		return nil, notFound("inventory")
	}
	a := args{deviceID}
	return st.one(ctx, `SELECT i.device_id, i.updated_at, i.document FROM device_inventory i
		JOIN devices d ON d.id = i.device_id WHERE i.device_id = $1 AND `+tenantScope.where(s, &a, "d."), a)
}

// GetUnscoped returns the inventory of any device (for the agent link).
func (st inventoryStore) GetUnscoped(ctx context.Context, deviceID string) (*domain.DeviceInventory, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return nil, notFound("inventory")
	}
	return st.one(ctx, "SELECT device_id, updated_at, document FROM device_inventory WHERE device_id = $1", args{deviceID})
}

// Exists probes the primary key only: the link asks on every hello and
// must not detoast a document of hundreds of kilobytes.
func (st inventoryStore) Exists(ctx context.Context, deviceID string) (bool, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return false, nil
	}
	var found bool
	err := st.q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM device_inventory WHERE device_id = $1)", deviceID).Scan(&found)
	if err != nil {
		return false, translate("check inventory", err)
	}
	return found, nil
}

func (st inventoryStore) one(ctx context.Context, sql string, a args) (*domain.DeviceInventory, error) {
	var inv domain.DeviceInventory
	err := st.q.QueryRow(ctx, sql, a...).Scan(&inv.DeviceID, &inv.UpdatedAt, &inv.Document)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("inventory")
	}
	if err != nil {
		return nil, translate("get inventory", err)
	}
	inv.UpdatedAt = inv.UpdatedAt.UTC()
	return &inv, nil
}
