package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// Bounds on one inventory document, far above any real machine; beyond
// them the report is refused rather than stored.
const (
	maxSoftware   = 50_000
	maxInvEntries = 4096 // disks, filesystems, interfaces
)

// Inventory stores a full inventory, or applies a diff to the stored one:
// sections present in the diff replace the stored ones, and software is
// added (or its version updated) and removed by name and source. A diff
// with nothing stored is applied to an empty document.
func (s *Service) Inventory(ctx context.Context, deviceID string, inv protocol.Inventory) error {
	if err := checkInventory(&inv); err != nil {
		return err
	}
	now := s.d.Clock.Now()
	var doc protocol.Inventory
	if inv.Full {
		doc = inv
	} else {
		stored, err := s.d.Store.Inventory().GetUnscoped(ctx, deviceID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
		case err != nil:
			return fmt.Errorf("load inventory: %w", err)
		default:
			if err := json.Unmarshal([]byte(stored.Document), &doc); err != nil {
				// A broken stored document is replaced rather than kept forever.
				s.d.Logger.Warn("stored inventory is not valid JSON; starting afresh", "device_id", deviceID, "error", err)
				doc = protocol.Inventory{}
			}
		}
		applyDiff(&doc, &inv)
	}
	doc.Header = protocol.Header{Type: protocol.TypeInventory}
	doc.Full, doc.SoftwareAdded, doc.SoftwareRemoved = true, nil, nil
	doc.At = inv.At.UTC()
	if doc.At.IsZero() || doc.At.After(now.Add(maxClockSkew)) {
		doc.At = now.UTC()
	}
	doc.Software = normaliseSoftware(doc.Software)
	if len(doc.Software) > maxSoftware {
		return domain.Invalidf("inventory lists more than %d software packages", maxSoftware)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode inventory: %w", err)
	}
	if err := s.d.Store.Inventory().Put(ctx, &domain.DeviceInventory{DeviceID: deviceID, UpdatedAt: now.UTC(), Document: string(raw)}); err != nil {
		return err
	}
	if s.d.Reports != nil {
		s.d.Reports.InventoryStored(ctx, deviceID, now.UTC(), &doc)
	}
	return nil
}

func checkInventory(inv *protocol.Inventory) error {
	if len(inv.Disks) > maxInvEntries || len(inv.Filesystems) > maxInvEntries || len(inv.Interfaces) > maxInvEntries {
		return domain.Invalidf("inventory has more than %d disks, filesystems or interfaces", maxInvEntries)
	}
	if len(inv.Software) > maxSoftware || len(inv.SoftwareAdded) > maxSoftware || len(inv.SoftwareRemoved) > maxSoftware {
		return domain.Invalidf("inventory lists more than %d software packages", maxSoftware)
	}
	if len(inv.Facts) > maxInvEntries {
		return domain.Invalidf("inventory has more than %d plugin facts", maxInvEntries)
	}
	if inv.Full && (len(inv.SoftwareAdded) > 0 || len(inv.SoftwareRemoved) > 0) {
		return domain.Invalidf("a full inventory carries software, not softwareAdded or softwareRemoved")
	}
	return nil
}

// applyDiff merges diff into doc.
func applyDiff(doc, diff *protocol.Inventory) {
	if diff.OS != nil {
		doc.OS = diff.OS
	}
	if diff.CPU != nil {
		doc.CPU = diff.CPU
	}
	if diff.MemoryTotal != 0 {
		doc.MemoryTotal = diff.MemoryTotal
	}
	if diff.Disks != nil {
		doc.Disks = diff.Disks
	}
	if diff.Filesystems != nil {
		doc.Filesystems = diff.Filesystems
	}
	if diff.Interfaces != nil {
		doc.Interfaces = diff.Interfaces
	}
	if diff.Software != nil {
		doc.Software = diff.Software
	}
	if diff.Facts != nil {
		doc.Facts = diff.Facts
	}
	if len(diff.SoftwareAdded) == 0 && len(diff.SoftwareRemoved) == 0 {
		return
	}
	byKey := make(map[string]int, len(doc.Software))
	for i, p := range doc.Software {
		byKey[softwareKey(p)] = i
	}
	removed := map[string]bool{}
	for _, p := range diff.SoftwareRemoved {
		removed[softwareKey(p)] = true
	}
	for _, p := range diff.SoftwareAdded {
		k := softwareKey(p)
		delete(removed, k) // an upgrade may come as remove+add of one package
		if i, ok := byKey[k]; ok {
			doc.Software[i] = p
			continue
		}
		byKey[k] = len(doc.Software)
		doc.Software = append(doc.Software, p)
	}
	if len(removed) > 0 {
		kept := doc.Software[:0]
		for _, p := range doc.Software {
			if !removed[softwareKey(p)] {
				kept = append(kept, p)
			}
		}
		doc.Software = kept
	}
}

func softwareKey(p protocol.SoftwarePackage) string { return p.Source + "\x00" + p.Name }

// normaliseSoftware drops duplicates (the last one wins) and sorts by
// source then name, so equal inventories are equal documents.
func normaliseSoftware(list []protocol.SoftwarePackage) []protocol.SoftwarePackage {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]int, len(list))
	out := make([]protocol.SoftwarePackage, 0, len(list))
	for _, p := range list {
		if p.Name == "" {
			continue
		}
		k := softwareKey(p)
		if i, ok := seen[k]; ok {
			out[i] = p
			continue
		}
		seen[k] = len(out)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// InventoryOf decodes a stored inventory document.
func InventoryOf(inv *domain.DeviceInventory) (protocol.Inventory, error) {
	var doc protocol.Inventory
	if err := json.Unmarshal([]byte(inv.Document), &doc); err != nil {
		return doc, fmt.Errorf("decode inventory of device %s: %w", inv.DeviceID, err)
	}
	return doc, nil
}
