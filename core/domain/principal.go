package domain

// PrincipalKind says how a caller authenticated.
type PrincipalKind string

const (
	PrincipalUser   PrincipalKind = "user"
	PrincipalAPIKey PrincipalKind = "api_key"
	PrincipalSystem PrincipalKind = "system"
)

// Principal is an authenticated caller with its grants, computed once per
// request. Store calls take ScopeFor(the permission the route needs), so a
// viewer grant on org B lets the caller read B but never write it.
type Principal struct {
	Kind      PrincipalKind
	UserID    string // the user, or the API key's owner
	APIKeyID  string // set for API keys
	SessionID string // the refresh family behind an access token
	PartnerID string // the user's home partner
	Email     string
	Grants    []Grant
	// MustEnrollTOTP: the partner requires a second factor this user lacks;
	// the edge opens only enrolment, /me and logout until it is done.
	MustEnrollTOTP bool
}

// ScopeFor returns the union of the units of every grant holding perm.
func (p *Principal) ScopeFor(perm Permission) Scope {
	var s Scope
	for i := range p.Grants {
		g := &p.Grants[i]
		if !contains(g.Permissions, perm) {
			continue
		}
		u := g.Assignment.Unit()
		s.Global = s.Global || u.Global
		s.PartnerIDs = appendNew(s.PartnerIDs, u.PartnerIDs...)
		s.OrgIDs = appendNew(s.OrgIDs, u.OrgIDs...)
		s.SiteIDs = appendNew(s.SiteIDs, u.SiteIDs...)
	}
	return s
}

// Can reports whether any grant holds perm, anywhere.
func (p *Principal) Can(perm Permission) bool { return !p.ScopeFor(perm).Empty() }

// Permissions returns every permission the principal holds somewhere, sorted.
func (p *Principal) Permissions() []Permission {
	var out []Permission
	for _, perm := range AllPermissions() {
		if p.Can(perm) {
			out = append(out, perm)
		}
	}
	return out
}

// Unit is a scope unit identified with its ancestors, so coverage can be
// decided without another lookup.
type Unit struct {
	PartnerID, OrgID, SiteID string // empty PartnerID: global
}

// CoveredBy reports whether scope s covers the unit.
func (u Unit) CoveredBy(s Scope) bool {
	switch {
	case u.PartnerID == "":
		return s.Global
	case u.OrgID == "":
		return s.CoversPartner(u.PartnerID)
	case u.SiteID == "":
		return s.CoversOrg(u.PartnerID, u.OrgID)
	}
	return s.CoversSite(u.PartnerID, u.OrgID, u.SiteID)
}

// HoldsAt reports whether the principal holds every perm over the whole unit:
// the rule "no one grants, or mints a key with, more than they hold".
func (p *Principal) HoldsAt(u Unit, perms ...Permission) bool {
	for _, perm := range perms {
		if !u.CoveredBy(p.ScopeFor(perm)) {
			return false
		}
	}
	return true
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if !contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
