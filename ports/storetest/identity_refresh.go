package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// refreshTTL is how long the suite's refresh tokens live.
const refreshTTL = 24 * time.Hour

// refreshIn returns an unsaved token of userID in familyID (either may be
// empty, as for the next token handed to Rotate).
func refreshIn(userID, familyID string) *domain.RefreshToken {
	return &domain.RefreshToken{
		FamilyID:  familyID,
		UserID:    userID,
		TokenHash: randomHash(),
		ExpiresAt: identNow().Add(refreshTTL),
		IP:        "203.0.113.7",
		UserAgent: "storetest/" + uniq("ua"),
	}
}

// newRefresh stores the first token of a new family (or of familyID).
func newRefresh(t testing.TB, st ports.Store, userID, familyID string) *domain.RefreshToken {
	t.Helper()
	if familyID == "" {
		familyID = domain.NewID()
	}
	tok := refreshIn(userID, familyID)
	must(t, "create refresh token", st.RefreshTokens().Create(t.Context(), tok))
	return tok
}

func eqRefresh(t testing.TB, what string, got, want *domain.RefreshToken) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: token is nil", what)
		return
	}
	eqFields(t, what,
		field{"ID", got.ID, want.ID},
		field{"FamilyID", got.FamilyID, want.FamilyID},
		field{"UserID", got.UserID, want.UserID},
		field{"TokenHash", got.TokenHash, want.TokenHash},
		field{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		field{"UsedAt", got.UsedAt, want.UsedAt},
		field{"ReplacedByID", got.ReplacedByID, want.ReplacedByID},
		field{"RevokedAt", got.RevokedAt, want.RevokedAt},
		field{"IP", got.IP, want.IP},
		field{"UserAgent", got.UserAgent, want.UserAgent},
	)
	if !want.CreatedAt.IsZero() {
		eqFields(t, what, field{"CreatedAt", got.CreatedAt, want.CreatedAt})
	}
	for _, v := range []time.Time{got.ExpiresAt, got.UsedAt, got.RevokedAt, got.CreatedAt} {
		checkUTC(t, what, v)
	}
}

func familyActive(t testing.TB, st ports.Store, familyID string, now time.Time) bool {
	t.Helper()
	ok, err := st.RefreshTokens().FamilyActive(t.Context(), familyID, now)
	must(t, "FamilyActive", err)
	return ok
}

func testIdentRefresh(t *testing.T, _ IdentityFactory, st ports.Store) {
	t.Run("CreateAndRotate", func(t *testing.T) { refreshRotate(t, st) })
	t.Run("RotateTakesFamilyAndUserFromTheSpentToken", func(t *testing.T) { refreshRotateOverwrites(t, st) })
	t.Run("SecondRotateIsConflictWithTheStoredToken", func(t *testing.T) { refreshReplay(t, st) })
	t.Run("UnknownHashIsNotFound", func(t *testing.T) { refreshUnknown(t, st) })
	t.Run("ExpiredIsConflict", func(t *testing.T) { refreshExpired(t, st) })
	t.Run("RevokedIsConflict", func(t *testing.T) { refreshRevoked(t, st) })
	t.Run("ConcurrentRotateOneWins", func(t *testing.T) { refreshRace(t, st) })
	t.Run("RevokeFamily", func(t *testing.T) { refreshRevokeFamily(t, st) })
	t.Run("RevokeUser", func(t *testing.T) { refreshRevokeUser(t, st) })
	t.Run("FamilyActive", func(t *testing.T) { refreshFamilyActive(t, st) })
	t.Run("TokenHashIsUnique", func(t *testing.T) { refreshUniqueHash(t, st) })
}

