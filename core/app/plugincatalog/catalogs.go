package plugincatalog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Catalog is the API's view of a subscription.
type Catalog struct {
	ID, Name, URL         string
	KeyID, Fingerprint    string
	CreatedAt             time.Time
	CreatedBy             string
	SyncedAt, AttemptedAt time.Time // zero: never
	SyncError             string
	IndexName             string // the name the index gives itself
	Plugins               int    // in the last good index
}

// SubscribeRequest names a catalog: its index URL and its public key.
type SubscribeRequest struct {
	Name, URL, PublicKey string
}

// Subscribe stores the subscription and syncs it at once. A failed first
// sync keeps the subscription (the answer carries the error; sync again
// once the catalog answers).
func (s *Service) Subscribe(ctx context.Context, sc domain.Scope, r SubscribeRequest, by string) (*Catalog, error) {
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	r.Name, r.URL = strings.TrimSpace(r.Name), strings.TrimSpace(r.URL)
	if r.Name == "" || len(r.Name) > 128 {
		return nil, domain.Invalidf("a catalog name of 1 to 128 characters is required")
	}
	if err := s.d.Source.CheckURL(r.URL); err != nil {
		return nil, err
	}
	key, err := s.d.Source.ParseKey(r.PublicKey)
	if err != nil {
		return nil, err
	}
	row := &ports.PluginCatalog{Name: r.Name, URL: r.URL, PublicKey: key.PEM, KeyID: key.ID, CreatedBy: by}
	if err := s.d.Store.PluginCatalogs().Create(ctx, row); err != nil {
		return nil, err
	}
	audited(ctx, "plugin_catalog", row.ID, domain.OutcomeSuccess, map[string]string{"name": r.Name, "url": r.URL, "keyId": key.ID, "fingerprint": key.Fingerprint})
	s.d.Logger.Info("plugin catalog subscribed", "catalog", r.Name, "url", r.URL, "key_id", key.ID)
	return s.syncNow(ctx, row.ID)
}

// Catalogs lists the subscriptions.
func (s *Service) Catalogs(ctx context.Context, sc domain.Scope) ([]*Catalog, error) {
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	rows, err := s.d.Store.PluginCatalogs().List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Catalog, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.view(r))
	}
	return out, nil
}

// Unsubscribe removes a subscription (installed plugins stay).
func (s *Service) Unsubscribe(ctx context.Context, sc domain.Scope, id string) error {
	if err := requireGlobal(sc); err != nil {
		return err
	}
	row, err := s.d.Store.PluginCatalogs().Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.d.Store.PluginCatalogs().Delete(ctx, id); err != nil {
		return err
	}
	s.remember(id, [32]byte{}, nil)
	audited(ctx, "plugin_catalog", id, domain.OutcomeSuccess, map[string]string{"name": row.Name, "url": row.URL})
	return nil
}

// Sync fetches a catalog now (on demand). Its answer carries the sync's
// error, if any; the last good index is kept.
func (s *Service) Sync(ctx context.Context, sc domain.Scope, id string) (*Catalog, error) {
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	c, err := s.syncNow(ctx, id)
	if err == nil {
		details := map[string]string{"name": c.Name}
		if c.SyncError != "" {
			details["error"] = c.SyncError
		}
		audited(ctx, "plugin_catalog", id, domain.OutcomeSuccess, details)
	}
	return c, err
}

// syncNow claims the catalog's lease whatever its age and syncs.
func (s *Service) syncNow(ctx context.Context, id string) (*Catalog, error) {
	at := s.d.Clock.Now()
	if _, err := s.d.Store.PluginCatalogs().ClaimSync(ctx, id, at, at.Add(time.Microsecond)); err != nil {
		return nil, err
	}
	row, err := s.d.Store.PluginCatalogs().Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.sync(ctx, row, at); err != nil {
		return nil, err
	}
	if row, err = s.d.Store.PluginCatalogs().Get(ctx, id); err != nil {
		return nil, err
	}
	return s.view(row), nil
}

// SyncDue syncs every catalog whose last attempt is older than SyncEvery
// and whose lease this node wins (ClaimSync: one node of a cluster per
// attempt). It returns how many it synced; a failed sync is recorded on
// the catalog, not returned.
func (s *Service) SyncDue(ctx context.Context) (int, error) {
	rows, err := s.d.Store.PluginCatalogs().List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		at := s.d.Clock.Now()
		won, err := s.d.Store.PluginCatalogs().ClaimSync(ctx, r.ID, at, at.Add(-s.d.SyncEvery))
		if errors.Is(err, domain.ErrNotFound) || err == nil && !won {
			continue
		}
		if err != nil {
			return n, err
		}
		if err := s.sync(ctx, r, at); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sync fetches and verifies the index and records the result: a good
// index replaces the last, a failure keeps it and records the error. Only
// a store failure is returned.
func (s *Service) sync(ctx context.Context, row *ports.PluginCatalog, at time.Time) error {
	index, sig, err := s.d.Source.FetchIndex(ctx, row.URL)
	var ix *Index
	if err == nil {
		ix, err = s.d.Source.Parse(index, sig, row.PublicKey)
	}
	if err != nil {
		s.d.Logger.Warn("plugin catalog sync failed; the last good index is kept", "catalog", row.Name, "error", err)
		return s.d.Store.PluginCatalogs().RecordSync(ctx, row.ID, at, nil, nil, err.Error())
	}
	s.d.Logger.Info("plugin catalog synced", "catalog", row.Name, "plugins", len(ix.Plugins))
	s.remember(row.ID, indexSum(row.PublicKey, sig, index), ix)
	return s.d.Store.PluginCatalogs().RecordSync(ctx, row.ID, at, index, sig, "")
}

func (s *Service) view(r *ports.PluginCatalog) *Catalog {
	c := &Catalog{ID: r.ID, Name: r.Name, URL: r.URL, KeyID: r.KeyID, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy,
		SyncedAt: r.SyncedAt, AttemptedAt: r.SyncAttemptAt, SyncError: r.SyncError}
	if k, err := s.d.Source.ParseKey(r.PublicKey); err == nil {
		c.Fingerprint = k.Fingerprint
	}
	if ix, err := s.index(r); err == nil && ix != nil {
		c.IndexName, c.Plugins = ix.Name, len(ix.Plugins)
	}
	return c
}

// index is the catalog's last good index (nil: none yet), verified again
// when it changed since this node last read it.
func (s *Service) index(r *ports.PluginCatalog) (*Index, error) {
	if r.Index == nil {
		return nil, nil
	}
	sum := indexSum(r.PublicKey, r.Signature, r.Index)
	s.mu.Lock()
	c, ok := s.cache[r.ID]
	s.mu.Unlock()
	if ok && c.sum == sum {
		return c.ix, nil
	}
	ix, err := s.d.Source.Parse(r.Index, r.Signature, r.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("plugincatalog: stored index of %s: %w", r.Name, err)
	}
	s.remember(r.ID, sum, ix)
	return ix, nil
}

func indexSum(key string, sig, index []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write(sig)
	h.Write(index)
	return [32]byte(h.Sum(nil))
}

// remember caches a parsed index (nil ix: forget the catalog).
func (s *Service) remember(id string, sum [32]byte, ix *Index) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix == nil {
		delete(s.cache, id)
		return
	}
	if s.cache == nil {
		s.cache = map[string]cachedIndex{}
	}
	s.cache[id] = cachedIndex{sum: sum, ix: ix}
}

// cachedIndex is a parsed index and the hash of what it was parsed from.
type cachedIndex struct {
	sum [32]byte
	ix  *Index
}
