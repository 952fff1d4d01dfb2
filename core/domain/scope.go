package domain

// Scope is the set of tenants a caller may see, computed once per request
// from the caller's role grants. Every store method that touches tenant data
// takes one and filters by it.
//
// Coverage is hierarchical: a partner covers its orgs, an org its sites, a
// site its groups and devices. Reading an org is also allowed to a caller
// holding one of its sites (so a site technician can name the customer).
type Scope struct {
	// Global is the platform owner: every partner. Only the bootstrap
	// operator and internal jobs get it.
	Global     bool
	PartnerIDs []string
	OrgIDs     []string
	SiteIDs    []string
}

// GlobalScope sees everything. Use it for system jobs, never for a request.
func GlobalScope() Scope { return Scope{Global: true} }

// Empty reports whether the scope covers nothing at all.
func (s Scope) Empty() bool {
	return !s.Global && len(s.PartnerIDs) == 0 && len(s.OrgIDs) == 0 && len(s.SiteIDs) == 0
}

// CoversPartner: the caller may act on the partner and everything below it.
func (s Scope) CoversPartner(partnerID string) bool {
	return s.Global || contains(s.PartnerIDs, partnerID)
}

// CoversOrg: the caller may act on the org and everything below it.
func (s Scope) CoversOrg(partnerID, orgID string) bool {
	return s.CoversPartner(partnerID) || contains(s.OrgIDs, orgID)
}

// CoversSite: the caller may act on the site and everything in it.
func (s Scope) CoversSite(partnerID, orgID, siteID string) bool {
	return s.CoversOrg(partnerID, orgID) || (siteID != "" && contains(s.SiteIDs, siteID))
}

// Within reports, from the ids alone, that everything s covers is covered
// by other too: each of its partners, orgs and sites is named by other at
// the same level (or other is global). It may say false for a scope that is
// covered through an ancestor; never true for one that is not.
func (s Scope) Within(other Scope) bool {
	if other.Global {
		return true
	}
	if s.Global {
		return false
	}
	return subset(s.PartnerIDs, other.PartnerIDs) && subset(s.OrgIDs, other.OrgIDs) && subset(s.SiteIDs, other.SiteIDs)
}

func subset(list, of []string) bool {
	for _, v := range list {
		if !contains(of, v) {
			return false
		}
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
