// Package web holds the Breeze dashboard: a React single-page application
// built by Vite into web/dist and embedded in the server binary, and the
// http.Handler that serves it.
//
// The Go build never needs node: when web/dist was never built, the handler
// serves web/dist-fallback/index.html, a page that says how to build the
// dashboard (`make web`).
package web

import (
	"embed"
	"io/fs"
)

// The glob matches web/dist (the Vite build, gitignored) and
// web/dist-fallback (committed). A pattern naming dist alone would break the
// Go build whenever dist is absent, because go:embed refuses a pattern that
// matches nothing; dist-fallback guarantees this one always matches.
// all: keeps files whose names start with '_' or '.', which Vite may emit.
//
//go:embed all:dist*
var embedded embed.FS

// fallbackIndex is served for every page when the dashboard was not built.
const fallbackIndex = "dist-fallback/index.html"

// builtFS returns the Vite build, or nil when it is absent or has no
// index.html (a clone that never ran `make web`).
func builtFS() fs.FS {
	dist, err := fs.Sub(embedded, "dist")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(dist, "index.html"); err != nil {
		return nil
	}
	return dist
}
