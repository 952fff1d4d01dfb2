package storetest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The in-memory store below exists only to check that the suite itself is
// sane (it passes against a straightforward reading of the contract).

func TestFakeStore(t *testing.T) { runTenancy(t, newFake) }

func newFake(testing.TB) ports.Store {
	return &fake{db: &fakeDB{
		partners: map[string]domain.Partner{}, orgs: map[string]domain.Organization{},
		sites: map[string]domain.Site{}, groups: map[string]domain.DeviceGroup{}, devices: map[string]domain.Device{},
	}}
}

type fakeDB struct {
	mu       sync.Mutex
	partners map[string]domain.Partner
	orgs     map[string]domain.Organization
	sites    map[string]domain.Site
	groups   map[string]domain.DeviceGroup
	devices  map[string]domain.Device
}

type fake struct {
	// The tenancy suite never touches identity stores; the nil embedded
	// interface only satisfies ports.Store (a call would panic, loudly).
	ports.IdentityStore
	ports.AgentStore
	ports.RemoteStore
	ports.AlertStores
	ports.NotifyStores
	ports.FleetStores
	ports.MaintenanceStores
	ports.ScheduleStores
	ports.ScanStores
	ports.DiscoveryStores
	ports.UpdateStores
	ports.CertStores
	db   *fakeDB
	inTx bool
}

func (f *fake) lock() func() {
	if f.inTx {
		return func() {}
	}
	f.db.mu.Lock()
	return f.db.mu.Unlock
}

func (f *fake) Partners() ports.PartnerStore         { return fakePartners{f} }
func (f *fake) Orgs() ports.OrgStore                 { return fakeOrgs{f} }
func (f *fake) Sites() ports.SiteStore               { return fakeSites{f} }
func (f *fake) DeviceGroups() ports.DeviceGroupStore { return fakeGroups{f} }
func (f *fake) Devices() ports.DeviceStore           { return fakeDevices{f} }
func (f *fake) Ping(context.Context) error           { return nil }
func (f *fake) Close() error                         { return nil }

// Plugins is absent from the tenancy fake (the plugin suite runs against
// the real adapters only).
func (f *fake) Plugins() ports.PluginStore               { return nil }
func (f *fake) PluginCatalogs() ports.PluginCatalogStore { return nil }
func (f *fake) PluginKeys() ports.PluginKeyStore         { return nil }

