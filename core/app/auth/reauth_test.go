package auth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

func TestPrincipalForSession(t *testing.T) {
	ts := apitest.NewServer(t)
	ctx := context.Background()
	admin := ts.Seed.A.Admin
	tok := ts.Login(t, admin.Email, admin.Password)
	claims, err := ts.Tokens.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ts.Auth.PrincipalForSession(ctx, admin.ID, claims.SessionID)
	if err != nil {
		t.Fatalf("live session: %v", err)
	}
	if p.Kind != domain.PrincipalUser || p.UserID != admin.ID || p.SessionID != claims.SessionID || !p.Can(domain.PermRemoteAccess) {
		t.Fatalf("principal: %+v", p)
	}
	for name, ids := range map[string][2]string{
		"no session":      {admin.ID, ""},
		"unknown session": {admin.ID, domain.NewID()},
		"unknown user":    {domain.NewID(), claims.SessionID},
	} {
		if _, err := ts.Auth.PrincipalForSession(ctx, ids[0], ids[1]); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Errorf("%s: want ErrUnauthenticated, got %v", name, err)
		}
	}

	// Logging out ends the session.
	if code, _ := ts.Do(t, http.MethodPost, api.Prefix+"/auth/logout", tok, nil); code/100 != 2 {
		t.Fatalf("logout: %d", code)
	}
	if _, err := ts.Auth.PrincipalForSession(ctx, admin.ID, claims.SessionID); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("after logout: want ErrUnauthenticated, got %v", err)
	}

	// A disabled user's live session no longer yields a principal.
	u := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), "")
	tok = ts.Login(t, u.Email, u.Password)
	claims, _ = ts.Tokens.Verify(ctx, tok)
	row, err := ts.Store.Users().GetByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	row.Status = domain.UserDisabled
	if _, err := ts.Store.Users().Update(ctx, domain.GlobalScope(), row); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Auth.PrincipalForSession(ctx, u.ID, claims.SessionID); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("disabled user: want ErrUnauthenticated, got %v", err)
	}
}
