package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// Handler serves the embedded dashboard:
//   - files of the build with their content type; Vite's content-hashed
//     files under /assets/ are cached for a year (immutable), everything else
//     is revalidated with an ETag; compressible files are gzipped once when
//     the client accepts it;
//   - index.html for any other GET of a page path, so the client-side router
//     handles deep links such as /devices/ID;
//   - 404 for the server's own paths (/api/..., /healthz, /readyz, /metrics,
//     /downloads/...), a missing /assets/ file or a missing file name with an
//     extension: the caller's router (usually a NoRoute hook) decides those,
//     and a stale chunk never receives HTML.
//
// When the dashboard was never built it serves a page saying how to build it.
func Handler() http.Handler { return newHandler(builtFS()) }

// newHandler serves dist; nil dist serves the fallback page.
func newHandler(dist fs.FS) *handler {
	return &handler{dist: dist, cache: map[string]*asset{}}
}

type handler struct {
	dist fs.FS // nil: not built

	mu    sync.Mutex
	cache map[string]*asset // embedded files never change: read each once
}

// asset is one file ready to serve.
type asset struct {
	body, gz    []byte // gz is nil when compression would not help
	contentType string
	etag        string
}

// reserved are the server's own paths, never the dashboard's.
var reserved = []string{"/api", "/healthz", "/readyz", "/metrics", "/downloads"}

// IsServerPath reports whether a request path belongs to the server (the
// API, health, metrics, downloads) rather than the dashboard. A router's
// not-found hook can use it to answer those paths itself (with its JSON
// error) and hand every other path to Handler.
func IsServerPath(p string) bool { return isReserved(path.Clean("/" + p)) }

func isReserved(p string) bool {
	for _, r := range reserved {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	if isReserved(p) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if h.dist == nil {
		h.serveFallback(w, r, name)
		return
	}
	if name == "" {
		name = "index.html"
	}
	if a := h.load(h.dist, name); a != nil {
		cache := cacheRevalidate
		if strings.HasPrefix(name, "assets/") {
			cache = cacheImmutable
		}
		serve(w, r, a, cache)
		return
	}
	if looksLikeFile(name) {
		http.NotFound(w, r)
		return
	}
	if a := h.load(h.dist, "index.html"); a != nil {
		serve(w, r, a, cacheRevalidate)
		return
	}
	http.NotFound(w, r)
}

// serveFallback answers every page path with the "not built" page.
func (h *handler) serveFallback(w http.ResponseWriter, r *http.Request, name string) {
	if looksLikeFile(name) {
		http.NotFound(w, r)
		return
	}
	a := h.load(embedded, fallbackIndex)
	if a == nil { // the fallback is committed; its absence is a broken checkout
		http.Error(w, "dashboard not built: run `make web`", http.StatusServiceUnavailable)
		return
	}
	serve(w, r, a, "no-store") // show the real dashboard as soon as one is built
}

// looksLikeFile reports whether a missing path names a file rather than a
// page: anything under assets/, or a last segment with an extension.
func looksLikeFile(name string) bool {
	if name == "" {
		return false
	}
	if name == "assets" || strings.HasPrefix(name, "assets/") {
		return true
	}
	return strings.Contains(path.Base(name), ".")
}

// load reads name from fsys once and caches it; nil when it is not a
// regular file.
func (h *handler) load(fsys fs.FS, name string) *asset {
	if !fs.ValidPath(name) {
		return nil
	}
	// One handler reads either the build or the fallback, never both, so
	// the name alone is the key.
	h.mu.Lock()
	a, ok := h.cache[name]
	h.mu.Unlock()
	if ok {
		return a
	}
	// Read and compress outside the lock; two first requests may both do
	// it, and either result is the same.
	if a = readAsset(fsys, name); a != nil {
		h.mu.Lock()
		h.cache[name] = a
		h.mu.Unlock()
	}
	return a
}

func readAsset(fsys fs.FS, name string) *asset {
	st, err := fs.Stat(fsys, name)
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(body)
	a := &asset{body: body, contentType: contentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if compressible(a.contentType) && len(body) >= 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(body); err == nil && zw.Close() == nil && buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// serve writes a with its validators, answering 304 to a matching
// If-None-Match, and the gzip variant when the client accepts it.
func serve(w http.ResponseWriter, r *http.Request, a *asset, cacheControl string) {
	hd := w.Header()
	body, etag := a.body, a.etag
	if a.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", cacheControl)
	hd.Set("ETag", etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		hd.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring q=0 refusals.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}

// types pins the content types of what Vite emits, so they never depend on
// the host's mime tables.
var types = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".txt":         "text/plain; charset=utf-8",
	".wasm":        "application/wasm",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") ||
		strings.HasPrefix(ct, "image/svg") || strings.HasPrefix(ct, "application/wasm")
}
