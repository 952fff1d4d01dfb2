// Package updatesapi is the agent self-update REST API over
// core/app/updates: releases (/api/v1/releases), rollouts
// (/api/v1/rollouts), a device's update state, and the agents' build
// download.
//
// Releases are installation-wide: listing them needs devices:read,
// uploading a global plugins:manage grant (403 otherwise). Rollouts are
// tenant resources: reading needs devices:read and acting devices:write
// over the rollout's scope (404 outside it). The edge audits every
// mutating request with resource "agent_release" or "rollout".
package updatesapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/updates"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Deps are what the routes need.
type Deps struct {
	Updates *updates.Service
}

// Register adds the routes under /api/v1 (after api.Register).
func Register(s *httpapi.Server, d Deps) {
	if d.Updates == nil {
		panic("updatesapi: Deps.Updates is required")
	}
	h := &handlers{svc: d.Updates}
	g := s.Group(api.Prefix)
	read := httpapi.User(string(domain.PermDevicesRead))
	write := httpapi.User(string(domain.PermDevicesWrite))
	manage := httpapi.User(string(domain.PermPluginsManage))
	const tag = "Agent updates"
	add := func(res string, r httpapi.Route, fn func(c *gin.Context) error) {
		r.Resource = res
		g.HandleRoute(r, func(c *gin.Context) {
			if err := fn(c); err != nil {
				httpapi.WriteError(c, err)
			}
		})
	}
	add("agent_release", httpapi.Route{Method: http.MethodGet, Path: "/releases", Rule: read, Name: "releases.list", Doc: httpapi.Doc{
		Summary: "Stored agent builds", Tag: tag, Response: Release{}, List: true,
	}}, h.releases)
	add("agent_release", httpapi.Route{Method: http.MethodPost, Path: "/releases", Rule: manage, Name: "releases.upload",
		MaxBodyBytes: updates.MaxBinary, Doc: httpapi.Doc{
			Summary: "Upload a signed agent build", Tag: tag, Response: Release{}, Status: http.StatusCreated,
			Description: "The raw body is the agent executable. Needs a global plugins:manage grant. The signature (made offline " +
				"with `breeze release sign`) must verify with a key in BREEZE_RELEASE_KEYS; the same version and platform again is 409.",
			Query: []httpapi.Param{
				{Name: "version", Type: "string", Description: "the build's version (what `breeze-agent version` prints)"},
				{Name: "os", Type: "string", Description: "linux, darwin, windows"},
				{Name: "arch", Type: "string", Description: "amd64, arm64"},
				{Name: "signature", Type: "string", Description: "base64 ed25519 signature of the release message"},
				{Name: "notes", Type: "string", Description: "free text"},
			},
		}}, h.upload)
	add("agent_release", httpapi.Route{Method: http.MethodGet, Path: "/releases/:id", Rule: read, Name: "releases.get", Doc: httpapi.Doc{
		Summary: "One agent build", Tag: tag, Response: Release{},
	}}, h.release)
	add("rollout", httpapi.Route{Method: http.MethodGet, Path: "/rollouts", Rule: read, Name: "rollouts.list", Doc: httpapi.Doc{
		Summary: "Agent rollouts in your scope, newest first, with their devices per state", Tag: tag, Response: Rollout{}, List: true,
	}}, h.rollouts)
	add("rollout", httpapi.Route{Method: http.MethodPost, Path: "/rollouts", Rule: write, Name: "rollouts.create", Doc: httpapi.Doc{
		Summary: "Start a staged rollout of an agent version", Tag: tag, Request: RolloutRequest{}, Response: Rollout{}, Status: http.StatusCreated,
		Description: "Refused: another running (active or paused) rollout of the same scope (409); a version with no stored build, " +
			"or older than a version running in scope without allowDowngrade (400).",
	}}, h.create)
	add("rollout", httpapi.Route{Method: http.MethodGet, Path: "/rollouts/:id", Rule: read, Name: "rollouts.get", Doc: httpapi.Doc{
		Summary: "One rollout with its progress", Tag: tag, Response: Rollout{},
	}}, h.rollout)
	add("rollout", httpapi.Route{Method: http.MethodGet, Path: "/rollouts/:id/devices", Rule: read, Name: "rollouts.devices", Doc: httpapi.Doc{
		Summary: "A rollout's devices and their update states", Tag: tag, Response: DeviceUpdate{}, List: true,
	}}, h.devices)
	for _, a := range []string{updates.ActionPause, updates.ActionResume, updates.ActionStop} {
		action := a
		add("rollout", httpapi.Route{Method: http.MethodPost, Path: "/rollouts/:id/" + action, Rule: write, Name: "rollouts." + action,
			Doc: httpapi.Doc{Summary: action + " a rollout", Tag: tag, Response: Rollout{}}},
			func(c *gin.Context) error { return h.act(c, action) })
	}
	add("device", httpapi.Route{Method: http.MethodGet, Path: "/devices/:id/update", Rule: read, Name: "devices.update", Doc: httpapi.Doc{
		Summary: "A device's state in its newest rollout", Tag: tag, Response: DeviceUpdate{},
	}}, h.deviceState)
	add("agent_release", httpapi.Route{Method: http.MethodGet, Path: "/agents/:id/update/:releaseId/binary", Rule: httpapi.Agent(),
		Name: "agents.update.binary", Doc: httpapi.Doc{
			Summary: "Download the agent build offered to this agent", Tag: "Agents", ContentType: "application/octet-stream",
			Description: "Only the build of the device's running rollout for its platform; its SHA-256 is in X-Content-SHA256.",
		}}, h.binary)
}

