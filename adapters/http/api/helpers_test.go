package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/domain"
)

// setStatus changes a user's status straight in the store (no session revocation).
func setStatus(t *testing.T, ts *apitest.TestServer, userID string, st domain.UserStatus) {
	t.Helper()
	ctx := context.Background()
	u, err := ts.Store.Users().GetByID(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	u.Status = st
	if _, err := ts.Store.Users().Update(ctx, domain.GlobalScope(), u); err != nil {
		t.Fatal(err)
	}
}

// cookie returns the breeze_refresh cookie among cs, or nil.
func cookie(cs []*http.Cookie) *http.Cookie {
	for _, c := range cs {
		if c.Name == api.RefreshCookie {
			return c
		}
	}
	return nil
}