func refreshRotate(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	t1 := newRefresh(t, st, u.ID, "")
	checkNewID(t, "created token", t1.ID)
	checkStamps(t, "created token", t1.CreatedAt, t1.CreatedAt)

	now := identNow()
	next := refreshIn("", "")
	spent, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, next, now)
	must(t, "Rotate", err)
	checkNewID(t, "next token", next.ID)
	eqFields(t, "next token", field{"FamilyID", next.FamilyID, t1.FamilyID}, field{"UserID", next.UserID, u.ID})
	want := *t1
	want.UsedAt, want.ReplacedByID = now, next.ID
	eqRefresh(t, "spent token returned by Rotate", spent, &want)

	// next was stored: it rotates in turn, and reports what was stored.
	now2 := now.Add(time.Minute)
	next2 := refreshIn("", "")
	spent2, err := st.RefreshTokens().Rotate(ctx, next.TokenHash, next2, now2)
	must(t, "Rotate the next token", err)
	wantNext := *next
	wantNext.CreatedAt = time.Time{}
	wantNext.UsedAt, wantNext.ReplacedByID = now2, next2.ID
	eqRefresh(t, "next token as stored", spent2, &wantNext)
	eqFields(t, "second next token", field{"FamilyID", next2.FamilyID, t1.FamilyID}, field{"UserID", next2.UserID, u.ID})
	if !familyActive(t, st, t1.FamilyID, now2) {
		t.Error("family is not active after two rotations")
	}
}

func refreshRotateOverwrites(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	victim := newUser(t, st, tr.P2.ID, "")
	victimTok := newRefresh(t, st, victim.ID, "")
	u := newUser(t, st, tr.P1.ID, "")
	t1 := newRefresh(t, st, u.ID, "")
	// A caller cannot move the successor into another user's session.
	next := refreshIn(victim.ID, victimTok.FamilyID)
	_, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, next, identNow())
	must(t, "Rotate", err)
	eqFields(t, "next token", field{"FamilyID", next.FamilyID, t1.FamilyID}, field{"UserID", next.UserID, u.ID})
	stored, err := st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), identNow())
	must(t, "Rotate next", err)
	eqFields(t, "next token as stored", field{"FamilyID", stored.FamilyID, t1.FamilyID}, field{"UserID", stored.UserID, u.ID})

	n, err := st.RefreshTokens().RevokeFamily(ctx, victimTok.FamilyID, identNow())
	must(t, "RevokeFamily of the victim", err)
	if n != 1 {
		t.Errorf("victim's family holds %d unrevoked tokens, want 1 (nothing was added to it)", n)
	}
}

func refreshReplay(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, tr.A.ID)
	t1 := newRefresh(t, st, u.ID, "")
	now := identNow()
	next := refreshIn("", "")
	_, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, next, now)
	must(t, "Rotate", err)

	replay := refreshIn("", "")
	got, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, replay, now.Add(time.Second))
	wantIs(t, "second Rotate", err, domain.ErrConflict)
	want := *t1
	want.UsedAt, want.ReplacedByID = now, next.ID
	eqRefresh(t, "token returned with the conflict", got, &want)

	// The replay's successor was not stored; the real one still works.
	_, err = st.RefreshTokens().Rotate(ctx, replay.TokenHash, refreshIn("", ""), now.Add(2*time.Second))
	wantIs(t, "Rotate the refused successor", err, domain.ErrNotFound)
	_, err = st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), now.Add(3*time.Second))
	must(t, "Rotate the real successor", err)
}

func refreshUnknown(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	t1 := newRefresh(t, st, newUser(t, st, tr.P1.ID, "").ID, "")
	for _, h := range []string{randomHash(), "", "%", t1.TokenHash[:40], "' OR '1'='1"} {
		next := refreshIn("", "")
		got, err := st.RefreshTokens().Rotate(ctx, h, next, identNow())
		wantIs(t, fmt.Sprintf("Rotate(%q)", h), err, domain.ErrNotFound)
		if got != nil {
			t.Errorf("Rotate(%q) returned a token with ErrNotFound: %+v", h, got)
		}
		_, err = st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), identNow())
		wantIs(t, "Rotate the successor of a refused Rotate", err, domain.ErrNotFound)
	}
}

