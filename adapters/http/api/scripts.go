package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	resScript    = "script"
	resScriptRun = "script_run"
)

func (h *handlers) scriptRoutes(r *registrar) {
	const tag = "Scripts"
	read, write := httpapi.User(domain.PermScriptsRead), httpapi.User(domain.PermScriptsWrite)
	exec, devRead := httpapi.User(domain.PermDevicesExecute), httpapi.User(domain.PermDevicesRead)
	r.add(http.MethodGet, "/scripts", read, "scripts.list", resScript, httpapi.Doc{
		Summary: "List library scripts", Tag: tag, Response: Script{}, List: true,
		Query: listParams(idParam(qOrgID, "this org's scripts and its partner's shared ones"), pSearch),
	}, h.listScripts)
	r.add(http.MethodPost, "/scripts", write, "scripts.create", resScript, httpapi.Doc{
		Summary: "Add a script to an org's library, or share one partner-wide", Tag: tag,
		Request: ScriptRequest{}, Response: Script{}, Status: http.StatusCreated,
	}, h.createScript)
	r.add(http.MethodGet, "/scripts/:id", read, "scripts.get", resScript, httpapi.Doc{
		Summary: "Get a script", Tag: tag, Response: Script{},
	}, h.getScript)
	r.add(http.MethodPatch, "/scripts/:id", write, "scripts.update", resScript, httpapi.Doc{
		Summary: "Change a script (a new version is kept)", Tag: tag, Request: ScriptRequest{}, Response: Script{},
	}, h.updateScript)
	r.add(http.MethodDelete, "/scripts/:id", write, "scripts.delete", resScript, httpapi.Doc{
		Summary: "Delete a script (its runs stay as history)", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteScript)
	r.add(http.MethodGet, "/scripts/:id/versions", read, "scripts.versions", resScript, httpapi.Doc{
		Summary: "A script's kept versions, newest first", Tag: tag, Response: ScriptVersion{}, List: true,
	}, h.scriptVersions)
	r.add(http.MethodPost, "/scripts/:id/runs", exec, "scripts.run", resScriptRun, httpapi.Doc{
		Summary: "Run a script on devices, a group, a site or an org", Tag: tag,
		Description: "Needs scripts:read on the script and devices:execute on every target. Answers 202 with the run; " +
			"one command per device follows (GET /script-runs/:id/results).",
		Request: RunScriptRequest{}, Response: ScriptRun{}, Status: http.StatusAccepted,
	}, h.runScript)
	r.add(http.MethodGet, "/scripts/:id/runs", read, "scripts.runs", resScriptRun, httpapi.Doc{
		Summary: "A script's runs, newest first", Tag: tag, Response: ScriptRun{}, List: true, Query: listParams(),
	}, listUnder(h.d.Scripts.ListRuns, func(r *domain.ScriptRun) ScriptRun { return runOut(r, nil) }))
	r.add(http.MethodGet, "/script-runs/:id", devRead, "script-runs.get", resScriptRun, httpapi.Doc{
		Summary: "A run with its progress", Tag: tag, Response: ScriptRun{},
	}, h.getRun)
	r.add(http.MethodGet, "/script-runs/:id/results", devRead, "script-runs.results", resScriptRun, httpapi.Doc{
		Summary: "A run's per-device commands", Tag: tag, Response: Command{}, List: true, Query: listParams(),
	}, listUnder(h.d.Scripts.Results, commandOut))
}

func (h *handlers) listScripts(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qOrgID, qSearch)
	if err != nil {
		return err
	}
	var f ports.ScriptFilter
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return err
	}
	page, err := h.d.Scripts.List(c.Request.Context(), p, f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, scriptOut))
	return nil
}

func scriptIn(in ScriptRequest) *domain.Script {
	return &domain.Script{
		PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name, Description: in.Description, Language: in.Language,
		Body: in.Body, Params: paramsIn(in.Params), TimeoutSeconds: in.TimeoutSeconds, RunAs: in.RunAs, OSFilter: in.OSFilter,
	}
}

func (h *handlers) createScript(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in ScriptRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if in.Version != 0 {
		return domain.Invalidf("version is for PATCH")
	}
	sc := scriptIn(in)
	if err := h.d.Scripts.Create(c.Request.Context(), p, sc); err != nil {
		return err
	}
	created(c, "/scripts", sc.ID, scriptOut(sc))
	return nil
}

func (h *handlers) getScript(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	sc, err := h.d.Scripts.Get(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, scriptOut(sc))
	return nil
}

func (h *handlers) updateScript(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in ScriptRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	if in.OrgID != "" || in.PartnerID != "" {
		return domain.Invalidf("a script never moves between organizations; create a copy instead")
	}
	sc := scriptIn(in)
	sc.ID, sc.Version = c.Param("id"), in.Version
	out, err := h.d.Scripts.Update(c.Request.Context(), p, sc)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, scriptOut(out))
	return nil
}

func (h *handlers) deleteScript(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := h.d.Scripts.Delete(c.Request.Context(), p, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *handlers) scriptVersions(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	vs, err := h.d.Scripts.Versions(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	items := make([]ScriptVersion, len(vs))
	for i, v := range vs {
		items[i] = scriptVersionOut(v)
	}
	c.JSON(http.StatusOK, Page[ScriptVersion]{Items: items})
	return nil
}

func (h *handlers) runScript(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in RunScriptRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	v, err := h.d.Scripts.Run(c.Request.Context(), p, c.Param("id"), scripts.RunInput{
		DeviceIDs: in.DeviceIDs, GroupID: in.DeviceGroupID, SiteID: in.SiteID, OrgID: in.OrgID, Params: in.Params,
	})
	if err != nil {
		return err
	}
	c.Header("Location", Prefix+"/script-runs/"+v.Run.ID)
	c.JSON(http.StatusAccepted, runViewOut(v))
	return nil
}

func (h *handlers) getRun(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	v, err := h.d.Scripts.GetRun(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, runViewOut(v))
	return nil
}
