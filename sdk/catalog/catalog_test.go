package catalog_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// packPlugin packs a small signed collector (a script as its executable:
// the catalog reads manifests and hashes, it runs nothing) into dir.
func packPlugin(t *testing.T, dir, id, version string, key ed25519.PrivateKey) string {
	t.Helper()
	src := t.TempDir()
	m := fmt.Sprintf(`{"id":%q,"name":"Plugin %s","version":%q,"kind":"collector","description":"collects %s",
		"apiVersions":[1],"executables":{"linux-amd64":{"path":"bin/x"},"linux-arm64":{"path":"bin/x"}}}`, id, id, version, id)
	if err := os.WriteFile(filepath.Join(src, "plugin.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	if err := os.WriteFile(filepath.Join(src, "bin", "x"), []byte("#!/bin/sh\necho "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, id+"-"+version+".tar.gz")
	if _, err := pack.PackFile(src, key, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildAndParse(t *testing.T) {
	catPub, catKey, _ := pack.GenerateKey()
	pubPub, pubKey, _ := pack.GenerateKey()
	dir := t.TempDir()
	a1 := packPlugin(t, dir, "acme.one", "1.0.0", catKey)
	packPlugin(t, dir, "acme.one", "1.10.0", catKey)
	packPlugin(t, dir, "acme.one", "1.2.0", catKey)
	packPlugin(t, dir, "other.two", "0.1.0", pubKey)

	_, _, err := catalog.Build(dir, catalog.BuildOptions{Key: catKey, BaseURL: "https://cat.example/p"})
	if err == nil || !strings.Contains(err.Error(), pack.KeyID(pubPub)) {
		t.Fatalf("an archive of an unknown publisher: %v", err)
	}
	index, sig, err := catalog.Build(dir, catalog.BuildOptions{Key: catKey, BaseURL: "https://cat.example/p/", Name: "acme", Publishers: []ed25519.PublicKey{pubPub}})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := catalog.Parse(index, sig, catPub, catalog.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Plugins) != 2 || ix.Plugins[0].ID != "acme.one" || ix.Plugins[1].PublisherKeyID != pack.KeyID(pubPub) {
		t.Fatalf("index %+v", ix)
	}
	one := ix.Plugins[0]
	var got []string
	for _, v := range one.Versions {
		got = append(got, v.Version)
	}
	if strings.Join(got, ",") != "1.10.0,1.2.0,1.0.0" {
		t.Fatalf("versions not newest first: %v", got)
	}
	data, _ := os.ReadFile(a1)
	sum := sha256.Sum256(data)
	v := one.Find("1.0.0")
	if v.SHA256 != hex.EncodeToString(sum[:]) || v.Size != int64(len(data)) || v.URL != "https://cat.example/p/acme.one-1.0.0.tar.gz" ||
		strings.Join(v.Platforms, ",") != "linux-amd64,linux-arm64" || one.Kind != "collector" {
		t.Fatalf("version %+v", v)
	}

	// A byte changed: the signature fails; another key: named as such.
	bad := bytes.Replace(index, []byte("acme.one"), []byte("acme.onf"), 1)
	if _, err := catalog.Parse(bad, sig, catPub, catalog.ParseOptions{}); !errors.Is(err, catalog.ErrBadSignature) {
		t.Fatalf("tampered index: %v", err)
	}
	if _, err := catalog.Parse(index, sig, pubPub, catalog.ParseOptions{}); !errors.Is(err, catalog.ErrWrongKey) {
		t.Fatalf("another key: %v", err)
	}
}

// resigned edits a valid index and signs it again, so only the limits and
// validation can refuse it.
func resigned(t *testing.T, key ed25519.PrivateKey, edit func(ix *catalog.Index)) ([]byte, []byte) {
	t.Helper()
	pub := key.Public().(ed25519.PublicKey)
	ix := catalog.Index{Format: 1, Plugins: []catalog.Plugin{{
		ID: "acme.one", Name: "One", Kind: "collector", PublisherKeyID: pack.KeyID(pub), PublisherKey: catalog.EncodeKey(pub),
		Versions: []catalog.Version{{Version: "1.0.0", Platforms: []string{"linux-amd64"}, URL: "https://x.example/a.tar.gz",
			SHA256: strings.Repeat("a", 64), Size: 10}},
	}}}
	edit(&ix)
	index, sig, err := catalog.Sign(&ix, key)
	if err != nil {
		t.Fatal(err)
	}
	return index, sig
}

func TestParseRefusesBadIndexes(t *testing.T) {
	pub, key, _ := pack.GenerateKey()
	cases := map[string]struct {
		edit func(ix *catalog.Index)
		want error
		text string
	}{
		"fine":              {func(*catalog.Index) {}, nil, ""},
		"http url":          {func(ix *catalog.Index) { ix.Plugins[0].Versions[0].URL = "http://x.example/a.tar.gz" }, catalog.ErrInvalid, "only https"},
		"relative url":      {func(ix *catalog.Index) { ix.Plugins[0].Versions[0].URL = "/a.tar.gz" }, catalog.ErrInvalid, "absolute https"},
		"url with password": {func(ix *catalog.Index) { ix.Plugins[0].Versions[0].URL = "https://u:p@x.example/a" }, catalog.ErrInvalid, "credentials"},
		"bad id":            {func(ix *catalog.Index) { ix.Plugins[0].ID = "../etc" }, catalog.ErrInvalid, "id"},
		"bad kind":          {func(ix *catalog.Index) { ix.Plugins[0].Kind = "rootkit" }, catalog.ErrInvalid, "kind"},
		"bad hash":          {func(ix *catalog.Index) { ix.Plugins[0].Versions[0].SHA256 = "abc" }, catalog.ErrInvalid, "sha256"},
		"bad version":       {func(ix *catalog.Index) { ix.Plugins[0].Versions[0].Version = "one" }, catalog.ErrInvalid, "version"},
		"bad platform":      {func(ix *catalog.Index) { ix.Plugins[0].Versions[0].Platforms = []string{"plan9-mips"} }, catalog.ErrInvalid, "platform"},
		"key id mismatch":   {func(ix *catalog.Index) { ix.Plugins[0].PublisherKeyID = "0000000000000000" }, catalog.ErrInvalid, "publisherKey"},
		"duplicate id":      {func(ix *catalog.Index) { ix.Plugins = append(ix.Plugins, ix.Plugins[0]) }, catalog.ErrInvalid, "twice"},
		"format":            {func(ix *catalog.Index) { ix.Format = 2 }, catalog.ErrInvalid, "format"},
		"too many plugins": {func(ix *catalog.Index) {
			for len(ix.Plugins) <= catalog.MaxPlugins {
				ix.Plugins = append(ix.Plugins, ix.Plugins[0])
			}
		}, catalog.ErrTooLarge, "plugins"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			index, sig := resigned(t, key, c.edit)
			_, err := catalog.Parse(index, sig, pub, catalog.ParseOptions{})
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v mentioning %q", err, c.want, c.text)
			}
		})
	}
	t.Run("http allowed in development", func(t *testing.T) {
		index, sig := resigned(t, key, func(ix *catalog.Index) { ix.Plugins[0].Versions[0].URL = "http://127.0.0.1:1/a.tar.gz" })
		if _, err := catalog.Parse(index, sig, pub, catalog.ParseOptions{AllowHTTP: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("oversized", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), catalog.MaxIndexSize+1)
		if _, err := catalog.Parse(big, nil, pub, catalog.ParseOptions{}); !errors.Is(err, catalog.ErrTooLarge) {
			t.Fatalf("oversized index: %v", err)
		}
	})
	t.Run("not json", func(t *testing.T) {
		index := []byte("{]")
		sig, _ := pack.Sign(index, key)
		if _, err := catalog.Parse(index, sig, pub, catalog.ParseOptions{}); !errors.Is(err, catalog.ErrInvalid) {
			t.Fatalf("garbage: %v", err)
		}
	})
}

func TestFingerprintAndKeys(t *testing.T) {
	pub, _, _ := pack.GenerateKey()
	fp := catalog.Fingerprint(pub)
	if !strings.HasPrefix(strings.ReplaceAll(fp, ":", ""), pack.KeyID(pub)) || strings.Count(fp, ":") != 15 {
		t.Fatalf("fingerprint %s, key id %s", fp, pack.KeyID(pub))
	}
	pemKey, _ := pack.EncodePublicKey(pub)
	for _, s := range []string{string(pemKey), catalog.EncodeKey(pub)} {
		k, err := catalog.DecodeKey(s)
		if err != nil || !k.Equal(pub) {
			t.Fatalf("decode %q: %v", s, err)
		}
	}
	if _, err := catalog.DecodeKey("bm9wZQ=="); err == nil {
		t.Fatal("a short key decoded")
	}
}
