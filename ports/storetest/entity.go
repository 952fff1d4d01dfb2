package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// kind names an entity store so table-driven tests can loop over all five.
type kind int

const (
	kindPartner kind = iota
	kindOrg
	kindSite
	kindGroup
	kindDevice
)

var kinds = []kind{kindPartner, kindOrg, kindSite, kindGroup, kindDevice}

func (k kind) String() string {
	return [...]string{"partner", "org", "site", "group", "device"}[k]
}

// ref filters a list by parent ids; each kind honours the fields its filter
// has (see filterFields).
type ref struct {
	PartnerID, OrgID, SiteID, GroupID string
}

// filterFields lists the ref fields a kind's filter has.
func (k kind) filterFields() []string {
	switch k {
	case kindOrg:
		return []string{"PartnerID"}
	case kindSite:
		return []string{"OrgID"}
	case kindGroup:
		return []string{"OrgID", "SiteID"}
	case kindDevice:
		return []string{"OrgID", "SiteID", "GroupID"}
	}
	return nil
}

// withField returns a ref with one field set.
func withField(name, id string) ref {
	var r ref
	switch name {
	case "PartnerID":
		r.PartnerID = id
	case "OrgID":
		r.OrgID = id
	case "SiteID":
		r.SiteID = id
	case "GroupID":
		r.GroupID = id
	default:
		panic("storetest: unknown filter field " + name)
	}
	return r
}

