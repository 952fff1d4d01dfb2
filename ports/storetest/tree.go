package storetest

import (
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// node is one row of the two-partner tree, with its ancestors' ids.
type node struct {
	label                        string
	kind                         kind
	id                           string
	partner, org, site, group    string // ancestor ids; "" where none
	pLabel, oLabel, sLabel, gLab string // ancestor labels, for messages
}

// ref returns the ancestor id a filter field would compare.
func (n *node) ref(field string) string {
	switch field {
	case "PartnerID":
		return n.partner
	case "OrgID":
		return n.org
	case "SiteID":
		return n.site
	case "GroupID":
		return n.group
	}
	panic("storetest: unknown filter field " + field)
}

// tree is two partners with everything below them:
//
//	P1 ─ A ─ S1 ─ G1, D1 (in G1), D1w (in GA)
//	   │   ├ S2 ─ G2, D2 (in G2)
//	   │   └ GA (org-wide)
//	   └ B ─ S3 ─ G3, D3 (in G3)
//	P2 ─ C ─ S4 ─ G4, D4 (in G4), D4n (no group)
//	       └ GC (org-wide)
type tree struct {
	nodes   []*node
	byLabel map[string]*node
	byID    map[string]string // id → label
}

func (tr *tree) id(label string) string {
	n, ok := tr.byLabel[label]
	if !ok {
		panic("storetest: no node " + label)
	}
	return n.id
}

func (tr *tree) ids(labels ...string) []string {
	out := make([]string, 0, len(labels))
	for _, l := range labels {
		out = append(out, tr.id(l))
	}
	return out
}

func (tr *tree) add(n *node) {
	tr.nodes = append(tr.nodes, n)
	tr.byLabel[n.label] = n
	tr.byID[n.id] = n.label
}

func (tr *tree) of(k kind) []*node {
	var out []*node
	for _, n := range tr.nodes {
		if n.kind == k {
			out = append(out, n)
		}
	}
	return out
}

func buildTree(t testing.TB, st ports.Store) *tree {
	t.Helper()
	tr := &tree{byLabel: map[string]*node{}, byID: map[string]string{}}
	partner := func(l string) {
		tr.add(&node{label: l, kind: kindPartner, id: newPartner(t, st).ID})
	}
	org := func(l, p string) {
		pn := tr.byLabel[p]
		tr.add(&node{label: l, kind: kindOrg, id: newOrg(t, st, pn.id).ID, partner: pn.id, pLabel: p})
	}
	site := func(l, o string) {
		on := tr.byLabel[o]
		tr.add(&node{label: l, kind: kindSite, id: newSite(t, st, on.id).ID,
			partner: on.partner, org: on.id, pLabel: on.pLabel, oLabel: o})
	}
	group := func(l, o, s string) {
		on := tr.byLabel[o]
		n := &node{label: l, kind: kindGroup, partner: on.partner, org: on.id, pLabel: on.pLabel, oLabel: o}
		if s != "" {
			n.site, n.sLabel = tr.id(s), s
		}
		n.id = newGroup(t, st, on.id, n.site).ID
		tr.add(n)
	}
	device := func(l, s, g string) {
		sn := tr.byLabel[s]
		n := &node{label: l, kind: kindDevice, partner: sn.partner, org: sn.org, site: sn.id,
			pLabel: sn.pLabel, oLabel: sn.oLabel, sLabel: s}
		if g != "" {
			n.group, n.gLab = tr.id(g), g
		}
		n.id = newDevice(t, st, sn.id, n.group).ID
		tr.add(n)
	}
	partner("P1")
	partner("P2")
	org("A", "P1")
	org("B", "P1")
	org("C", "P2")
	site("S1", "A")
	site("S2", "A")
	site("S3", "B")
	site("S4", "C")
	group("GA", "A", "")
	group("G1", "A", "S1")
	group("G2", "A", "S2")
	group("G3", "B", "S3")
	group("G4", "C", "S4")
	group("GC", "C", "")
	device("D1", "S1", "G1")
	device("D1w", "S1", "GA")
	device("D2", "S2", "G2")
	device("D3", "S3", "G3")
	device("D4", "S4", "G4")
	device("D4n", "S4", "")
	return tr
}

// access is what a scope may do with one row of the tree.
type access int

const (
	foreign  access = iota // invisible: reads ErrNotFound, writes ErrNotFound
	full                   // read and write
	readOnly               // read, but writes ErrNotFound (a site holder's org)
	maybe                  // the contract does not say whether it is readable; never writable
)

func (a access) String() string {
	return [...]string{"foreign", "covered", "read-only", "unspecified-read"}[a]
}

// scopeCase is one caller of the scoping matrix.
type scopeCase struct {
	name                  string
	scope                 func(tr *tree) domain.Scope
	full, readOnly, maybe []string
}

func (c scopeCase) access(label string) access {
	for _, set := range []struct {
		labels []string
		a      access
	}{{c.full, full}, {c.readOnly, readOnly}, {c.maybe, maybe}} {
		for _, l := range set.labels {
			if l == label {
				return set.a
			}
		}
	}
	return foreign
}

var allLabels = []string{"P1", "P2", "A", "B", "C", "S1", "S2", "S3", "S4", "GA", "G1", "G2", "G3", "G4", "GC", "D1", "D1w", "D2", "D3", "D4", "D4n"}

func scopeCases() []scopeCase {
	return []scopeCase{
		{name: "Global", scope: func(*tree) domain.Scope { return global }, full: allLabels},
		{
			name:  "PartnerP1",
			scope: func(tr *tree) domain.Scope { return domain.Scope{PartnerIDs: tr.ids("P1")} },
			full:  []string{"P1", "A", "B", "S1", "S2", "S3", "GA", "G1", "G2", "G3", "D1", "D1w", "D2", "D3"},
		},
		{
			name:  "OrgA",
			scope: func(tr *tree) domain.Scope { return domain.Scope{OrgIDs: tr.ids("A")} },
			full:  []string{"A", "S1", "S2", "GA", "G1", "G2", "D1", "D1w", "D2"},
			maybe: []string{"P1"},
		},
		{
			name:     "SiteS1",
			scope:    func(tr *tree) domain.Scope { return domain.Scope{SiteIDs: tr.ids("S1")} },
			full:     []string{"S1", "G1", "D1", "D1w"},
			readOnly: []string{"A"},
			maybe:    []string{"P1", "GA"},
		},
		{
			name: "OrgCAndSiteS3",
			scope: func(tr *tree) domain.Scope {
				return domain.Scope{OrgIDs: tr.ids("C"), SiteIDs: tr.ids("S3")}
			},
			full:     []string{"C", "S4", "G4", "GC", "D4", "D4n", "S3", "G3", "D3"},
			readOnly: []string{"B"},
			maybe:    []string{"P1", "P2"},
		},
		{
			name:     "SitesOfTwoPartners",
			scope:    func(tr *tree) domain.Scope { return domain.Scope{SiteIDs: tr.ids("S2", "S4")} },
			full:     []string{"S2", "G2", "D2", "S4", "G4", "D4", "D4n"},
			readOnly: []string{"A", "C"},
			maybe:    []string{"P1", "P2", "GA", "GC"},
		},
		{name: "Empty", scope: func(*tree) domain.Scope { return domain.Scope{} }},
		{
			name: "MalformedIDs",
			scope: func(*tree) domain.Scope {
				return domain.Scope{
					PartnerIDs: []string{"", "' OR '1'='1", "*"},
					OrgIDs:     []string{"abc", "%", "NULL"},
					SiteIDs:    []string{"'; DROP TABLE sites; --", "_"},
				}
			},
		},
		{
			// Ids of the right rows at the wrong level must not grant anything.
			name: "IDsAtTheWrongLevel",
			scope: func(tr *tree) domain.Scope {
				return domain.Scope{
					PartnerIDs: tr.ids("A", "S1", "G1", "D1"),
					OrgIDs:     tr.ids("P1", "S1", "GA", "D1"),
					SiteIDs:    tr.ids("P1", "A", "G1", "GA", "D1"),
				}
			},
		},
		{
			name: "UnknownIDs",
			scope: func(*tree) domain.Scope {
				return domain.Scope{PartnerIDs: []string{domain.NewID()}, OrgIDs: []string{domain.NewID()}, SiteIDs: []string{domain.NewID()}}
			},
		},
	}
}
