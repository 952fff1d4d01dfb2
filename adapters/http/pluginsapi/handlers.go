package pluginsapi

import (
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/core/domain"
)

func (h *handlers) list(c *gin.Context) error {
	if _, _, err := scope(c); err != nil {
		return err
	}
	ps, err := h.svc.List(c.Request.Context())
	if err != nil {
		return err
	}
	items := make([]Plugin, 0, len(ps))
	for _, p := range ps {
		items = append(items, pluginOut(p))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (h *handlers) get(c *gin.Context) error {
	if _, _, err := scope(c); err != nil {
		return err
	}
	p, err := h.svc.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pluginOut(p))
	return nil
}

func (h *handlers) install(c *gin.Context) error {
	sc, p, err := scope(c)
	if err != nil {
		return err
	}
	allow, _ := strconv.ParseBool(c.Query("allowDowngrade"))
	out, err := h.svc.Install(c.Request.Context(), sc, plugins.InstallOptions{By: actor(p), AllowDowngrade: allow}, c.Request.Body)
	if err != nil {
		return err
	}
	c.Header("Location", api.Prefix+"/plugins/"+out.ID)
	c.JSON(http.StatusCreated, pluginOut(out))
	return nil
}

func (h *handlers) remove(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	if err := h.svc.Remove(c.Request.Context(), sc, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *handlers) enable(c *gin.Context) error  { return h.toggle(c, true) }
func (h *handlers) disable(c *gin.Context) error { return h.toggle(c, false) }

func (h *handlers) toggle(c *gin.Context, on bool) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	fn := h.svc.Disable
	if on {
		fn = h.svc.Enable
	}
	p, err := fn(ctx, sc, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pluginOut(p))
	return nil
}

func (h *handlers) listOrgs(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	rows, err := h.svc.ListOrgs(c.Request.Context(), sc, c.Param("id"))
	if err != nil {
		return err
	}
	items := make([]OrgSettings, 0, len(rows))
	for _, o := range rows {
		items = append(items, orgOut(o))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (h *handlers) getOrg(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	o, err := h.svc.GetOrg(c.Request.Context(), sc, c.Param("id"), c.Param("orgId"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, orgOut(o))
	return nil
}

func (h *handlers) putOrg(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	var req OrgSettingsRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	o, err := h.svc.PutOrg(c.Request.Context(), sc, c.Param("id"), c.Param("orgId"), req.Enabled, req.Settings)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, orgOut(o))
	return nil
}

func (h *handlers) test(c *gin.Context) error {
	sc, _, err := scope(c)
	if err != nil {
		return err
	}
	var req TestRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	if req.OrgID == "" {
		return domain.Invalidf("orgId is required")
	}
	res, err := h.svc.Test(c.Request.Context(), sc, c.Param("id"), req.OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, TestResult{OK: res.OK, Message: res.Message})
	return nil
}

// archive serves an offered plugin's archive to the agent the token names.
func (h *handlers) archive(c *gin.Context) error {
	dev := api.AgentDeviceFrom(c)
	if dev == "" {
		return domain.Unauthenticatedf("agent credentials required")
	}
	f, offer, err := h.svc.Archive(c.Request.Context(), dev, c.Param("pluginId"))
	if err != nil {
		return err
	}
	defer f.Close()
	c.Header("X-Content-SHA256", offer.SHA256)
	c.Header("Content-Length", strconv.FormatInt(offer.Size, 10))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	c.Writer.Header().Set("Content-Type", "application/gzip")
	_, err = io.Copy(c.Writer, io.LimitReader(f, offer.Size))
	if err != nil {
		httpapi.Logger(c).Warn("plugin archive download cut short", "plugin_id", offer.ID, "error", err)
	}
	return nil
}
