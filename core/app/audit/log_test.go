package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// scopes records the scope of each List; other methods are nil and panic.
type scopes struct {
	ports.AuditStore
	got []domain.Scope
}

func (s *scopes) List(_ context.Context, sc domain.Scope, _ ports.AuditFilter, _ domain.PageRequest) (domain.Page[*domain.AuditEntry], error) {
	s.got = append(s.got, sc)
	return domain.Page[*domain.AuditEntry]{}, nil
}

func TestLogListsInTheAuditReadScopeOnly(t *testing.T) {
	st := &scopes{}
	log, err := audit.NewLog(audit.LogDeps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	p := &domain.Principal{Grants: []domain.Grant{
		{Assignment: domain.RoleAssignment{PartnerID: "p1", OrgID: "oA"}, Permissions: []domain.Permission{domain.PermAuditRead}},
		{Assignment: domain.RoleAssignment{PartnerID: "p1", OrgID: "oB"}, Permissions: []domain.Permission{domain.PermDevicesRead}},
	}}
	ctx := context.Background()
	now := time.Now()
	if _, err := log.List(ctx, p, ports.AuditFilter{From: now, To: now}, domain.PageRequest{}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("an empty window: err = %v, want ErrInvalid", err)
	}
	if len(st.got) != 0 {
		t.Fatal("an invalid window reached the store")
	}
	if _, err := log.List(ctx, p, ports.AuditFilter{}, domain.PageRequest{}); err != nil {
		t.Fatal(err)
	}
	if len(st.got) != 1 || !st.got[0].CoversOrg("p1", "oA") || st.got[0].CoversOrg("p1", "oB") {
		t.Fatalf("scope = %+v, want org oA only", st.got)
	}
}