type handlers struct{ svc *updates.Service }

func principal(c *gin.Context) (*domain.Principal, error) {
	p := api.PrincipalFrom(c)
	if p == nil {
		return nil, errors.New("updatesapi: no principal on a guarded route")
	}
	return p, nil
}

func actor(p *domain.Principal) string {
	if p.Kind == domain.PrincipalAPIKey {
		return "api_key:" + p.APIKeyID
	}
	return "user:" + p.UserID
}

// Release is a stored build.
type Release struct {
	ID        string    `json:"id"`
	Version   string    `json:"version"`
	OS        string    `json:"os"`
	Arch      string    `json:"arch"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	Signature string    `json:"signature"`
	Notes     string    `json:"notes"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

func releaseOut(r *domain.AgentRelease) Release {
	return Release{ID: r.ID, Version: r.Version, OS: r.OS, Arch: r.Arch, SHA256: r.SHA256, Size: r.Size, Signature: r.Signature,
		Notes: r.Notes, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// RolloutRequest starts a rollout.
type RolloutRequest struct {
	ScopeKind        string `json:"scopeKind"`
	ScopeID          string `json:"scopeId"`
	Version          string `json:"version"`
	Stages           []int  `json:"stages"`
	PauseSeconds     int    `json:"pauseSeconds"`
	FailureThreshold int    `json:"failureThreshold"`
	AllowDowngrade   bool   `json:"allowDowngrade"`
	TrialSeconds     int    `json:"trialSeconds"`
}

// Rollout is a rollout with its device counts.
type Rollout struct {
	ID               string         `json:"id"`
	PartnerID        string         `json:"partnerId"`
	OrgID            string         `json:"orgId"`
	SiteID           string         `json:"siteId"`
	ScopeKind        string         `json:"scopeKind"`
	ScopeID          string         `json:"scopeId"`
	Version          string         `json:"version"`
	Stages           []int          `json:"stages"`
	PauseSeconds     int            `json:"pauseSeconds"`
	FailureThreshold int            `json:"failureThreshold"`
	AllowDowngrade   bool           `json:"allowDowngrade"`
	TrialSeconds     int            `json:"trialSeconds"`
	State            string         `json:"state"`
	Stage            int            `json:"stage"`
	NextStageAt      *time.Time     `json:"nextStageAt"`
	Reason           string         `json:"reason"`
	CreatedBy        string         `json:"createdBy"`
	CreatedAt        time.Time      `json:"createdAt"`
	UpdatedAt        time.Time      `json:"updatedAt"`
	Counts           map[string]int `json:"counts"` // devices per state
}

func rolloutOut(r *domain.Rollout) Rollout {
	return Rollout{ID: r.ID, PartnerID: r.PartnerID, OrgID: r.OrgID, SiteID: r.SiteID, ScopeKind: r.ScopeKind, ScopeID: r.ScopeID,
		Version: r.Version, Stages: r.Stages, PauseSeconds: r.PauseSeconds, FailureThreshold: r.FailureThreshold,
		AllowDowngrade: r.AllowDowngrade, TrialSeconds: r.TrialSeconds, State: r.State, Stage: r.Stage, NextStageAt: r.NextStageAt,
		Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// DeviceUpdate is a device's place in a rollout.
type DeviceUpdate struct {
	RolloutID   string     `json:"rolloutId"`
	DeviceID    string     `json:"deviceId"`
	Stage       int        `json:"stage"`
	State       string     `json:"state"`
	FromVersion string     `json:"fromVersion"`
	Error       string     `json:"error"`
	OfferedAt   *time.Time `json:"offeredAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

func deviceOut(u domain.DeviceUpdate) DeviceUpdate {
	return DeviceUpdate{RolloutID: u.RolloutID, DeviceID: u.DeviceID, Stage: u.Stage, State: u.State, FromVersion: u.FromVersion,
		Error: u.Error, OfferedAt: u.OfferedAt, UpdatedAt: u.UpdatedAt}
}

func (h *handlers) releases(c *gin.Context) error {
	rs, err := h.svc.Releases(c.Request.Context())
	if err != nil {
		return err
	}
	out := make([]Release, 0, len(rs))
	for _, r := range rs {
		out = append(out, releaseOut(r))
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

func (h *handlers) release(c *gin.Context) error {
	r, err := h.svc.Release(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, releaseOut(r))
	return nil
}

func (h *handlers) upload(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	in := updates.ReleaseInput{Version: c.Query("version"), OS: c.Query("os"), Arch: c.Query("arch"),
		Signature: c.Query("signature"), Notes: c.Query("notes")}
	r, err := h.svc.Upload(c.Request.Context(), p.ScopeFor(domain.PermPluginsManage), actor(p), in, data)
	if err != nil {
		return err
	}
	c.Header("Location", api.Prefix+"/releases/"+r.ID)
	c.JSON(http.StatusCreated, releaseOut(r))
	return nil
}

func (h *handlers) rollouts(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	rs, err := h.svc.Rollouts(c.Request.Context(), p.ScopeFor(domain.PermDevicesRead))
	if err != nil {
		return err
	}
	out := make([]Rollout, 0, len(rs))
	for _, r := range rs {
		o := rolloutOut(r)
		if o.Counts, err = h.counts(c, p.ScopeFor(domain.PermDevicesRead), r.ID); err != nil {
			return err
		}
		out = append(out, o)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

// counts are a rollout's devices per state.
func (h *handlers) counts(c *gin.Context, sc domain.Scope, id string) (map[string]int, error) {
	ups, err := h.svc.Devices(c.Request.Context(), sc, id)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, u := range ups {
		out[u.State]++
	}
	return out, nil
}

func (h *handlers) create(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	var req RolloutRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	r, err := h.svc.Create(c.Request.Context(), p.ScopeFor(domain.PermDevicesWrite), actor(p), updates.RolloutInput{
		ScopeKind: req.ScopeKind, ScopeID: req.ScopeID, Version: req.Version, Stages: req.Stages, PauseSeconds: req.PauseSeconds,
		FailureThreshold: req.FailureThreshold, AllowDowngrade: req.AllowDowngrade, TrialSeconds: req.TrialSeconds})
	if err != nil {
		return err
	}
	c.Header("Location", api.Prefix+"/rollouts/"+r.ID)
	c.JSON(http.StatusCreated, rolloutOut(r))
	return nil
}

func (h *handlers) rollout(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	sc := p.ScopeFor(domain.PermDevicesRead)
	r, err := h.svc.Rollout(c.Request.Context(), sc, c.Param("id"))
	if err != nil {
		return err
	}
	out := rolloutOut(r)
	if out.Counts, err = h.counts(c, sc, r.ID); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h *handlers) devices(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	ups, err := h.svc.Devices(c.Request.Context(), p.ScopeFor(domain.PermDevicesRead), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]DeviceUpdate, 0, len(ups))
	for _, u := range ups {
		out = append(out, deviceOut(u))
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

func (h *handlers) act(c *gin.Context, action string) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Act(c.Request.Context(), p.ScopeFor(domain.PermDevicesWrite), actor(p), c.Param("id"), action)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, rolloutOut(r))
	return nil
}

func (h *handlers) deviceState(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	u, err := h.svc.DeviceState(c.Request.Context(), p.ScopeFor(domain.PermDevicesRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, deviceOut(*u))
	return nil
}

func (h *handlers) binary(c *gin.Context) error {
	dev := api.AgentDeviceFrom(c)
	if dev == "" {
		return domain.Unauthenticatedf("agent credentials required")
	}
	f, rel, err := h.svc.Binary(c.Request.Context(), dev, c.Param("releaseId"))
	if err != nil {
		return err
	}
	defer f.Close()
	c.Header("X-Content-SHA256", rel.SHA256)
	c.Header("Content-Length", strconv.FormatInt(rel.Size, 10))
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "application/octet-stream")
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, io.LimitReader(f, rel.Size)); err != nil {
		httpapi.Logger(c).Warn("agent build download cut short", "release", rel.ID, "error", err)
	}
	return nil
}
