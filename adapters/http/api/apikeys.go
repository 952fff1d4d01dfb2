package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/domain"
)

const resAPIKey = "api_key"

// API keys are immutable once minted: no PATCH; DELETE revokes.
func (h *handlers) apiKeyRoutes(r *registrar) {
	const tag = "API keys"
	read, write := httpapi.User(domain.PermAPIKeysRead), httpapi.User(domain.PermAPIKeysWrite)
	r.add(http.MethodGet, "/api-keys", read, "api-keys.list", resAPIKey, httpapi.Doc{
		Summary: "List API keys", Tag: tag, Response: APIKey{}, List: true, Query: listParams(),
	}, listAll(h.d.Access.ListKeys, apiKeyOut))
	r.add(http.MethodPost, "/api-keys", write, "api-keys.create", resAPIKey, httpapi.Doc{
		Summary: "Mint an API key (its secret is shown once)", Tag: tag,
		Description: "A key cannot hold permissions its creator does not hold over its unit.",
		Request:     CreateAPIKeyRequest{}, Response: CreatedAPIKey{}, Status: http.StatusCreated,
	}, h.createAPIKey)
	r.add(http.MethodGet, "/api-keys/:id", read, "api-keys.get", resAPIKey, httpapi.Doc{
		Summary: "Get an API key", Tag: tag, Response: APIKey{},
	}, getOne(h.d.Access.GetKey, apiKeyOut))
	r.add(http.MethodDelete, "/api-keys/:id", write, "api-keys.delete", resAPIKey, httpapi.Doc{
		Summary: "Revoke an API key", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(h.d.Access.RevokeKey))
}

func (h *handlers) createAPIKey(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateAPIKeyRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	var expires time.Time
	if in.ExpiresAt != nil {
		expires = *in.ExpiresAt
	}
	k, secret, err := h.d.Access.MintKey(ctx, p, access.NewAPIKey{
		Name: in.Name, PartnerID: in.PartnerID, OrgID: in.OrgID, SiteID: in.SiteID,
		Permissions: in.Permissions, ExpiresAt: expires,
	})
	if err != nil {
		return err
	}
	noStore(c)
	created(c, "/api-keys", k.ID, CreatedAPIKey{APIKey: apiKeyOut(k), Key: secret})
	return nil
}
