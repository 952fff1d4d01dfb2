package plugincatalog_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	core "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// bigIndex writes a signed index of n plugins (3 versions, 4 platforms
// each) to the server's directory: the shape of a large community catalog.
func bigIndex(b testing.TB, cs *catalogServer, key ed25519.PrivateKey, n int) int {
	b.Helper()
	pub := key.Public().(ed25519.PublicKey)
	ix := catalog.Index{Format: catalog.FormatVersion, Name: "bench"}
	for i := range n {
		p := catalog.Plugin{ID: fmt.Sprintf("community.plugin-%04d", i), Name: fmt.Sprintf("Plugin %d", i), Kind: "collector",
			Description:    strings.Repeat("Collects something useful from the device. ", 4),
			PublisherKeyID: pack.KeyID(pub), PublisherKey: catalog.EncodeKey(pub)}
		for v := range 3 {
			p.Versions = append(p.Versions, catalog.Version{Version: fmt.Sprintf("1.%d.0", v),
				Platforms: []string{"darwin-arm64", "linux-amd64", "linux-arm64", "windows-amd64"},
				URL:       fmt.Sprintf("%s/community.plugin-%04d-1.%d.0.tar.gz", cs.URL, i, v),
				SHA256:    strings.Repeat("ab", 32), Size: 4 << 20})
		}
		ix.Plugins = append(ix.Plugins, p)
	}
	index, sig, err := catalog.Sign(&ix, key)
	if err != nil {
		b.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(cs.Dir, catalog.IndexFile), index, 0o644)
	_ = os.WriteFile(filepath.Join(cs.Dir, catalog.SignatureFile), sig, 0o644)
	return len(index)
}

// BenchmarkCatalogSync500: one sync of a 500-plugin catalog over local
// HTTPS (fetch, signature, parse and validation, the store's write), and
// one search of it (make bench-catalog).
func BenchmarkCatalogSync500(b *testing.B) {
	catPub, catKey, _ := pack.GenerateKey()
	cs := newCatalogServer(b)
	size := bigIndex(b, cs, catKey, 500)
	e := newEnv(b, envOptions{allowLoopback: true, tls: roots(cs.Server)})
	c, err := e.Svc.Subscribe(b.Context(), global, core.SubscribeRequest{Name: "bench", URL: cs.indexURL(), PublicKey: pubPEM(b, catPub)}, "b")
	if err != nil || c.Plugins != 500 {
		b.Fatalf("subscribe: %+v %v", c, err)
	}
	b.Run("sync", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			if c, err := e.Svc.Sync(b.Context(), global, c.ID); err != nil || c.SyncError != "" {
				b.Fatalf("%+v %v", c, err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res, err := e.Svc.Search(b.Context(), global, "plugin-04"); err != nil || len(res) != 100 {
				b.Fatalf("%d results, %v", len(res), err)
			}
		}
	})
}
