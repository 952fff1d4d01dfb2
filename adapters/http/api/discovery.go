package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Discovery query filters.
const (
	qNew       = "new"
	qProfileID = "profileId"
)

func (h *handlers) discoveryRoutes(r *registrar) {
	const tag = "Discovery"
	sv := h.d.Discovery
	read, manage := httpapi.User(domain.PermDiscoveryRead), httpapi.User(domain.PermDiscoveryManage)
	r.add(http.MethodGet, "/discovery/profiles", read, "discovery.profiles.list", discovery.Resource, httpapi.Doc{
		Summary: "List discovery profiles", Tag: tag, Response: DiscoveryProfile{}, List: true,
		Query: listParams(idParam(qOrgID, "this org's profiles"), idParam(qSiteID, "this site's profiles")),
	}, listOf(profileFilter, sv.ListProfiles, profileOut, qOrgID, qSiteID))
	r.add(http.MethodPost, "/discovery/profiles", manage, "discovery.profiles.create", discovery.Resource, httpapi.Doc{
		Summary: "Create a discovery profile", Tag: tag, Request: DiscoveryProfileRequest{}, Response: DiscoveryProfile{},
		Status: http.StatusCreated,
		Description: "Targets minus exclusions cover at most 65536 addresses (a /16); 0.0.0.0/8, loopback, link-local, " +
			"multicast and broadcast are refused, and so is a target outside the org's allowed ranges. SNMP secrets are write-only.",
	}, createOne("/discovery/profiles", h.createProfile, profileOut))
	r.add(http.MethodGet, "/discovery/profiles/:id", read, "discovery.profiles.get", discovery.Resource, httpapi.Doc{
		Summary: "Get a discovery profile", Tag: tag, Response: DiscoveryProfile{},
	}, getOne(sv.GetProfile, profileOut))
	r.add(http.MethodPut, "/discovery/profiles/:id", manage, "discovery.profiles.update", discovery.Resource, httpapi.Doc{
		Summary: "Change a discovery profile (the fields named, at version)", Tag: tag,
		Request: DiscoveryProfileRequest{}, Response: DiscoveryProfile{},
	}, updateOne(h.updateProfile, profileOut))
	r.add(http.MethodDelete, "/discovery/profiles/:id", manage, "discovery.profiles.delete", discovery.Resource, httpapi.Doc{
		Summary: "Delete a discovery profile (its assets stay)", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(sv.DeleteProfile))

	r.add(http.MethodGet, "/orgs/:id/discovery-settings", read, "discovery.settings.get", discovery.ResourceSettings, httpapi.Doc{
		Summary: "An organization's discovery settings", Tag: tag, Response: DiscoverySettings{},
	}, getOne(sv.GetSettings, settingsOut))
	r.add(http.MethodPut, "/orgs/:id/discovery-settings", manage, "discovery.settings.put", discovery.ResourceSettings, httpapi.Doc{
		Summary: "Set an organization's allowed discovery ranges", Tag: tag, Request: DiscoverySettingsRequest{},
		Response: DiscoverySettings{}, Description: "Needs discovery:manage and orgs:write over the organization.",
	}, updateOne(h.putSettings, settingsOut))

	r.add(http.MethodGet, "/discovery/assets", read, "discovery.assets.list", discovery.ResourceAsset, httpapi.Doc{
		Summary: "List discovered assets", Tag: tag, Response: Asset{}, List: true,
		Query: listParams(idParam(qOrgID, "this org's assets"), idParam(qSiteID, "this site's assets"),
			httpapi.Param{Name: qState, Description: "candidate, managed, tracked or ignored."},
			httpapi.Param{Name: qNew, Type: "boolean", Description: "Only assets found first by the latest scan that saw them (true) or the others (false)."},
			httpapi.Param{Name: qSearch, Description: "Case-insensitive substring of the IP, MAC, vendor or a hostname."},
			idParam(qProfileID, "assets seen by this profile's scans")),
	}, listOf(assetFilter, sv.ListAssets, assetOut, qOrgID, qSiteID, qState, qNew, qSearch, qProfileID))
	r.add(http.MethodGet, "/discovery/assets/:id", read, "discovery.assets.get", discovery.ResourceAsset, httpapi.Doc{
		Summary: "Get a discovered asset", Tag: tag, Response: Asset{},
	}, getOne(sv.GetAsset, assetOut))
	r.add(http.MethodGet, "/discovery/assets/:id/events", read, "discovery.assets.events", discovery.ResourceAsset, httpapi.Doc{
		Summary: "An asset's events, newest first", Tag: tag, Response: AssetEvent{}, List: true, Query: listParams(),
	}, listUnder(h.d.Discovery.ListAssetEvents, assetEventOut))
	for _, a := range []struct {
		name, summary string
		fn            idFunc[*domain.Asset]
	}{
		{"ignore", "Ignore an asset (hide it from the candidates)", sv.Ignore},
		{"unignore", "Stop ignoring an asset", sv.Unignore},
		{"track", "Track an asset as an unmanaged network device", sv.Track},
		{"untrack", "Stop tracking an asset: its network device is deleted", sv.Untrack},
	} {
		r.add(http.MethodPost, "/discovery/assets/:id/"+a.name, manage, "discovery.assets."+a.name, discovery.ResourceAsset,
			httpapi.Doc{Summary: a.summary, Tag: tag, Response: Asset{}}, refuseQuery(getOne(a.fn, assetOut)))
	}
	r.add(http.MethodPost, "/discovery/assets/:id/deploy", manage, "discovery.assets.deploy", discovery.ResourceAsset, httpapi.Doc{
		Summary: "Deploy the agent: a one-use enrollment key for the asset's site (24 h) and its install command", Tag: tag,
		Response: AssetDeployment{}, Description: "Needs enrollment-keys:write over the site too. The key is shown once.",
	}, refuseQuery(h.deployAsset))
}

func profileFilter(q listQuery) (f ports.DiscoveryProfileFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	f.SiteID, err = q.id(qSiteID)
	return f, err
}

func assetFilter(q listQuery) (f ports.AssetFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return f, err
	}
	if f.ProfileID, err = q.id(qProfileID); err != nil {
		return f, err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return f, err
	}
	if s := q.v.Get(qState); s != "" {
		f.State = domain.AssetState(s)
		if !f.State.Valid() {
			return f, domain.Invalidf("state is candidate, managed, tracked or ignored")
		}
	}
	if s := q.v.Get(qNew); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, domain.Invalidf("new is true or false")
		}
		f.New = &b
	}
	return f, nil
}

