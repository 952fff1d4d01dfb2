package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

func testPagination(t *testing.T, st ports.Store) {
	const n = 7
	t.Run("Partners", func(t *testing.T) {
		var ids []string
		for range n {
			ids = append(ids, newPartner(t, st).ID)
		}
		checkPaging(t, st, domain.Scope{PartnerIDs: ids}, kindPartner, ref{}, ids)
	})
	t.Run("Orgs", func(t *testing.T) {
		p := newPartner(t, st)
		var ids []string
		for range n {
			ids = append(ids, newOrg(t, st, p.ID).ID)
		}
		checkPaging(t, st, global, kindOrg, ref{PartnerID: p.ID}, ids)
		checkPaging(t, st, domain.Scope{PartnerIDs: []string{p.ID}}, kindOrg, ref{}, ids)
	})
	t.Run("Sites", func(t *testing.T) {
		c := newChain(t, st)
		ids := []string{c.site.ID}
		for range n - 1 {
			ids = append(ids, newSite(t, st, c.org.ID).ID)
		}
		checkPaging(t, st, global, kindSite, ref{OrgID: c.org.ID}, ids)
		checkPaging(t, st, domain.Scope{OrgIDs: []string{c.org.ID}}, kindSite, ref{}, ids)
	})
	t.Run("Groups", func(t *testing.T) {
		c := newChain(t, st)
		var ids []string
		for i := range n {
			site := c.site.ID
			if i%2 == 0 {
				site = "" // mix org-wide and site groups
			}
			ids = append(ids, newGroup(t, st, c.org.ID, site).ID)
		}
		checkPaging(t, st, global, kindGroup, ref{OrgID: c.org.ID}, ids)
		checkPaging(t, st, domain.Scope{OrgIDs: []string{c.org.ID}}, kindGroup, ref{}, ids)
	})
	t.Run("Devices", func(t *testing.T) {
		c := newChain(t, st)
		var ids []string
		for range n {
			ids = append(ids, newDevice(t, st, c.site.ID, "").ID)
		}
		checkPaging(t, st, c.scope(), kindDevice, ref{}, ids)
		checkPaging(t, st, global, kindDevice, ref{SiteID: c.site.ID}, ids)
		checkPaging(t, st, domain.Scope{SiteIDs: []string{c.site.ID}}, kindDevice, ref{}, ids)
	})
	t.Run("DevicesDefaultAndMaximumLimit", func(t *testing.T) { pagingLimits(t, st) })
}

// page fetches one page and fails the test on error.
func page(t testing.TB, st ports.Store, sc domain.Scope, k kind, f ref, req domain.PageRequest) ([]string, string) {
	t.Helper()
	ids, next, err := list(t.Context(), st, sc, k, f, req)
	if err != nil {
		t.Fatalf("List %s %+v %+v: %v", k, f, req, err)
	}
	return ids, next
}

