package httpapi

import (
	"net/http"
	"strings"
)

// serverPrefixes are answered by the server's own routes, never by the
// dashboard: an unknown /api path must stay a JSON 404, not an HTML page.
var serverPrefixes = []string{"/api/", "/downloads/"}

var serverPaths = map[string]bool{"/api": true, "/healthz": true, "/readyz": true, "/metrics": true, "/downloads": true}

// isPagePath reports whether r asks for a dashboard page or asset.
func isPagePath(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if serverPaths[p] {
		return false
	}
	for _, pre := range serverPrefixes {
		if strings.HasPrefix(p, pre) {
			return false
		}
	}
	return true
}
