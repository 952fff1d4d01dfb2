package storetest

import (
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The builders create rows with the Global scope and stop the test on error.

func newPartner(t testing.TB, st ports.Store) *domain.Partner {
	t.Helper()
	p := &domain.Partner{Name: uniq("partner")}
	must(t, "create partner", st.Partners().Create(t.Context(), global, p))
	return p
}

func newOrg(t testing.TB, st ports.Store, partnerID string) *domain.Organization {
	t.Helper()
	o := &domain.Organization{PartnerID: partnerID, Name: uniq("org")}
	must(t, "create org", st.Orgs().Create(t.Context(), global, o))
	return o
}

func newSite(t testing.TB, st ports.Store, orgID string) *domain.Site {
	t.Helper()
	s := &domain.Site{OrgID: orgID, Name: uniq("site"), Timezone: "Europe/Paris"}
	must(t, "create site", st.Sites().Create(t.Context(), global, s))
	return s
}

// newGroup makes an org-wide group when siteID is empty.
func newGroup(t testing.TB, st ports.Store, orgID, siteID string) *domain.DeviceGroup {
	t.Helper()
	g := &domain.DeviceGroup{OrgID: orgID, SiteID: siteID, Name: uniq("group")}
	must(t, "create group", st.DeviceGroups().Create(t.Context(), global, g))
	return g
}

// deviceIn returns an unsaved device in siteID (OrgID left for Create to fill).
func deviceIn(siteID, groupID string) *domain.Device {
	return &domain.Device{
		SiteID:       siteID,
		GroupID:      groupID,
		Hostname:     uniq("host"),
		OS:           "linux",
		Arch:         "amd64",
		Status:       domain.DeviceOnline,
		LastSeenAt:   time.Now().UTC().Add(-time.Minute),
		AgentVersion: "1.0.0",
	}
}

func newDevice(t testing.TB, st ports.Store, siteID, groupID string) *domain.Device {
	t.Helper()
	d := deviceIn(siteID, groupID)
	must(t, "create device", st.Devices().Create(t.Context(), global, d))
	return d
}

// chain is one partner → org → site, the smallest home for a device.
type chain struct {
	partner *domain.Partner
	org     *domain.Organization
	site    *domain.Site
}

func newChain(t testing.TB, st ports.Store) chain {
	t.Helper()
	p := newPartner(t, st)
	o := newOrg(t, st, p.ID)
	return chain{partner: p, org: o, site: newSite(t, st, o.ID)}
}

// scope returns a scope covering exactly this chain's partner.
func (c chain) scope() domain.Scope { return domain.Scope{PartnerIDs: []string{c.partner.ID}} }
