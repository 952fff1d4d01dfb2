package tenancy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// fakeStore serves organizations from a map; every other store is nil, so
// touching one panics and fails the test.
type fakeStore struct {
	ports.PartnerStore
	ports.SiteStore
	ports.DeviceGroupStore
	orgs *fakeOrgs
}

func (f fakeStore) Partners() ports.PartnerStore         { return f.PartnerStore }
func (f fakeStore) Orgs() ports.OrgStore                 { return f.orgs }
func (f fakeStore) Sites() ports.SiteStore               { return f.SiteStore }
func (f fakeStore) DeviceGroups() ports.DeviceGroupStore { return f.DeviceGroupStore }

type fakeOrgs struct {
	ports.OrgStore
	rows      map[string]*domain.Organization
	calls     []string
	updateErr error
}

func (f *fakeOrgs) Get(_ context.Context, s domain.Scope, id string) (*domain.Organization, error) {
	f.calls = append(f.calls, "get")
	o, ok := f.rows[id]
	if !ok || !s.CoversOrg(o.PartnerID, o.ID) {
		return nil, domain.ErrNotFound
	}
	c := *o
	return &c, nil
}

func (f *fakeOrgs) Create(_ context.Context, s domain.Scope, o *domain.Organization) error {
	f.calls = append(f.calls, "create")
	if !s.CoversPartner(o.PartnerID) {
		return domain.ErrNotFound
	}
	o.ID = "oNew"
	return nil
}

func (f *fakeOrgs) Update(_ context.Context, _ domain.Scope, o *domain.Organization) (*domain.Organization, error) {
	f.calls = append(f.calls, "update")
	return o, f.updateErr
}

func (f *fakeOrgs) Delete(_ context.Context, _ domain.Scope, id string) error {
	f.calls = append(f.calls, "delete "+id)
	return nil
}

func newService(t *testing.T) (*tenancy.Service, *fakeOrgs) {
	t.Helper()
	orgs := &fakeOrgs{rows: map[string]*domain.Organization{
		"oA": {ID: "oA", PartnerID: "p1", Name: "A", Version: 3},
		"oB": {ID: "oB", PartnerID: "p2", Name: "B", Version: 1},
	}}
	svc, err := tenancy.New(tenancy.Deps{Store: fakeStore{orgs: orgs}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, orgs
}

// An admin of partner p1 (orgs:write and partners:write over it).
var admin = &domain.Principal{PartnerID: "p1", Grants: []domain.Grant{{
	Assignment:  domain.RoleAssignment{PartnerID: "p1"},
	Permissions: []domain.Permission{domain.PermOrgsRead, domain.PermOrgsWrite, domain.PermPartnersWrite},
}}}

func TestEditWithoutVersionTouchesNothing(t *testing.T) {
	svc, orgs := newService(t)
	name := "renamed"
	_, err := svc.UpdateOrg(context.Background(), admin, "oA", tenancy.OrgPatch{Name: &name})
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if len(orgs.calls) != 0 {
		t.Fatalf("the store was called: %v", orgs.calls)
	}
}

func TestRefusedEditIsAuditedAgainstItsResource(t *testing.T) {
	svc, orgs := newService(t)
	orgs.updateErr = domain.ErrConflict
	ctx, note := audit.WithNote(context.Background(), domain.AuditEntry{})
	name := "renamed"
	_, err := svc.UpdateOrg(ctx, admin, "oA", tenancy.OrgPatch{Name: &name, Version: 2})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	e, _ := note.Entry()
	if e.ResourceType != tenancy.ResourceOrg || e.ResourceID != "oA" || e.PartnerID != "p1" || e.OrgID != "oA" {
		t.Fatalf("audit note = %+v", e)
	}
}

func TestEditSendsThePatchAndTheVersionRead(t *testing.T) {
	svc, _ := newService(t)
	name := "renamed"
	o, err := svc.UpdateOrg(context.Background(), admin, "oA", tenancy.OrgPatch{Name: &name, Version: 2})
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "renamed" || o.Version != 2 {
		t.Fatalf("stored %+v, want the new name with the caller's version 2", o)
	}
}

func TestOutOfScopeDeleteIsNotFoundAndUnaudited(t *testing.T) {
	svc, orgs := newService(t)
	ctx, note := audit.WithNote(context.Background(), domain.AuditEntry{})
	if err := svc.DeleteOrg(ctx, admin, "oB"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if e, _ := note.Entry(); e.ResourceID != "" {
		t.Fatalf("a foreign org was noted: %+v", e)
	}
	if err := svc.DeleteOrg(ctx, admin, "oA"); err != nil {
		t.Fatal(err)
	}
	if got := orgs.calls[len(orgs.calls)-1]; got != "delete oA" {
		t.Fatalf("last call %q", got)
	}
}

func TestOnlyThePlatformOwnerCreatesPartners(t *testing.T) {
	svc, _ := newService(t)
	// Partners() is nil: reaching the store would panic.
	err := svc.CreatePartner(context.Background(), admin, &domain.Partner{Name: "New MSP"})
	if !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
}

func TestCreateDefaultsToTheCallersPartnerAndIsAudited(t *testing.T) {
	svc, _ := newService(t)
	ctx, note := audit.WithNote(context.Background(), domain.AuditEntry{})
	o := &domain.Organization{Name: "New customer"}
	if err := svc.CreateOrg(ctx, admin, o); err != nil {
		t.Fatal(err)
	}
	if e, _ := note.Entry(); o.PartnerID != "p1" || e.ResourceType != tenancy.ResourceOrg || e.ResourceID != "oNew" || e.PartnerID != "p1" {
		t.Fatalf("org %+v, audit note %+v", o, e)
	}
}

func TestCreatePreconditions(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	if err := svc.CreateSite(ctx, admin, &domain.Site{Name: "HQ"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("site without org: %v", err)
	}
	if err := svc.CreateGroup(ctx, admin, &domain.DeviceGroup{Name: "G"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("group without org or site: %v", err)
	}
}
