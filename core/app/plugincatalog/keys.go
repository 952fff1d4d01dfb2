package plugincatalog

import (
	"context"
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// TrustRequest names a publisher key to trust: the key itself (PEM or
// base64), or the id of a key a subscribed catalog lists (the catalog's
// signature vouches for the bytes; the operator checks the fingerprint).
type TrustRequest struct {
	PublicKey string
	KeyID     string
	Name      string
}

// TrustKey trusts a publisher key on every node at once (installs read the
// database's keys with the configured ones). Audited with the fingerprint.
func (s *Service) TrustKey(ctx context.Context, sc domain.Scope, r TrustRequest, by string) (*ports.PluginKey, error) {
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(r.PublicKey)
	if text == "" {
		if r.KeyID == "" {
			return nil, domain.Invalidf("a public key or the key id of a catalog's publisher is required")
		}
		found, err := s.publisherKey(ctx, r.KeyID)
		if err != nil {
			return nil, err
		}
		text = found
	}
	key, err := s.d.Source.ParseKey(text)
	if err != nil {
		return nil, err
	}
	if r.KeyID != "" && key.ID != r.KeyID {
		return nil, domain.Invalidf("the key given has id %s, not %s", key.ID, r.KeyID)
	}
	name := strings.TrimSpace(r.Name)
	if len(name) > 128 {
		return nil, domain.Invalidf("a key name is at most 128 characters")
	}
	row := &ports.PluginKey{KeyID: key.ID, PublicKey: key.PEM, Fingerprint: key.Fingerprint, Name: name, AddedBy: by, AddedAt: s.d.Clock.Now()}
	if err := s.d.Store.PluginKeys().Put(ctx, row); err != nil {
		return nil, err
	}
	audited(ctx, "plugin_key", key.ID, domain.OutcomeSuccess, map[string]string{"keyId": key.ID, "fingerprint": key.Fingerprint, "name": name})
	s.d.Logger.Info("plugin publisher key trusted", "key_id", key.ID, "fingerprint", key.Fingerprint, "by", by)
	return row, nil
}

// UntrustKey removes a key trusted in the database (configured keys stay
// as configured). Installed plugins keep running; their next install or
// unpack on another node needs a trusted key again.
func (s *Service) UntrustKey(ctx context.Context, sc domain.Scope, keyID string) error {
	if err := requireGlobal(sc); err != nil {
		return err
	}
	if err := s.d.Store.PluginKeys().Delete(ctx, keyID); err != nil {
		return err
	}
	audited(ctx, "plugin_key", keyID, domain.OutcomeSuccess, map[string]string{"keyId": keyID})
	return nil
}

// Keys lists the keys trusted in the database.
func (s *Service) Keys(ctx context.Context, sc domain.Scope) ([]*ports.PluginKey, error) {
	if err := requireGlobal(sc); err != nil {
		return nil, err
	}
	return s.d.Store.PluginKeys().List(ctx)
}

// publisherKey is the key a subscribed catalog lists under keyID.
func (s *Service) publisherKey(ctx context.Context, keyID string) (string, error) {
	rows, err := s.d.Store.PluginCatalogs().List(ctx)
	if err != nil {
		return "", err
	}
	for _, row := range rows {
		ix, err := s.index(row)
		if err != nil || ix == nil {
			continue
		}
		for _, e := range ix.Plugins {
			if e.PublisherKeyID == keyID {
				return e.PublisherKey, nil
			}
		}
	}
	return "", domain.NotFoundf("no subscribed catalog lists a publisher key %s: give the key itself", keyID)
}
