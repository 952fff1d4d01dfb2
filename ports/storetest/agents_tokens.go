package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// wantToken asserts tokenHash is live and names deviceID.
func wantToken(t testing.TB, st ports.Store, what, tokenHash, deviceID string) {
	t.Helper()
	got, err := st.AgentTokens().Lookup(t.Context(), tokenHash)
	if err != nil {
		t.Errorf("%s: Lookup: %v", what, err)
		return
	}
	eqFields(t, what, field{"device", got, deviceID})
}

// wantNoToken asserts tokenHash is not live.
func wantNoToken(t testing.TB, st ports.Store, what, tokenHash string) {
	t.Helper()
	got, err := st.AgentTokens().Lookup(t.Context(), tokenHash)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("%s: Lookup = %q, %v; want ErrNotFound", what, got, err)
	}
}

func setToken(t testing.TB, st ports.Store, deviceID string) string {
	t.Helper()
	h := randomHash()
	must(t, "set agent token", st.AgentTokens().Set(t.Context(), deviceID, h, identNow()))
	return h
}

func testAgentTokens(t *testing.T, _ AgentFactory, st ports.Store) {
	t.Run("SetAndLookup", func(t *testing.T) { tokensSet(t, st) })
	t.Run("SetReplacesTheOldToken", func(t *testing.T) { tokensReplace(t, st) })
	t.Run("RevokeEndsTheTokenIdempotently", func(t *testing.T) { tokensRevoke(t, st) })
	t.Run("SetAfterRevokeIsLive", func(t *testing.T) { tokensReissue(t, st) })
	t.Run("TokenHashIsUnique", func(t *testing.T) { tokensUnique(t, st) })
	t.Run("UnknownDevice", func(t *testing.T) { tokensUnknownDevice(t, st) })
	t.Run("UnknownHashIsNotFound", func(t *testing.T) { tokensUnknownHash(t, st) })
}

func tokensSet(t *testing.T, st ports.Store) {
	c1, c2 := newChain(t, st), newChain(t, st)
	d1, d2 := newDevice(t, st, c1.site.ID, ""), newDevice(t, st, c2.site.ID, "")
	before := globalDevice(t, st, d1.ID)
	h1, h2 := setToken(t, st, d1.ID), setToken(t, st, d2.ID)
	wantToken(t, st, "token of d1", h1, d1.ID)
	wantToken(t, st, "token of d2", h2, d2.ID)
	wantUntouched(t, "device after Set", globalDevice(t, st, d1.ID), before)
}

func tokensReplace(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, other := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	old, otherTok := setToken(t, st, d.ID), setToken(t, st, other.ID)
	next := randomHash()
	must(t, "Set a new token", st.AgentTokens().Set(ctx, d.ID, next, identNow()))
	wantNoToken(t, st, "the replaced token", old)
	wantToken(t, st, "the new token", next, d.ID)
	wantToken(t, st, "the other device's token", otherTok, other.ID)
	// The replaced hash is free again: another device may hold it.
	must(t, "Set the replaced hash on another device", st.AgentTokens().Set(ctx, other.ID, old, identNow()))
	wantToken(t, st, "the reused hash", old, other.ID)
	wantNoToken(t, st, "the other device's replaced token", otherTok)
}

func tokensRevoke(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d, other := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	h, otherTok := setToken(t, st, d.ID), setToken(t, st, other.ID)
	must(t, "Revoke", st.AgentTokens().Revoke(ctx, d.ID, identNow()))
	wantNoToken(t, st, "revoked token", h)
	must(t, "Revoke again", st.AgentTokens().Revoke(ctx, d.ID, identNow()))
	wantNoToken(t, st, "token revoked twice", h)
	wantToken(t, st, "the other device's token", otherTok, other.ID)

	tokenless := newDevice(t, st, c.site.ID, "")
	for _, id := range []string{tokenless.ID, domain.NewID(), "not-an-id"} {
		if err := st.AgentTokens().Revoke(ctx, id, identNow()); err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Revoke(%q) without a token: %v, want nil or ErrNotFound", id, err)
		}
	}
	wantToken(t, st, "the other device's token after the Revokes", otherTok, other.ID)
}

func tokensReissue(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	h := setToken(t, st, d.ID)
	must(t, "Revoke", st.AgentTokens().Revoke(ctx, d.ID, identNow()))
	next := setToken(t, st, d.ID)
	wantToken(t, st, "token set after Revoke", next, d.ID)
	wantNoToken(t, st, "the revoked token", h)
}

func tokensUnique(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d1, d2 := newDevice(t, st, c.site.ID, ""), newDevice(t, st, c.site.ID, "")
	h1, h2 := setToken(t, st, d1.ID), setToken(t, st, d2.ID)
	wantIs(t, "Set another device's live hash", st.AgentTokens().Set(ctx, d2.ID, h1, identNow()), domain.ErrConflict)
	wantToken(t, st, "d1's token after the refused Set", h1, d1.ID)
	wantToken(t, st, "d2's token after the refused Set", h2, d2.ID)
	// Setting the same hash again on its own device is a harmless repeat.
	must(t, "Set the same hash again", st.AgentTokens().Set(ctx, d1.ID, h1, identNow()))
	wantToken(t, st, "d1's token after a repeated Set", h1, d1.ID)
}

func tokensUnknownDevice(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	for _, id := range []string{domain.NewID(), strings.ToUpper(d.ID), "' OR '1'='1"} {
		h := randomHash()
		wantOneOf(t, fmt.Sprintf("Set(%q)", id), st.AgentTokens().Set(ctx, id, h, identNow()), domain.ErrNotFound, domain.ErrInvalid)
		wantNoToken(t, st, fmt.Sprintf("token refused for %q", id), h)
	}
}

func tokensUnknownHash(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	d := newDevice(t, st, c.site.ID, "")
	h := setToken(t, st, d.ID)
	for _, x := range []string{randomHash(), "", "%", strings.ToUpper(h), h[:32], h + " ", "' OR '1'='1", d.ID} {
		wantNoToken(t, st, fmt.Sprintf("Lookup(%q)", x), x)
	}
}
