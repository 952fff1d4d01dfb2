package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/domain"
)

const resEnrollKey = "enrollment_key"

// Enrollment keys are immutable once minted: no PATCH; DELETE revokes.
// Listing them needs the write permission too: a key list is a map of
// where devices can be planted.
func (h *handlers) enrollKeyRoutes(r *registrar) {
	const tag = "Enrollment keys"
	write := httpapi.User(domain.PermEnrollWrite)
	r.add(http.MethodGet, "/enrollment-keys", write, "enrollment-keys.list", resEnrollKey, httpapi.Doc{
		Summary: "List enrollment keys", Tag: tag, Response: EnrollmentKey{}, List: true, Query: listParams(),
	}, h.listEnrollKeys)
	r.add(http.MethodPost, "/enrollment-keys", write, "enrollment-keys.create", resEnrollKey, httpapi.Doc{
		Summary: "Mint an enrollment key (its secret is shown once)", Tag: tag,
		Description: "The answer carries the key and a copy-paste Linux install command, once.",
		Request:     CreateEnrollmentKeyRequest{}, Response: CreatedEnrollmentKey{}, Status: http.StatusCreated,
	}, h.createEnrollKey)
	r.add(http.MethodGet, "/enrollment-keys/:id", write, "enrollment-keys.get", resEnrollKey, httpapi.Doc{
		Summary: "Get an enrollment key", Tag: tag, Response: EnrollmentKey{},
	}, h.getEnrollKey)
	r.add(http.MethodDelete, "/enrollment-keys/:id", write, "enrollment-keys.delete", resEnrollKey, httpapi.Doc{
		Summary: "Revoke an enrollment key", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(h.d.Agents.RevokeKey))
}

// A key's DTO says whether it is usable now, so its mapper is made per
// request, with one clock reading for the whole answer.
func (h *handlers) listEnrollKeys(c *gin.Context) error {
	return listAll(h.d.Agents.ListKeys, enrollKeyOut(h.d.Clock.Now()))(c)
}

func (h *handlers) createEnrollKey(c *gin.Context) error {
	p, in, err := callerAndBody[CreateEnrollmentKeyRequest](c)
	if err != nil {
		return err
	}
	nk := agents.NewKey{OrgID: in.OrgID, SiteID: in.SiteID, GroupID: in.DeviceGroupID, Name: in.Name}
	if in.ExpiresAt != nil {
		nk.ExpiresAt = *in.ExpiresAt
	}
	if in.MaxUses != nil { // absent: the default limit; 0: none, asked for explicitly
		nk.MaxUses = *in.MaxUses
		nk.Unlimited = *in.MaxUses == 0
	}
	k, secret, err := h.d.Agents.MintKey(c.Request.Context(), p, nk)
	if err != nil {
		return err
	}
	noStore(c)
	created(c, "/enrollment-keys", k.ID, CreatedEnrollmentKey{
		EnrollmentKey: enrollKeyOut(h.d.Clock.Now())(k), Key: secret,
		InstallCommand: installCommand(h.d.PublicURL, secret),
	})
	return nil
}

func (h *handlers) getEnrollKey(c *gin.Context) error {
	return getOne(h.d.Agents.GetKey, enrollKeyOut(h.d.Clock.Now()))(c)
}