func tstr(v time.Time) string {
	if v.IsZero() {
		return "zero"
	}
	return v.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// get reads one row and returns a printable snapshot of every field, so a
// test can prove a rejected write changed nothing.
func get(ctx context.Context, st ports.Store, sc domain.Scope, k kind, id string) (string, error) {
	switch k {
	case kindPartner:
		p, err := st.Partners().Get(ctx, sc, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("partner{%s %q v%d %s %s}", p.ID, p.Name, p.Version, tstr(p.CreatedAt), tstr(p.UpdatedAt)), nil
	case kindOrg:
		o, err := st.Orgs().Get(ctx, sc, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("org{%s p=%s %q v%d %s %s}", o.ID, o.PartnerID, o.Name, o.Version, tstr(o.CreatedAt), tstr(o.UpdatedAt)), nil
	case kindSite:
		s, err := st.Sites().Get(ctx, sc, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("site{%s p=%s o=%s %q tz=%q v%d %s %s}", s.ID, s.PartnerID, s.OrgID, s.Name, s.Timezone, s.Version, tstr(s.CreatedAt), tstr(s.UpdatedAt)), nil
	case kindGroup:
		g, err := st.DeviceGroups().Get(ctx, sc, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("group{%s p=%s o=%s s=%s %q v%d %s %s}", g.ID, g.PartnerID, g.OrgID, g.SiteID, g.Name, g.Version, tstr(g.CreatedAt), tstr(g.UpdatedAt)), nil
	case kindDevice:
		d, err := st.Devices().Get(ctx, sc, id)
		if err != nil {
			return "", err
		}
		return deviceString(d), nil
	}
	panic("storetest: unknown kind")
}

func deviceString(d *domain.Device) string {
	return fmt.Sprintf("device{%s p=%s o=%s s=%s g=%s %q %s/%s %s seen=%s agent=%q v%d %s %s}",
		d.ID, d.PartnerID, d.OrgID, d.SiteID, d.GroupID, d.Hostname, d.OS, d.Arch, d.Status,
		tstr(d.LastSeenAt), d.AgentVersion, d.Version, tstr(d.CreatedAt), tstr(d.UpdatedAt))
}

// snapshot reads a row with the Global scope; the row must exist.
func snapshot(t testing.TB, st ports.Store, k kind, id string) string {
	t.Helper()
	s, err := get(t.Context(), st, global, k, id)
	if err != nil {
		t.Fatalf("re-read %s %s with the Global scope: %v", k, id, err)
	}
	return s
}

// list returns the ids of one page.
func list(ctx context.Context, st ports.Store, sc domain.Scope, k kind, f ref, page domain.PageRequest) ([]string, string, error) {
	switch k {
	case kindPartner:
		p, err := st.Partners().List(ctx, sc, page)
		return pageIDs(p, err, func(v *domain.Partner) string { return v.ID })
	case kindOrg:
		p, err := st.Orgs().List(ctx, sc, ports.OrgFilter{PartnerID: f.PartnerID}, page)
		return pageIDs(p, err, func(v *domain.Organization) string { return v.ID })
	case kindSite:
		p, err := st.Sites().List(ctx, sc, ports.SiteFilter{OrgID: f.OrgID}, page)
		return pageIDs(p, err, func(v *domain.Site) string { return v.ID })
	case kindGroup:
		p, err := st.DeviceGroups().List(ctx, sc, ports.DeviceGroupFilter{OrgID: f.OrgID, SiteID: f.SiteID}, page)
		return pageIDs(p, err, func(v *domain.DeviceGroup) string { return v.ID })
	case kindDevice:
		p, err := st.Devices().List(ctx, sc, ports.DeviceFilter{OrgID: f.OrgID, SiteID: f.SiteID, GroupID: f.GroupID}, page)
		return pageIDs(p, err, func(v *domain.Device) string { return v.ID })
	}
	panic("storetest: unknown kind")
}

func pageIDs[T any](p domain.Page[T], err error, id func(T) string) ([]string, string, error) {
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(p.Items))
	for _, v := range p.Items {
		ids = append(ids, id(v))
	}
	return ids, p.NextCursor, nil
}

// maxPages stops a list whose cursor never ends.
const maxPages = 1000

// listAll follows NextCursor to the end and returns every id in order.
func listAll(ctx context.Context, st ports.Store, sc domain.Scope, k kind, f ref) ([]string, error) {
	var all []string
	cursor := ""
	for range maxPages {
		ids, next, err := list(ctx, st, sc, k, f, domain.PageRequest{Limit: domain.MaxPageSize, Cursor: cursor})
		if err != nil {
			return all, err
		}
		all = append(all, ids...)
		if next == "" {
			return all, nil
		}
		if next == cursor {
			return all, fmt.Errorf("storetest: NextCursor %q did not advance", next)
		}
		cursor = next
	}
	return all, fmt.Errorf("storetest: list of %s did not end after %d pages", k, maxPages)
}

// rename reads the row with the Global scope (so the caller holds the right
// id and version, as an attacker who guessed them would) and tries to change
// its name under sc.
func rename(t testing.TB, st ports.Store, sc domain.Scope, k kind, id string) error {
	t.Helper()
	ctx := t.Context()
	var err error
	switch k {
	case kindPartner:
		p, gerr := st.Partners().Get(ctx, global, id)
		must(t, "read partner", gerr)
		p.Name = uniq("renamed")
		_, err = st.Partners().Update(ctx, sc, p)
	case kindOrg:
		o, gerr := st.Orgs().Get(ctx, global, id)
		must(t, "read org", gerr)
		o.Name = uniq("renamed")
		_, err = st.Orgs().Update(ctx, sc, o)
	case kindSite:
		s, gerr := st.Sites().Get(ctx, global, id)
		must(t, "read site", gerr)
		s.Name = uniq("renamed")
		_, err = st.Sites().Update(ctx, sc, s)
	case kindGroup:
		g, gerr := st.DeviceGroups().Get(ctx, global, id)
		must(t, "read group", gerr)
		g.Name = uniq("renamed")
		_, err = st.DeviceGroups().Update(ctx, sc, g)
	case kindDevice:
		d, gerr := st.Devices().Get(ctx, global, id)
		must(t, "read device", gerr)
		d.Hostname = uniq("renamed")
		_, err = st.Devices().Update(ctx, sc, d)
	}
	return err
}

// del deletes one row of kind k under sc.
func del(ctx context.Context, st ports.Store, sc domain.Scope, k kind, id string) error {
	switch k {
	case kindPartner:
		return st.Partners().Delete(ctx, sc, id)
	case kindOrg:
		return st.Orgs().Delete(ctx, sc, id)
	case kindSite:
		return st.Sites().Delete(ctx, sc, id)
	case kindGroup:
		return st.DeviceGroups().Delete(ctx, sc, id)
	case kindDevice:
		return st.Devices().Delete(ctx, sc, id)
	}
	panic("storetest: unknown kind")
}
