package postgres

import (
	"strings"

	"github.com/breeze-rmm/breeze/core/domain"
)

// pageQueryDesc is pageQuery newest first: descending id, the cursor naming
// the last id of the previous page (UUIDv7 ids sort by creation).
func pageQueryDesc(page domain.PageRequest, a *args, where []string) (string, domain.PageRequest, error) {
	page = page.Normalize()
	before, err := domain.DecodeCursor(page.Cursor)
	if err != nil {
		return "", page, err
	}
	if before != "" {
		where = append(where, "id < "+a.add(before)+"::uuid")
	}
	return " WHERE " + strings.Join(where, " AND ") + " ORDER BY id DESC LIMIT " + a.add(page.Limit+1), page, nil
}
