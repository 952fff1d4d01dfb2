// Package pluginstest builds the first-party plugins, packs them into
// archives (signed or not) and serves them as the server's archive route
// does, for the agent's plugin tests.
package pluginstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// Archive is a packed plugin.
type Archive struct {
	ID, Version, Kind string
	Data              []byte
	SHA256            string // hex, of Data
}

// pluginsDir is the repository's plugins/ directory.
func pluginsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "plugins")
}

// Pack builds plugins/<name> for this platform, lays it out as its
// manifest says (this platform only) and packs it, signed with key (nil:
// unsigned).
func Pack(tb testing.TB, name string, key ed25519.PrivateKey) Archive {
	tb.Helper()
	src := filepath.Join(pluginsDir(), name)
	m, _, err := manifest.Load(src)
	if err != nil {
		tb.Fatalf("pluginstest: %v", err)
	}
	plat := manifest.Platform()
	exe, ok := m.Executables[plat]
	if !ok {
		tb.Fatalf("pluginstest: %s has no executable for %s", name, plat)
	}
	dir := tb.TempDir()
	bin := filepath.Join(dir, filepath.FromSlash(exe.Path))
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("pluginstest: go build %s: %v\n%s", name, err, out)
	}
	m.Executables = map[string]manifest.Executable{plat: {Path: exe.Path}}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), mb, 0o644); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := pack.Pack(dir, key, &buf); err != nil {
		tb.Fatalf("pluginstest: pack %s: %v", name, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Archive{ID: m.ID, Version: m.Version, Kind: string(m.Kind), Data: buf.Bytes(), SHA256: hex.EncodeToString(sum[:])}
}

var (
	cacheMu sync.Mutex
	cache   = map[string]Archive{}
)

// Cached is Pack once per name and key for the whole test binary (go
// build and pack take a second or two each).
func Cached(tb testing.TB, name string, key ed25519.PrivateKey) Archive {
	tb.Helper()
	k := name + "/" + hex.EncodeToString(key)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if a, ok := cache[k]; ok {
		return a
	}
	a := Pack(tb, name, key) // only the bytes are kept
	cache[k] = a
	return a
}

// Server serves archives at the agent archive route with bearer auth.
type Server struct {
	*httptest.Server
	Device, Token string

	mu       sync.Mutex
	archives map[string][]byte // plugin id → bytes served
	requests map[string]int
}

// NewServer starts a server; mux, when given, gets the archive route added
// (so a test's link endpoint can share it).
func NewServer(tb testing.TB, device, token string, mux *http.ServeMux) *Server {
	s := &Server{Device: device, Token: token, archives: map[string][]byte{}, requests: map[string]int{}}
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.HandleFunc("GET /api/v1/agents/{id}/plugins/{plugin}/archive", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.PathValue("id") != device {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		data, ok := s.archives[r.PathValue("plugin")]
		s.requests[r.PathValue("plugin")]++
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256(data)
		w.Header().Set("X-Content-SHA256", hex.EncodeToString(sum[:]))
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(data)
	})
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// Offer serves a's bytes (or served, when not nil: a tampered copy) and
// returns the offer for a.
func (s *Server) Offer(a Archive, served []byte) protocol.PluginOffer {
	if served == nil {
		served = a.Data
	}
	s.mu.Lock()
	s.archives[a.ID] = served
	s.mu.Unlock()
	return protocol.PluginOffer{ID: a.ID, Version: a.Version, Kind: a.Kind, SHA256: a.SHA256, Size: int64(len(a.Data)),
		ArchivePath: fmt.Sprintf("/api/v1/agents/%s/plugins/%s/archive", s.Device, a.ID)}
}

// Requests counts the downloads of plugin id.
func (s *Server) Requests(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[id]
}

// Tamper rewrites a's archive with the executable's last byte flipped and
// the signed manifest left as it was, and returns it re-hashed (a server
// that serves what it was given, altered after signing).
func Tamper(tb testing.TB, a Archive) Archive {
	tb.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(a.Data))
	if err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			tb.Fatal(err)
		}
		if hdr.Mode&0o111 != 0 && len(body) > 0 {
			body[len(body)-1] ^= 0xff
		}
		if err := tw.WriteHeader(hdr); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(out.Bytes())
	a.Data, a.SHA256 = out.Bytes(), hex.EncodeToString(sum[:])
	return a
}

// BuildDir builds plugins/<name> for this platform into dir as an author's
// working directory holds it (plugin dev mode): plugin.json naming only
// this platform's executable, no hashes, no signature. buildID makes each
// build a different binary (a rebuild).
func BuildDir(tb testing.TB, dir, name, buildID string) {
	tb.Helper()
	src := filepath.Join(pluginsDir(), name)
	m, _, err := manifest.Load(src)
	if err != nil {
		tb.Fatalf("pluginstest: %v", err)
	}
	plat := manifest.Platform()
	exe, ok := m.Executables[plat]
	if !ok {
		tb.Fatalf("pluginstest: %s has no executable for %s", name, plat)
	}
	cmd := exec.Command("go", "build", "-ldflags=-buildid="+buildID, "-o", filepath.Join(dir, filepath.FromSlash(exe.Path)), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("pluginstest: go build %s: %v\n%s", name, err, out)
	}
	m.Executables = map[string]manifest.Executable{plat: {Path: exe.Path}}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), mb, 0o644); err != nil {
		tb.Fatal(err)
	}
}
