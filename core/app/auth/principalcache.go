package auth

import (
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// DefaultPrincipalTTL bounds how long a principal built for a credential is
// reused without reading the store again (BREEZE_AUTH_CACHE_TTL).
//
// Without it every API request reads the session, the user, their grants
// and the partner's policy: four round trips before any work, most of a
// small request's database time. What bounds the staleness: a sign-out, a
// disabled or deleted user, a password change, a grant, role, API key,
// second-factor or partner-policy change drop the entries concerned at once
// on the node that made the change and, over the bus, on every other node
// (tickets.RevokedTopic); only a change made outside the server (the
// `breeze` CLI on the database) or a bus message lost waits out the TTL. The
// access token's signature and expiry are checked on every request, and an
// API key's expiry is kept with its entry.
const DefaultPrincipalTTL = 5 * time.Second

// maxCachedPrincipals bounds the cache's memory (one entry per live session
// or key in use; a principal is a few hundred bytes).
const maxCachedPrincipals = 20_000

// PrincipalCache holds recently built principals by credential. It is safe
// for concurrent use; its zero value is not: use NewPrincipalCache.
type PrincipalCache struct {
	ttl time.Duration

	mu  sync.Mutex
	m   map[string]cachedPrincipal
	gen uint64 // bumped by every invalidation, see put
}

type cachedPrincipal struct {
	p       domain.Principal
	expires time.Time
}

// NewPrincipalCache returns a cache keeping entries for ttl; ttl <= 0 turns
// it off (every request reads the store).
func NewPrincipalCache(ttl time.Duration) *PrincipalCache {
	return &PrincipalCache{ttl: ttl, m: map[string]cachedPrincipal{}}
}

// sessionKey and keyKey name a credential's entry: an access token by its
// session (the user is checked against the token's), an API key by the
// hash of its secret.
func sessionKey(sessionID string) string { return "s:" + sessionID }
func keyKey(hash string) string          { return "k:" + hash }

func (c *PrincipalCache) on() bool { return c != nil && c.ttl > 0 }

// get returns a copy of the entry's principal while it is fresh.
func (c *PrincipalCache) get(key string, now time.Time) (*domain.Principal, bool) {
	if !c.on() {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	p := e.p // callers may set fields on theirs; grants are never modified
	return &p, true
}

// generation is read before the store is: put refuses an entry built from
// reads that an invalidation may have overtaken.
func (c *PrincipalCache) generation() uint64 {
	if !c.on() {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps p until now+ttl, or until notAfter when that is sooner (an API
// key's expiry), unless an invalidation happened since gen was read.
func (c *PrincipalCache) put(key string, p *domain.Principal, gen uint64, now, notAfter time.Time) {
	if !c.on() {
		return
	}
	expires := now.Add(c.ttl)
	if !notAfter.IsZero() && notAfter.Before(expires) {
		expires = notAfter
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxCachedPrincipals {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedPrincipals {
			return // full of live entries: the extra credentials read the store
		}
	}
	c.m[key] = cachedPrincipal{p: *p, expires: expires}
}

// Forget drops what a change concerns: the entries of session sessionID,
// those of user userID (their sessions and their API keys), or every entry
// when both are empty. Safe on a nil cache.
func (c *PrincipalCache) Forget(userID, sessionID string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if userID == "" && sessionID == "" {
		clear(c.m)
		return
	}
	for k, e := range c.m {
		if (userID != "" && e.p.UserID == userID) || (sessionID != "" && e.p.SessionID == sessionID) {
			delete(c.m, k)
		}
	}
}

// Len is the number of entries held (tests and metrics).
func (c *PrincipalCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