func refreshExpired(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	t1 := refreshIn(u.ID, domain.NewID())
	t1.ExpiresAt = identNow().Add(time.Hour)
	must(t, "Create", st.RefreshTokens().Create(ctx, t1))
	next := refreshIn("", "")
	got, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, next, t1.ExpiresAt.Add(time.Second))
	wantIs(t, "Rotate after expiry", err, domain.ErrConflict)
	eqRefresh(t, "expired token returned with the conflict", got, t1)
	_, err = st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), identNow())
	wantIs(t, "Rotate the successor of an expired token", err, domain.ErrNotFound)
	// Before its expiry (by the caller's clock) it still rotates.
	_, err = st.RefreshTokens().Rotate(ctx, t1.TokenHash, refreshIn("", ""), t1.ExpiresAt.Add(-time.Second))
	must(t, "Rotate before expiry", err)
}

func refreshRevoked(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	t1 := newRefresh(t, st, u.ID, "")
	at := identNow()
	n, err := st.RefreshTokens().RevokeFamily(ctx, t1.FamilyID, at)
	must(t, "RevokeFamily", err)
	eqFields(t, "RevokeFamily", field{"n", n, int64(1)})
	got, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, refreshIn("", ""), at.Add(time.Second))
	wantIs(t, "Rotate a revoked token", err, domain.ErrConflict)
	want := *t1
	want.RevokedAt = at
	eqRefresh(t, "revoked token returned with the conflict", got, &want)
}

func refreshRace(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	t1 := newRefresh(t, st, u.ID, "")
	nexts := make([]*domain.RefreshToken, workers)
	for i := range nexts {
		nexts[i] = refreshIn("", "")
	}
	now := identNow()
	spent := make([]*domain.RefreshToken, workers)
	errs := identRace(workers, func(i int) error {
		var err error
		spent[i], err = st.RefreshTokens().Rotate(ctx, t1.TokenHash, nexts[i], now)
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("workers %d and %d both rotated the same token", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("worker %d: error = %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no Rotate succeeded")
	}
	for i, err := range errs {
		if err != nil && spent[i] != nil && spent[i].ReplacedByID != nexts[winner].ID {
			t.Errorf("worker %d: conflicting token says ReplacedByID %q, winner stored %q", i, spent[i].ReplacedByID, nexts[winner].ID)
		}
	}
	// Only the winner's successor exists.
	for i, next := range nexts {
		_, err := st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), now.Add(time.Second))
		if i == winner {
			must(t, "Rotate the winner's successor", err)
			continue
		}
		wantIs(t, fmt.Sprintf("Rotate loser %d's successor", i), err, domain.ErrNotFound)
	}
	// Exactly t1, the winner's successor and its own successor are in the family.
	n, err := st.RefreshTokens().RevokeFamily(ctx, t1.FamilyID, now.Add(2*time.Second))
	must(t, "RevokeFamily", err)
	eqFields(t, "tokens in the family after the race", field{"n", n, int64(3)})
}

func refreshRevokeFamily(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	t1 := newRefresh(t, st, u.ID, "")
	next := refreshIn("", "")
	_, err := st.RefreshTokens().Rotate(ctx, t1.TokenHash, next, identNow())
	must(t, "Rotate", err)
	otherFamily := newRefresh(t, st, u.ID, "")

	at := identNow()
	n, err := st.RefreshTokens().RevokeFamily(ctx, t1.FamilyID, at)
	must(t, "RevokeFamily", err)
	eqFields(t, "RevokeFamily (spent token and its successor)", field{"n", n, int64(2)})
	n, err = st.RefreshTokens().RevokeFamily(ctx, t1.FamilyID, at.Add(time.Minute))
	must(t, "RevokeFamily again", err)
	eqFields(t, "RevokeFamily again", field{"n", n, int64(0)})

	// The first revocation time is kept.
	got, err := st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), at.Add(2*time.Minute))
	wantIs(t, "Rotate in a revoked family", err, domain.ErrConflict)
	if got != nil {
		eqFields(t, "revoked successor", field{"RevokedAt", got.RevokedAt, at})
	}
	if familyActive(t, st, t1.FamilyID, at) {
		t.Error("revoked family is active")
	}
	if !familyActive(t, st, otherFamily.FamilyID, at) {
		t.Error("another family of the user was revoked with it")
	}
	n, err = st.RefreshTokens().RevokeFamily(ctx, domain.NewID(), at)
	must(t, "RevokeFamily unknown", err)
	eqFields(t, "RevokeFamily unknown", field{"n", n, int64(0)})
}