// checkPaging asserts the cursor rules on a list that holds exactly want
// (7 rows).
func checkPaging(t *testing.T, st ports.Store, sc domain.Scope, k kind, f ref, want []string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	if len(want) != 7 {
		panic("storetest: checkPaging expects 7 rows")
	}
	ctx := t.Context()

	t.Run("Limit3", func(t *testing.T) {
		var all []string
		cursor := ""
		sizes := []int{3, 3, 1}
		for i, size := range sizes {
			ids, next := page(t, st, sc, k, f, domain.PageRequest{Limit: 3, Cursor: cursor})
			if len(ids) != size {
				t.Fatalf("page %d: %d items %v, want %d", i+1, len(ids), ids, size)
			}
			last := i == len(sizes)-1
			if last && next != "" {
				t.Errorf("page %d is the last: NextCursor = %q, want empty", i+1, next)
			}
			if !last && next == "" {
				t.Fatalf("page %d: NextCursor empty before the end", i+1)
			}
			all = append(all, ids...)
			cursor = next
		}
		wantIDs(t, "pages concatenated", all, want)
	})
	t.Run("LimitEqualToTotalEndsInOnePage", func(t *testing.T) {
		ids, next := page(t, st, sc, k, f, domain.PageRequest{Limit: 7})
		wantIDs(t, "page", ids, want)
		if next != "" {
			t.Errorf("NextCursor = %q on a page that ends the list, want empty", next)
		}
	})
	t.Run("ExactMultipleOfLimit", func(t *testing.T) {
		ids, next := page(t, st, sc, k, f, domain.PageRequest{Limit: 6})
		wantIDs(t, "first page", ids, want[:6])
		if next == "" {
			t.Fatal("NextCursor empty with one row left")
		}
		ids, next = page(t, st, sc, k, f, domain.PageRequest{Limit: 6, Cursor: next})
		wantIDs(t, "second page", ids, want[6:])
		if next != "" {
			t.Errorf("NextCursor = %q on the last page, want empty", next)
		}
	})
	for _, limit := range []int{0, -1, domain.MaxPageSize, domain.MaxPageSize + 1000} {
		t.Run(fmt.Sprintf("Limit%dReturnsAll", limit), func(t *testing.T) {
			ids, next := page(t, st, sc, k, f, domain.PageRequest{Limit: limit})
			wantIDs(t, "page", ids, want)
			if next != "" {
				t.Errorf("NextCursor = %q, want empty", next)
			}
		})
	}
	t.Run("CursorResumesAfterItsID", func(t *testing.T) {
		ids, next := page(t, st, sc, k, f, domain.PageRequest{Cursor: domain.EncodeCursor(want[2])})
		wantIDs(t, "after the 3rd id", ids, want[3:])
		if next != "" {
			t.Errorf("NextCursor = %q, want empty", next)
		}
		ids, next = page(t, st, sc, k, f, domain.PageRequest{Cursor: domain.EncodeCursor(want[6])})
		if len(ids) != 0 || next != "" {
			t.Errorf("after the last id: %v, %q; want no items, empty cursor", ids, next)
		}
		ids, _ = page(t, st, sc, k, f, domain.PageRequest{Cursor: domain.EncodeCursor(domain.NewID())})
		if len(ids) != 0 {
			t.Errorf("after an id newer than every row: %v, want none", ids)
		}
		ids, _ = page(t, st, sc, k, f, domain.PageRequest{Cursor: domain.EncodeCursor("00000000-0000-0000-0000-000000000000")})
		wantIDs(t, "after the nil UUID", ids, want)
	})
	t.Run("MalformedCursorIsInvalid", func(t *testing.T) {
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, c := range []string{
			"!!!", "not a cursor", "id:" + want[0], domain.EncodeCursor("abc"), domain.EncodeCursor(""),
			domain.EncodeCursor(strings.ToUpper(want[0])), b64("foo"), b64("id:" + want[0] + "' OR '1'='1"),
			b64("id:'; DROP TABLE devices; --"), base64.StdEncoding.EncodeToString([]byte("id:" + want[0] + "?")),
		} {
			_, _, err := list(ctx, st, sc, k, f, domain.PageRequest{Limit: 3, Cursor: c})
			wantIs(t, fmt.Sprintf("cursor %q", c), err, domain.ErrInvalid)
		}
	})
}

// pagingLimits needs more rows than a default page and than the maximum.
func pagingLimits(t *testing.T, st ports.Store) {
	c := newChain(t, st)
	n := domain.MaxPageSize + 1
	want := make([]string, 0, n)
	err := st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
		for range n {
			d := deviceIn(c.site.ID, "")
			if err := tx.Devices().Create(ctx, global, d); err != nil {
				return err
			}
			want = append(want, d.ID)
		}
		return nil
	})
	must(t, "seed devices", err)
	slices.Sort(want)
	sc := c.scope()

	ids, next := page(t, st, sc, kindDevice, ref{}, domain.PageRequest{})
	wantIDs(t, "Limit 0 page", ids, want[:domain.DefaultPageSize])
	if next == "" {
		t.Error("Limit 0: NextCursor empty although rows remain")
	}
	ids, next = page(t, st, sc, kindDevice, ref{}, domain.PageRequest{Limit: domain.MaxPageSize * 10})
	wantIDs(t, "Limit above the maximum", ids, want[:domain.MaxPageSize])
	if next == "" {
		t.Fatal("Limit above the maximum: NextCursor empty although a row remains")
	}
	ids, next = page(t, st, sc, kindDevice, ref{}, domain.PageRequest{Limit: domain.MaxPageSize * 10, Cursor: next})
	wantIDs(t, "last page", ids, want[domain.MaxPageSize:])
	if next != "" {
		t.Errorf("last page: NextCursor = %q, want empty", next)
	}
}
