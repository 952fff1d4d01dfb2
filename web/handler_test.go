package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>`

func testDist() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                 {Data: []byte(indexHTML)},
		"assets/index-AbC123.js":     {Data: []byte(strings.Repeat("console.log('breeze');\n", 100))},
		"assets/index-DeF456.css":    {Data: []byte("body{color:red}")},
		"assets/font-XyZ789.woff2":   {Data: []byte{0x77, 0x4f, 0x46, 0x32}},
		"favicon.svg":                {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"assets/_plugin-helper-1.js": {Data: []byte("export{}")},
	}
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestFallbackWhenNotBuilt(t *testing.T) {
	h := newHandler(nil)
	for _, p := range []string{"/", "/devices", "/devices/0190e4c4-0000-7000-8000-000000000001", "/login"} {
		rec := get(t, h, http.MethodGet, p, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200", p, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: content type %q", p, ct)
		}
		if !strings.Contains(rec.Body.String(), "make web") {
			t.Fatalf("GET %s: fallback page does not say how to build: %q", p, rec.Body.String())
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("GET %s: fallback must not be cached, Cache-Control %q", p, cc)
		}
	}
	// A missing asset is a 404 even in fallback mode.
	if rec := get(t, h, http.MethodGet, "/assets/index-AbC123.js", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("missing asset in fallback mode: status %d, want 404", rec.Code)
	}
}

func TestBuiltFSMatchesEmbeddedState(t *testing.T) {
	// Whatever this checkout holds, Handler must answer / with a page: the
	// build when web/dist has one, the fallback otherwise.
	rec := get(t, Handler(), http.MethodGet, "/", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if builtFS() == nil && !strings.Contains(rec.Body.String(), "make web") {
		t.Fatalf("no build embedded, yet / is not the fallback page")
	}
	if builtFS() == nil {
		return
	}
	if !strings.Contains(rec.Body.String(), `id="root"`) {
		t.Fatalf("a build is embedded, yet / is not its index.html")
	}
	// Every file index.html references is served, with its type.
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(rec.Body.String(), -1)
	if len(refs) == 0 {
		t.Fatalf("index.html references no file")
	}
	for _, m := range refs {
		a := get(t, Handler(), http.MethodGet, m[1], map[string]string{"Accept-Encoding": "gzip"})
		if a.Code != http.StatusOK || a.Header().Get("Content-Type") != contentType(m[1]) {
			t.Fatalf("GET %s: status %d, type %q", m[1], a.Code, a.Header().Get("Content-Type"))
		}
	}
}

func TestServesAssetsWithTypesAndImmutableCaching(t *testing.T) {
	h := newHandler(testDist())
	cases := []struct{ path, ctype, cache string }{
		{"/assets/index-AbC123.js", "text/javascript; charset=utf-8", cacheImmutable},
		{"/assets/index-DeF456.css", "text/css; charset=utf-8", cacheImmutable},
		{"/assets/font-XyZ789.woff2", "font/woff2", cacheImmutable},
		{"/assets/_plugin-helper-1.js", "text/javascript; charset=utf-8", cacheImmutable},
		{"/favicon.svg", "image/svg+xml", cacheRevalidate},
		{"/", "text/html; charset=utf-8", cacheRevalidate},
		{"/index.html", "text/html; charset=utf-8", cacheRevalidate},
	}
	for _, c := range cases {
		rec := get(t, h, http.MethodGet, c.path, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", c.path, rec.Code)
		}
		if got := rec.Header().Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: content type %q, want %q", c.path, got, c.ctype)
		}
		if got := rec.Header().Get("Cache-Control"); got != c.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", c.path, got, c.cache)
		}
		if rec.Header().Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", c.path)
		}
	}
	rec := get(t, h, http.MethodGet, "/assets/index-AbC123.js", nil)
	if want := string(testDist()["assets/index-AbC123.js"].Data); rec.Body.String() != want {
		t.Fatalf("asset body differs from the file")
	}
}

func TestSPAFallbackServesIndexForPages(t *testing.T) {
	h := newHandler(testDist())
	for _, p := range []string{"/devices", "/devices/0190e4c4-0000-7000-8000-000000000001", "/settings/users/", "/a/../login", "/apix", "/metricsboard", "/healthzz"} {
		rec := get(t, h, http.MethodGet, p, nil)
		if rec.Code != http.StatusOK || rec.Body.String() != indexHTML {
			t.Fatalf("GET %s: status %d, body %.60q; want index.html", p, rec.Code, rec.Body.String())
		}
		if cc := rec.Header().Get("Cache-Control"); cc != cacheRevalidate {
			t.Fatalf("GET %s: index.html Cache-Control %q", p, cc)
		}
	}
}

func TestServerPathsAndMissingFilesAreNotSwallowed(t *testing.T) {
	for name, h := range map[string]*handler{"built": newHandler(testDist()), "fallback": newHandler(nil)} {
		server := []string{
			"/api", "/api/", "/api/v1/devices", "/api/v1/openapi.json", "/api/v1/nope",
			"/healthz", "/readyz", "/metrics", "/downloads/breeze-agent-linux-amd64", "/downloads",
			"/x/../api/v1/me", "//api/v1/me",
		}
		missing := []string{"/assets/missing-123.js", "/assets/", "/robots.txt", "/favicon.ico"}
		for _, p := range append(server, missing...) {
			methods := []string{http.MethodGet}
			if !strings.HasPrefix(p, "/assets") && !strings.Contains(p, ".") {
				methods = append(methods, http.MethodPost, http.MethodDelete)
			}
			for _, m := range methods {
				rec := get(t, h, m, p, nil)
				if rec.Code != http.StatusNotFound {
					t.Fatalf("%s: %s %s: status %d, want 404", name, m, p, rec.Code)
				}
				if strings.Contains(rec.Body.String(), "<html") {
					t.Fatalf("%s: %s %s: answered with HTML", name, m, p)
				}
			}
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := newHandler(testDist())
	rec := get(t, h, http.MethodPost, "/devices", nil)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST /devices: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	head := get(t, h, http.MethodHead, "/assets/index-AbC123.js", nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Fatalf("HEAD: status %d, body %d bytes, length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
}

func TestGzipAndConditionalRequests(t *testing.T) {
	h := newHandler(testDist())
	want := testDist()["assets/index-AbC123.js"].Data

	rec := get(t, h, http.MethodGet, "/assets/index-AbC123.js", map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip not served: encoding %q vary %q", rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("gzip body does not decode to the file (err %v)", err)
	}
	if rec.Body.Len() >= len(want) {
		t.Fatalf("gzip body (%d) not smaller than the file (%d)", rec.Body.Len(), len(want))
	}

	refused := get(t, h, http.MethodGet, "/assets/index-AbC123.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if refused.Header().Get("Content-Encoding") != "" || !bytes.Equal(refused.Body.Bytes(), want) {
		t.Fatalf("gzip;q=0 still got gzip")
	}

	plain := get(t, h, http.MethodGet, "/assets/index-AbC123.js", nil)
	etag := plain.Header().Get("ETag")
	if etag == rec.Header().Get("ETag") {
		t.Fatalf("plain and gzip variants share an ETag %s", etag)
	}
	nm := get(t, h, http.MethodGet, "/assets/index-AbC123.js", map[string]string{"If-None-Match": etag})
	if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
		t.Fatalf("If-None-Match: status %d, %d bytes", nm.Code, nm.Body.Len())
	}
	other := get(t, h, http.MethodGet, "/assets/index-AbC123.js", map[string]string{"If-None-Match": `"nope"`})
	if other.Code != http.StatusOK {
		t.Fatalf("non-matching If-None-Match: status %d", other.Code)
	}
}

func TestIsServerPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/api/v1/devices": true, "/api": true, "/healthz": true, "/readyz": true, "/metrics": true,
		"/downloads/breeze-agent-linux-amd64": true, "/x/../api/v1/me": true, "api/v1/me": true,
		"/": false, "/devices": false, "/apix": false, "/assets/index-1.js": false, "/metricsboard": false,
	} {
		if got := IsServerPath(p); got != want {
			t.Errorf("IsServerPath(%q) = %v, want %v", p, got, want)
		}
	}
}
