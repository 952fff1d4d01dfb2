package agentca

import (
	"context"
	"fmt"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// mtlsPartners is the set of partners whose switch requires mutual TLS, as
// read at some moment. Every link upgrade asks Required; without it each
// would read its device and its partner (two queries), a cost a reconnect
// storm pays tens of thousands of times for an answer that is nearly
// always "no partner requires it".
//
// Bounded staleness: the set is read again once it is Refresh old (10 s by
// default), so a partner's switch turned on (or off) governs every node's
// new links within Refresh. Links already open are not re-checked by the
// switch in any case. Revocation is not cached: a revoked certificate is
// looked up by Verify on every link, a revoked token by the token check.
type mtlsPartners struct {
	at  time.Time
	ids map[string]bool
}

// requiringPartners returns the set, reading it when it is Refresh old.
func (s *Service) requiringPartners(ctx context.Context) (map[string]bool, error) {
	wall := time.Now()
	s.mtlsMu.Lock()
	defer s.mtlsMu.Unlock()
	if s.mtls != nil && wall.Sub(s.mtls.at) < s.d.Refresh {
		return s.mtls.ids, nil
	}
	ids := map[string]bool{}
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		got, err := s.d.Store.Partners().List(ctx, domain.GlobalScope(), page)
		if err != nil {
			return nil, fmt.Errorf("list partners: %w", err)
		}
		for _, p := range got.Items {
			if p.RequireMTLS {
				ids[p.ID] = true
			}
		}
		if got.NextCursor == "" {
			break
		}
		page.Cursor = got.NextCursor
	}
	s.mtls = &mtlsPartners{at: wall, ids: ids}
	return ids, nil
}

// ForgetPartners drops the set: the next link reads the switches again (one
// was changed on this node).
func (s *Service) ForgetPartners() {
	s.mtlsMu.Lock()
	s.mtls = nil
	s.mtlsMu.Unlock()
}
