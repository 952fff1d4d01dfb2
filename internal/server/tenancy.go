package server

import (
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Tenancy is the REST edge's tenant-hierarchy and audit-log reading side.
type Tenancy struct {
	Service  *tenancy.Service
	AuditLog *audit.Log
}

// BuildTenancy builds the tenancy service and the audit-log reader over st;
// seeder gives each new organization its defaults (nil: none); rev hears
// access changes (Identity.Revocations); partnerRules hears a partner's
// mutual-TLS switch changed (nil: nobody).
func BuildTenancy(st ports.Store, seeder tenancy.OrgSeeder, rev domain.Revocations, partnerRules func()) (*Tenancy, error) {
	svc, err := tenancy.New(tenancy.Deps{Store: st, Seeder: seeder, Revocations: rev, PartnerRulesChanged: partnerRules})
	if err != nil {
		return nil, err
	}
	log, err := audit.NewLog(audit.LogDeps{Store: st.Audit()})
	if err != nil {
		return nil, err
	}
	return &Tenancy{Service: svc, AuditLog: log}, nil
}