func refreshRevokeUser(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	other := newUser(t, st, tr.P1.ID, "")
	f1 := newRefresh(t, st, u.ID, "")
	_, err := st.RefreshTokens().Rotate(ctx, f1.TokenHash, refreshIn("", ""), identNow())
	must(t, "Rotate", err)
	f2 := newRefresh(t, st, u.ID, "")
	f3 := newRefresh(t, st, u.ID, "")
	_, err = st.RefreshTokens().RevokeFamily(ctx, f3.FamilyID, identNow())
	must(t, "RevokeFamily", err)
	kept := newRefresh(t, st, other.ID, "")

	at := identNow()
	n, err := st.RefreshTokens().RevokeUser(ctx, u.ID, at)
	must(t, "RevokeUser", err)
	eqFields(t, "RevokeUser (f1 spent + successor, f2; f3 already revoked)", field{"n", n, int64(3)})
	for _, f := range []*domain.RefreshToken{f1, f2, f3} {
		if familyActive(t, st, f.FamilyID, at) {
			t.Errorf("family %s active after RevokeUser", f.FamilyID)
		}
	}
	if !familyActive(t, st, kept.FamilyID, at) {
		t.Error("another user's family was revoked")
	}
	n, err = st.RefreshTokens().RevokeUser(ctx, u.ID, at)
	must(t, "RevokeUser again", err)
	eqFields(t, "RevokeUser again", field{"n", n, int64(0)})
}

func refreshFamilyActive(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	now := identNow()
	tok := newRefresh(t, st, u.ID, "")
	if !familyActive(t, st, tok.FamilyID, now) {
		t.Error("fresh family is not active")
	}
	if familyActive(t, st, tok.FamilyID, tok.ExpiresAt.Add(time.Second)) {
		t.Error("family is active after its only token expired")
	}

	expired := refreshIn(u.ID, domain.NewID())
	expired.ExpiresAt = now.Add(-time.Minute)
	must(t, "Create an expired token", st.RefreshTokens().Create(ctx, expired))
	if familyActive(t, st, expired.FamilyID, now) {
		t.Error("family of an expired token is active")
	}

	revoked := newRefresh(t, st, u.ID, "")
	_, err := st.RefreshTokens().RevokeFamily(ctx, revoked.FamilyID, now)
	must(t, "RevokeFamily", err)
	if familyActive(t, st, revoked.FamilyID, now) {
		t.Error("revoked family is active")
	}
	for _, id := range []string{domain.NewID(), "", "%"} {
		if ok, err := st.RefreshTokens().FamilyActive(ctx, id, now); ok || (err != nil && !errors.Is(err, domain.ErrNotFound)) {
			t.Errorf("FamilyActive(%q) = %v, %v; want false", id, ok, err)
		}
	}
}

func refreshUniqueHash(t *testing.T, st ports.Store) {
	ctx := t.Context()
	tr := newIdentTree(t, st)
	u := newUser(t, st, tr.P1.ID, "")
	t1 := newRefresh(t, st, u.ID, "")
	dup := refreshIn(u.ID, domain.NewID())
	dup.TokenHash = t1.TokenHash
	wantIs(t, "Create with a taken hash", st.RefreshTokens().Create(ctx, dup), domain.ErrConflict)

	// A successor reusing a live hash is refused and spends nothing.
	t2 := newRefresh(t, st, u.ID, "")
	clash := refreshIn("", "")
	clash.TokenHash = t1.TokenHash
	_, err := st.RefreshTokens().Rotate(ctx, t2.TokenHash, clash, identNow())
	wantIs(t, "Rotate with a successor hash already taken", err, domain.ErrConflict)
	_, err = st.RefreshTokens().Rotate(ctx, t2.TokenHash, refreshIn("", ""), identNow())
	must(t, "Rotate after the refused one (nothing was spent)", err)
}
