package postgres

import (
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
)

func TestScopeWhereBindsEveryID(t *testing.T) {
	p, o, s := domain.NewID(), domain.NewID(), domain.NewID()
	evil := "x') OR TRUE --"
	sc := domain.Scope{PartnerIDs: []string{p, evil}, OrgIDs: []string{o}, SiteIDs: []string{s}}
	var a args
	sql := tenantScope.where(sc, &a, "d.")
	for _, v := range []string{p, o, s, evil, "TRUE"} {
		if strings.Contains(sql, v) {
			t.Errorf("scope SQL %q contains %q: values must be bound", sql, v)
		}
	}
	if len(a) != 3 {
		t.Fatalf("bound %d parameters, want 3: %v", len(a), a)
	}
	if got, ok := a[0].(string); !ok || got != p {
		t.Errorf("partner id bound = %v; the malformed one must be dropped", a[0])
	}
	for _, want := range []string{"d.partner_id = $1", "d.org_id = $2", "d.site_id = $3"} {
		if !strings.Contains(sql, want) {
			t.Errorf("scope SQL %q lacks %q", sql, want)
		}
	}
}

func TestScopeWhereSeveralIDsUseAny(t *testing.T) {
	ids := []string{domain.NewID(), domain.NewID()}
	var a args
	sql := siteScope.where(domain.Scope{SiteIDs: ids}, &a, "")
	if sql != "(id = ANY($1::uuid[]))" || len(a) != 1 || len(a[0].([]string)) != 2 {
		t.Errorf("scope SQL = %q with %v", sql, a)
	}
}

func TestScopeWhereEdges(t *testing.T) {
	var a args
	if got := tenantScope.where(domain.GlobalScope(), &a, ""); got != "TRUE" || len(a) != 0 {
		t.Errorf("global scope = %q with %d args", got, len(a))
	}
	if got := tenantScope.where(domain.Scope{}, &a, ""); got != "FALSE" {
		t.Errorf("empty scope = %q", got)
	}
	// Only malformed ids: nothing is covered.
	if got := tenantScope.where(domain.Scope{OrgIDs: []string{"nope"}}, &a, ""); got != "FALSE" {
		t.Errorf("scope of malformed ids = %q", got)
	}
	// Partners have no org or site level: org and site grants cover no partner.
	sc := domain.Scope{OrgIDs: []string{domain.NewID()}, SiteIDs: []string{domain.NewID()}}
	if got := partnerScope.where(sc, &a, ""); got != "FALSE" {
		t.Errorf("partner scope for an org/site caller = %q", got)
	}
	// Orgs are readable through one of their sites, writable only at org level.
	a = nil
	if got := orgRead.where(sc, &a, ""); !strings.Contains(got, "IN (SELECT org_id FROM sites") {
		t.Errorf("org read scope = %q", got)
	}
	a = nil
	if got := orgWrite.where(sc, &a, ""); strings.Contains(got, "sites") || len(a) != 1 {
		t.Errorf("org write scope = %q with %d args", got, len(a))
	}
}

func TestLikePatternEscapesWildcards(t *testing.T) {
	cases := map[string]string{
		"web":     `%web%`,
		"50%":     `%50\%%`,
		"a_b":     `%a\_b%`,
		`c:\tmp`:  `%c:\\tmp%`,
		`\%_`:     `%\\\%\_%`,
		"Ünïcødé": "%Ünïcødé%",
	}
	for in, want := range cases {
		if got := likePattern(in); got != want {
			t.Errorf("likePattern(%q) = %q, want %q", in, got, want)
		}
	}
}
