package auth

import (
	"strconv"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

func TestPrincipalCache(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	c := NewPrincipalCache(5 * time.Second)
	alice := &domain.Principal{UserID: "alice", SessionID: "s1", Grants: []domain.Grant{{Permissions: []domain.Permission{domain.PermDevicesRead}}}}
	bob := &domain.Principal{UserID: "bob", APIKeyID: "k1"}

	c.put(sessionKey("s1"), alice, c.generation(), now, time.Time{})
	c.put(keyKey("h1"), bob, c.generation(), now, now.Add(2*time.Second)) // the key expires first
	p, ok := c.get(sessionKey("s1"), now.Add(4*time.Second))
	if !ok || p.UserID != "alice" || len(p.Grants) != 1 {
		t.Fatalf("fresh entry: %v %+v", ok, p)
	}
	p.MustEnrollTOTP = true // the caller's copy
	if p, _ := c.get(sessionKey("s1"), now); p.MustEnrollTOTP {
		t.Fatal("a caller's change reached the cache")
	}
	if _, ok := c.get(sessionKey("s1"), now.Add(5*time.Second)); ok {
		t.Fatal("served past the TTL")
	}
	if _, ok := c.get(keyKey("h1"), now.Add(2*time.Second)); ok {
		t.Fatal("served past the key's expiry")
	}

	// Forget by session, by user, and everything.
	fill := func() {
		g := c.generation()
		c.put(sessionKey("s1"), alice, g, now, time.Time{})
		c.put(sessionKey("s2"), &domain.Principal{UserID: "alice", SessionID: "s2"}, g, now, time.Time{})
		c.put(keyKey("h1"), bob, g, now, time.Time{})
	}
	fill()
	c.Forget("", "s1")
	if _, ok := c.get(sessionKey("s1"), now); ok {
		t.Fatal("the ended session is still held")
	}
	if _, ok := c.get(sessionKey("s2"), now); !ok {
		t.Fatal("ending one session dropped another")
	}
	c.Forget("alice", "")
	if _, ok := c.get(sessionKey("s2"), now); ok {
		t.Fatal("the changed user's session is still held")
	}
	if _, ok := c.get(keyKey("h1"), now); !ok {
		t.Fatal("one user's change dropped another user's key")
	}
	c.Forget("bob", "")
	if _, ok := c.get(keyKey("h1"), now); ok {
		t.Fatal("the key of the changed owner is still held")
	}
	fill()
	c.Forget("", "")
	if c.Len() != 0 {
		t.Fatalf("forget all left %d entries", c.Len())
	}

	// A principal read before an invalidation is not kept after it.
	g := c.generation()
	c.Forget("someone", "")
	c.put(sessionKey("s1"), alice, g, now, time.Time{})
	if _, ok := c.get(sessionKey("s1"), now); ok {
		t.Fatal("an entry built before an invalidation was kept")
	}
}

func TestPrincipalCacheOffAndBounded(t *testing.T) {
	now := time.Now()
	off := NewPrincipalCache(0)
	off.put(sessionKey("s"), &domain.Principal{UserID: "u"}, off.generation(), now, time.Time{})
	if _, ok := off.get(sessionKey("s"), now); ok {
		t.Fatal("a TTL of 0 still caches")
	}
	var none *PrincipalCache
	none.Forget("u", "") // safe on nil
	if _, ok := none.get("x", now); ok || none.Len() != 0 {
		t.Fatal("a nil cache answered")
	}

	c := NewPrincipalCache(time.Second)
	for i := range maxCachedPrincipals + 10 {
		c.put(sessionKey(strconv.Itoa(i)), &domain.Principal{UserID: "u"}, c.generation(), now, time.Time{})
	}
	if c.Len() != maxCachedPrincipals {
		t.Fatalf("held %d entries, bound %d", c.Len(), maxCachedPrincipals)
	}
	// Once they expire, new entries take their place.
	c.put(sessionKey("late"), &domain.Principal{UserID: "v"}, c.generation(), now.Add(time.Second), time.Time{})
	if _, ok := c.get(sessionKey("late"), now.Add(time.Second)); !ok || c.Len() != 1 {
		t.Fatalf("expired entries not swept: %d", c.Len())
	}
}