func (h *handlers) createProfile(ctx context.Context, p *domain.Principal, in DiscoveryProfileRequest) (*domain.DiscoveryProfile, error) {
	if in.Version != 0 {
		return nil, domain.Invalidf("version is for PUT")
	}
	pi, err := profileIn(in)
	if err != nil {
		return nil, err
	}
	return h.d.Discovery.CreateProfile(ctx, p, pi)
}

func (h *handlers) updateProfile(ctx context.Context, p *domain.Principal, id string, in DiscoveryProfileRequest) (*domain.DiscoveryProfile, error) {
	pi, err := profileIn(in)
	if err != nil {
		return nil, err
	}
	return h.d.Discovery.UpdateProfile(ctx, p, id, pi)
}

func (h *handlers) putSettings(ctx context.Context, p *domain.Principal, orgID string, in DiscoverySettingsRequest) (*domain.DiscoverySettings, error) {
	return h.d.Discovery.PutSettings(ctx, p, orgID, in.AllowedRanges, in.Version)
}

func (h *handlers) deployAsset(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	d, err := h.d.Discovery.Deploy(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	noStore(c)
	c.JSON(http.StatusOK, AssetDeployment{EnrollmentKey: d.Secret, KeyID: d.Key.ID, ExpiresAt: d.Key.ExpiresAt.UTC(),
		InstallCommand: installCommand(h.d.PublicURL, d.Secret)})
	return nil
}
