package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/core/domain"
)

// TestAccessChangesReachEveryNode: each node keeps the principal it built
// for a credential for BREEZE_AUTH_CACHE_TTL (here a minute, so only the
// announcements can explain what follows): a grant revoked, given again, and
// a user disabled through node A change what the user's session on node B
// may do within seconds.
func TestAccessChangesReachEveryNode(t *testing.T) {
	a, b := startCluster(t, "BREEZE_AUTH_CACHE_TTL=60s")
	admin := login(t, a)
	var org, user, grant struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	admin.must(http.MethodPost, "/api/v1/orgs", map[string]string{"name": "Cache " + t.Name()}, http.StatusCreated, &org)
	const email, password = "cached.tech@example.com", "a long enough password 1"
	admin.must(http.MethodPost, "/api/v1/users", map[string]string{"email": email, "name": "Cached Tech", "password": password},
		http.StatusCreated, &user)
	grantTech := func() {
		admin.must(http.MethodPost, "/api/v1/role-assignments",
			map[string]string{"userId": user.ID, "roleId": domain.RoleOrgTechnician, "orgId": org.ID}, http.StatusCreated, &grant)
	}
	grantTech()

	tech := &client{t: t, base: b.url}
	var session struct {
		AccessToken string `json:"accessToken"`
	}
	tech.must(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, http.StatusOK, &session)
	tech.token = session.AccessToken
	orgPath := "/api/v1/orgs/" + org.ID
	tech.must(http.MethodGet, orgPath, nil, http.StatusOK, nil) // node B now holds the principal
	tech.must(http.MethodGet, orgPath, nil, http.StatusOK, nil)

	answers := func(want int) func() (bool, string) {
		return func() (bool, string) {
			code, body := tech.do(http.MethodGet, orgPath, nil)
			return code == want, string(body)
		}
	}
	admin.must(http.MethodDelete, "/api/v1/role-assignments/"+grant.ID, nil, http.StatusNoContent, nil)
	eventually(t, 5*time.Second, "node B refuses the user whose grant node A revoked", answers(http.StatusForbidden))

	grantTech()
	eventually(t, 5*time.Second, "node B serves the user granted again", answers(http.StatusOK))

	admin.must(http.MethodGet, "/api/v1/users/"+user.ID, nil, http.StatusOK, &user)
	admin.must(http.MethodPatch, "/api/v1/users/"+user.ID, map[string]any{"status": "disabled", "version": user.Version},
		http.StatusOK, nil)
	eventually(t, 5*time.Second, "node B refuses the session of the user node A disabled", answers(http.StatusUnauthorized))

	// The partner's mutual-TLS switch, turned on through node A, governs
	// node B's next agent link at once, though node B read the switches
	// for a link a moment before (its own cache is good for 10 s).
	var site, partner struct {
		ID        string `json:"id"`
		PartnerID string `json:"partnerId"`
		Version   int64  `json:"version"`
	}
	admin.must(http.MethodPost, "/api/v1/sites", map[string]string{"orgId": org.ID, "name": "mTLS " + t.Name()}, http.StatusCreated, &site)
	dev := enrollRaw(t, b, admin.mintKey(site.ID, 1), "mtls-host")
	linkB := func() int {
		c, res, err := websocket.DefaultDialer.Dial(wsURL(b, dev.DeviceID), bearer(dev.AgentToken))
		if err == nil {
			c.Close()
		}
		if res == nil {
			return 0
		}
		return res.StatusCode
	}
	if code := linkB(); code != http.StatusSwitchingProtocols {
		t.Fatalf("link to node B before the switch: %d", code)
	}
	admin.must(http.MethodGet, orgPath, nil, http.StatusOK, &partner)
	admin.must(http.MethodGet, "/api/v1/partners/"+partner.PartnerID, nil, http.StatusOK, &partner)
	admin.must(http.MethodPatch, "/api/v1/partners/"+partner.PartnerID, map[string]any{"requireMtls": true, "version": partner.Version},
		http.StatusOK, nil)
	eventually(t, 4*time.Second, "node B refuses a link without a certificate once node A turned the switch on", func() (bool, string) {
		code := linkB()
		return code == http.StatusUnauthorized, fmt.Sprint("status ", code)
	})
}