func (f *fake) InTx(ctx context.Context, fn func(ctx context.Context, tx ports.Store) error) (err error) {
	if f.inTx {
		return fn(ctx, f)
	}
	f.db.mu.Lock()
	defer f.db.mu.Unlock()
	saved := fakeDB{
		partners: cloneMap(f.db.partners), orgs: cloneMap(f.db.orgs), sites: cloneMap(f.db.sites),
		groups: cloneMap(f.db.groups), devices: cloneMap(f.db.devices),
	}
	restore := func() {
		f.db.partners, f.db.orgs, f.db.sites = saved.partners, saved.orgs, saved.sites
		f.db.groups, f.db.devices = saved.groups, saved.devices
	}
	defer func() {
		if p := recover(); p != nil {
			restore()
			panic(p)
		}
	}()
	if err := fn(ctx, &fake{db: f.db, inTx: true}); err != nil {
		restore()
		return err
	}
	return nil
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func matchQuery(s, q string) bool {
	return q == "" || strings.Contains(strings.ToLower(s), strings.ToLower(q))
}

// paginate sorts by id and cuts one page.
func paginate[T any](items []T, id func(T) string, req domain.PageRequest) (domain.Page[T], error) {
	req = req.Normalize()
	after, err := domain.DecodeCursor(req.Cursor)
	if err != nil {
		return domain.Page[T]{}, err
	}
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	var out []T
	for _, v := range items {
		if id(v) > after {
			out = append(out, v)
		}
	}
	if len(out) <= req.Limit {
		return domain.Page[T]{Items: out}, nil
	}
	out = out[:req.Limit]
	return domain.Page[T]{Items: out, NextCursor: domain.EncodeCursor(id(out[len(out)-1]))}, nil
}

func orgReadable(db *fakeDB, s domain.Scope, o domain.Organization) bool {
	if s.CoversOrg(o.PartnerID, o.ID) {
		return true
	}
	for _, sid := range s.SiteIDs {
		if site, ok := db.sites[sid]; ok && site.OrgID == o.ID {
			return true
		}
	}
	return false
}

// ---- partners

type fakePartners struct{ f *fake }

func (p fakePartners) nameTaken(name, except string) bool {
	for _, x := range p.f.db.partners {
		if x.ID != except && strings.EqualFold(x.Name, name) {
			return true
		}
	}
	return false
}

func (p fakePartners) Create(_ context.Context, s domain.Scope, in *domain.Partner) error {
	defer p.f.lock()()
	if !s.Global {
		return domain.NotFoundf("no such parent")
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if p.nameTaken(in.Name, "") {
		return domain.Conflictf("name taken")
	}
	in.ID, in.Version, in.CreatedAt = domain.NewID(), 1, now()
	in.UpdatedAt = in.CreatedAt
	p.f.db.partners[in.ID] = *in
	return nil
}

func (p fakePartners) Get(_ context.Context, s domain.Scope, id string) (*domain.Partner, error) {
	defer p.f.lock()()
	x, ok := p.f.db.partners[id]
	if !ok || !s.CoversPartner(id) {
		return nil, domain.NotFoundf("partner")
	}
	return &x, nil
}

func (p fakePartners) List(_ context.Context, s domain.Scope, req domain.PageRequest) (domain.Page[*domain.Partner], error) {
	defer p.f.lock()()
	var items []*domain.Partner
	for _, x := range p.f.db.partners {
		if s.CoversPartner(x.ID) {
			items = append(items, &x)
		}
	}
	return paginate(items, func(v *domain.Partner) string { return v.ID }, req)
}

func (p fakePartners) Update(_ context.Context, s domain.Scope, in *domain.Partner) (*domain.Partner, error) {
	defer p.f.lock()()
	x, ok := p.f.db.partners[in.ID]
	if !ok || !s.CoversPartner(x.ID) {
		return nil, domain.NotFoundf("partner")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Version != x.Version {
		return nil, domain.Conflictf("stale")
	}
	if p.nameTaken(in.Name, x.ID) {
		return nil, domain.Conflictf("name taken")
	}
	x.Name, x.Version, x.UpdatedAt = in.Name, x.Version+1, now()
	p.f.db.partners[x.ID] = x
	return &x, nil
}

func (p fakePartners) Delete(_ context.Context, s domain.Scope, id string) error {
	defer p.f.lock()()
	x, ok := p.f.db.partners[id]
	if !ok || !s.CoversPartner(x.ID) {
		return domain.NotFoundf("partner")
	}
	for _, o := range p.f.db.orgs {
		if o.PartnerID == id {
			return domain.Conflictf("has orgs")
		}
	}
	delete(p.f.db.partners, id)
	return nil
}

// ---- orgs

type fakeOrgs struct{ f *fake }

func (o fakeOrgs) nameTaken(partnerID, name, except string) bool {
	for _, x := range o.f.db.orgs {
		if x.ID != except && x.PartnerID == partnerID && strings.EqualFold(x.Name, name) {
			return true
		}
	}
	return false
}

func (o fakeOrgs) Create(_ context.Context, s domain.Scope, in *domain.Organization) error {
	defer o.f.lock()()
	if err := in.Validate(); err != nil {
		return err
	}
	if _, ok := o.f.db.partners[in.PartnerID]; !ok || !s.CoversPartner(in.PartnerID) {
		return domain.NotFoundf("partner")
	}
	if o.nameTaken(in.PartnerID, in.Name, "") {
		return domain.Conflictf("name taken")
	}
	in.ID, in.Version, in.CreatedAt = domain.NewID(), 1, now()
	in.UpdatedAt = in.CreatedAt
	o.f.db.orgs[in.ID] = *in
	return nil
}

func (o fakeOrgs) Get(_ context.Context, s domain.Scope, id string) (*domain.Organization, error) {
	defer o.f.lock()()
	x, ok := o.f.db.orgs[id]
	if !ok || !orgReadable(o.f.db, s, x) {
		return nil, domain.NotFoundf("org")
	}
	return &x, nil
}

func (o fakeOrgs) List(_ context.Context, s domain.Scope, f ports.OrgFilter, req domain.PageRequest) (domain.Page[*domain.Organization], error) {
	defer o.f.lock()()
	var items []*domain.Organization
	for _, x := range o.f.db.orgs {
		if orgReadable(o.f.db, s, x) && (f.PartnerID == "" || f.PartnerID == x.PartnerID) && matchQuery(x.Name, f.Query) {
			items = append(items, &x)
		}
	}
	return paginate(items, func(v *domain.Organization) string { return v.ID }, req)
}

func (o fakeOrgs) Update(_ context.Context, s domain.Scope, in *domain.Organization) (*domain.Organization, error) {
	defer o.f.lock()()
	x, ok := o.f.db.orgs[in.ID]
	if !ok || !s.CoversOrg(x.PartnerID, x.ID) {
		return nil, domain.NotFoundf("org")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Version != x.Version {
		return nil, domain.Conflictf("stale")
	}
	if o.nameTaken(x.PartnerID, in.Name, x.ID) {
		return nil, domain.Conflictf("name taken")
	}
	x.Name, x.Version, x.UpdatedAt = in.Name, x.Version+1, now()
	o.f.db.orgs[x.ID] = x
	return &x, nil
}

func (o fakeOrgs) Delete(_ context.Context, s domain.Scope, id string) error {
	defer o.f.lock()()
	x, ok := o.f.db.orgs[id]
	if !ok || !s.CoversOrg(x.PartnerID, x.ID) {
		return domain.NotFoundf("org")
	}
	for _, v := range o.f.db.sites {
		if v.OrgID == id {
			return domain.Conflictf("has sites")
		}
	}
	for _, v := range o.f.db.groups {
		if v.OrgID == id {
			return domain.Conflictf("has groups")
		}
	}
	delete(o.f.db.orgs, id)
	return nil
}

// ---- sites

type fakeSites struct{ f *fake }

func siteCovered(s domain.Scope, x domain.Site) bool { return s.CoversSite(x.PartnerID, x.OrgID, x.ID) }

func (ss fakeSites) nameTaken(orgID, name, except string) bool {
	for _, x := range ss.f.db.sites {
		if x.ID != except && x.OrgID == orgID && strings.EqualFold(x.Name, name) {
			return true
		}
	}
	return false
}

func (ss fakeSites) Create(_ context.Context, s domain.Scope, in *domain.Site) error {
	defer ss.f.lock()()
	if err := in.Validate(); err != nil {
		return err
	}
	o, ok := ss.f.db.orgs[in.OrgID]
	if !ok || !s.CoversOrg(o.PartnerID, o.ID) {
		return domain.NotFoundf("org")
	}
	if ss.nameTaken(o.ID, in.Name, "") {
		return domain.Conflictf("name taken")
	}
	in.ID, in.PartnerID, in.Version, in.CreatedAt = domain.NewID(), o.PartnerID, 1, now()
	in.UpdatedAt = in.CreatedAt
	ss.f.db.sites[in.ID] = *in
	return nil
}

func (ss fakeSites) Get(_ context.Context, s domain.Scope, id string) (*domain.Site, error) {
	defer ss.f.lock()()
	x, ok := ss.f.db.sites[id]
	if !ok || !siteCovered(s, x) {
		return nil, domain.NotFoundf("site")
	}
	return &x, nil
}

func (ss fakeSites) List(_ context.Context, s domain.Scope, f ports.SiteFilter, req domain.PageRequest) (domain.Page[*domain.Site], error) {
	defer ss.f.lock()()
	var items []*domain.Site
	for _, x := range ss.f.db.sites {
		if siteCovered(s, x) && (f.OrgID == "" || f.OrgID == x.OrgID) && matchQuery(x.Name, f.Query) {
			items = append(items, &x)
		}
	}
	return paginate(items, func(v *domain.Site) string { return v.ID }, req)
}

func (ss fakeSites) Update(_ context.Context, s domain.Scope, in *domain.Site) (*domain.Site, error) {
	defer ss.f.lock()()
	x, ok := ss.f.db.sites[in.ID]
	if !ok || !siteCovered(s, x) {
		return nil, domain.NotFoundf("site")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Version != x.Version {
		return nil, domain.Conflictf("stale")
	}
	if ss.nameTaken(x.OrgID, in.Name, x.ID) {
		return nil, domain.Conflictf("name taken")
	}
	x.Name, x.Timezone, x.Version, x.UpdatedAt = in.Name, in.Timezone, x.Version+1, now()
	ss.f.db.sites[x.ID] = x
	return &x, nil
}

func (ss fakeSites) Delete(_ context.Context, s domain.Scope, id string) error {
	defer ss.f.lock()()
	x, ok := ss.f.db.sites[id]
	if !ok || !siteCovered(s, x) {
		return domain.NotFoundf("site")
	}
	for _, v := range ss.f.db.groups {
		if v.SiteID == id {
			return domain.Conflictf("has groups")
		}
	}
	for _, v := range ss.f.db.devices {
		if v.SiteID == id {
			return domain.Conflictf("has devices")
		}
	}
	delete(ss.f.db.sites, id)
	return nil
}

// ---- groups

type fakeGroups struct{ f *fake }

func groupCovered(s domain.Scope, g domain.DeviceGroup) bool {
	return s.CoversSite(g.PartnerID, g.OrgID, g.SiteID)
}

func (gs fakeGroups) nameTaken(orgID, siteID, name, except string) bool {
	for _, x := range gs.f.db.groups {
		if x.ID != except && x.OrgID == orgID && x.SiteID == siteID && strings.EqualFold(x.Name, name) {
			return true
		}
	}
	return false
}

func (gs fakeGroups) Create(_ context.Context, s domain.Scope, in *domain.DeviceGroup) error {
	defer gs.f.lock()()
	if err := in.Validate(); err != nil {
		return err
	}
	o, ok := gs.f.db.orgs[in.OrgID]
	if !ok {
		return domain.NotFoundf("org")
	}
	if in.SiteID == "" {
		if !s.CoversOrg(o.PartnerID, o.ID) {
			return domain.NotFoundf("org")
		}
	} else {
		site, ok := gs.f.db.sites[in.SiteID]
		if !ok || !siteCovered(s, site) {
			return domain.NotFoundf("site")
		}
		if site.OrgID != o.ID {
			return domain.Invalidf("site of another org")
		}
	}
	if gs.nameTaken(o.ID, in.SiteID, in.Name, "") {
		return domain.Conflictf("name taken")
	}
	in.ID, in.PartnerID, in.Version, in.CreatedAt = domain.NewID(), o.PartnerID, 1, now()
	in.UpdatedAt = in.CreatedAt
	gs.f.db.groups[in.ID] = *in
	return nil
}

func (gs fakeGroups) Get(_ context.Context, s domain.Scope, id string) (*domain.DeviceGroup, error) {
	defer gs.f.lock()()
	x, ok := gs.f.db.groups[id]
	if !ok || !groupCovered(s, x) {
		return nil, domain.NotFoundf("group")
	}
	return &x, nil
}

func (gs fakeGroups) List(_ context.Context, s domain.Scope, f ports.DeviceGroupFilter, req domain.PageRequest) (domain.Page[*domain.DeviceGroup], error) {
	defer gs.f.lock()()
	var items []*domain.DeviceGroup
	for _, x := range gs.f.db.groups {
		if groupCovered(s, x) && (f.OrgID == "" || f.OrgID == x.OrgID) && (f.SiteID == "" || f.SiteID == x.SiteID) && matchQuery(x.Name, f.Query) {
			items = append(items, &x)
		}
	}
	return paginate(items, func(v *domain.DeviceGroup) string { return v.ID }, req)
}

func (gs fakeGroups) Update(_ context.Context, s domain.Scope, in *domain.DeviceGroup) (*domain.DeviceGroup, error) {
	defer gs.f.lock()()
	x, ok := gs.f.db.groups[in.ID]
	if !ok || !groupCovered(s, x) {
		return nil, domain.NotFoundf("group")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Version != x.Version {
		return nil, domain.Conflictf("stale")
	}
	if gs.nameTaken(x.OrgID, x.SiteID, in.Name, x.ID) {
		return nil, domain.Conflictf("name taken")
	}
	x.Name, x.Version, x.UpdatedAt = in.Name, x.Version+1, now()
	gs.f.db.groups[x.ID] = x
	return &x, nil
}

func (gs fakeGroups) Delete(_ context.Context, s domain.Scope, id string) error {
	defer gs.f.lock()()
	x, ok := gs.f.db.groups[id]
	if !ok || !groupCovered(s, x) {
		return domain.NotFoundf("group")
	}
	for _, v := range gs.f.db.devices {
		if v.GroupID == id {
			return domain.Conflictf("has devices")
		}
	}
	delete(gs.f.db.groups, id)
	return nil
}

// ---- devices

type fakeDevices struct{ f *fake }

func deviceCovered(s domain.Scope, d domain.Device) bool {
	return s.CoversSite(d.PartnerID, d.OrgID, d.SiteID)
}

// place checks the site and group of d for a caller in scope s; orgID, when
// set, is the org the device must stay in.
func (ds fakeDevices) place(s domain.Scope, d *domain.Device, orgID string) (domain.Site, error) {
	site, ok := ds.f.db.sites[d.SiteID]
	if !ok || !siteCovered(s, site) {
		return site, domain.NotFoundf("site")
	}
	if orgID != "" && site.OrgID != orgID {
		return site, domain.Invalidf("site of another org")
	}
	if d.GroupID != "" {
		g, ok := ds.f.db.groups[d.GroupID]
		if !ok || !groupCovered(s, g) {
			return site, domain.NotFoundf("group")
		}
		if g.OrgID != site.OrgID || (g.SiteID != "" && g.SiteID != site.ID) {
			return site, domain.Invalidf("group not in the site")
		}
	}
	return site, nil
}

func (ds fakeDevices) insert(s domain.Scope, in *domain.Device) error {
	if err := in.Validate(); err != nil {
		return err
	}
	site, err := ds.place(s, in, "")
	if err != nil {
		return err
	}
	if in.OrgID != "" && in.OrgID != site.OrgID {
		return domain.Invalidf("org does not match the site")
	}
	if in.ID == "" {
		in.ID = domain.NewID()
	} else if !domain.ValidID(in.ID) {
		return domain.Invalidf("bad id")
	}
	if _, ok := ds.f.db.devices[in.ID]; ok {
		return domain.Conflictf("id taken")
	}
	if in.Kind == "" {
		in.Kind = domain.DeviceKindAgent // the kind is set at creation only
	}
	in.PartnerID, in.OrgID, in.Version, in.CreatedAt = site.PartnerID, site.OrgID, 1, now()
	in.UpdatedAt = in.CreatedAt
	in.LastSeenAt = utcMicro(in.LastSeenAt)
	ds.f.db.devices[in.ID] = *in
	return nil
}

func utcMicro(v time.Time) time.Time {
	if v.IsZero() {
		return v
	}
	return v.UTC().Truncate(time.Microsecond)
}

func (ds fakeDevices) overwrite(s domain.Scope, x domain.Device, in *domain.Device) (*domain.Device, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if _, err := ds.place(s, in, x.OrgID); err != nil {
		return nil, err
	}
	x.Hostname, x.OS, x.Arch, x.Status = in.Hostname, in.OS, in.Arch, in.Status
	x.LastSeenAt, x.AgentVersion, x.SiteID, x.GroupID = utcMicro(in.LastSeenAt), in.AgentVersion, in.SiteID, in.GroupID
	x.Version, x.UpdatedAt = x.Version+1, now()
	ds.f.db.devices[x.ID] = x
	return &x, nil
}

func (ds fakeDevices) Create(_ context.Context, s domain.Scope, in *domain.Device) error {
	defer ds.f.lock()()
	return ds.insert(s, in)
}

func (ds fakeDevices) Get(_ context.Context, s domain.Scope, id string) (*domain.Device, error) {
	defer ds.f.lock()()
	x, ok := ds.f.db.devices[id]
	if !ok || !deviceCovered(s, x) {
		return nil, domain.NotFoundf("device")
	}
	return &x, nil
}

func (ds fakeDevices) List(_ context.Context, s domain.Scope, f ports.DeviceFilter, req domain.PageRequest) (domain.Page[*domain.Device], error) {
	defer ds.f.lock()()
	var items []*domain.Device
	for _, x := range ds.f.db.devices {
		if deviceCovered(s, x) && (f.OrgID == "" || f.OrgID == x.OrgID) && (f.SiteID == "" || f.SiteID == x.SiteID) &&
			(f.GroupID == "" || f.GroupID == x.GroupID) && (f.Status == "" || f.Status == x.Status) &&
			(f.OS == "" || f.OS == x.OS) && (f.Kind == "" || f.Kind == x.Kind) && matchQuery(x.Hostname, f.Query) {
			items = append(items, &x)
		}
	}
	return paginate(items, func(v *domain.Device) string { return v.ID }, req)
}

func (ds fakeDevices) Update(_ context.Context, s domain.Scope, in *domain.Device) (*domain.Device, error) {
	defer ds.f.lock()()
	x, ok := ds.f.db.devices[in.ID]
	if !ok || !deviceCovered(s, x) {
		return nil, domain.NotFoundf("device")
	}
	if in.Version != x.Version {
		return nil, domain.Conflictf("stale")
	}
	return ds.overwrite(s, x, in)
}

func (ds fakeDevices) Upsert(_ context.Context, s domain.Scope, in *domain.Device) (*domain.Device, error) {
	defer ds.f.lock()()
	if in.ID == "" {
		return nil, domain.Invalidf("id required")
	}
	if x, ok := ds.f.db.devices[in.ID]; ok {
		if !deviceCovered(s, x) {
			return nil, domain.NotFoundf("device")
		}
		return ds.overwrite(s, x, in)
	}
	d := *in
	if err := ds.insert(s, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func (ds fakeDevices) Delete(_ context.Context, s domain.Scope, id string) error {
	defer ds.f.lock()()
	x, ok := ds.f.db.devices[id]
	if !ok || !deviceCovered(s, x) {
		return domain.NotFoundf("device")
	}
	delete(ds.f.db.devices, id)
	return nil
}
