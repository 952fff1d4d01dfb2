package catalog

import (
	"archive/tar"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// BuildOptions are a catalog build's inputs besides the archives.
type BuildOptions struct {
	// Key signs the index (the catalog's key).
	Key ed25519.PrivateKey
	// BaseURL is where the archives will be served: an archive's URL is
	// BaseURL + "/" + its file name.
	BaseURL string
	// Name names the catalog (optional).
	Name string
	// Publishers are the public keys of the archives' signers; the
	// catalog's own key is one of them implicitly.
	Publishers []ed25519.PublicKey
	// AllowHTTP accepts an http:// BaseURL (development only).
	AllowHTTP bool
	// Now stamps generatedAt (zero: time.Now).
	Now time.Time
}

// Build reads every *.tar.gz in dir (packed plugins: their manifest and
// signature, checked with the publisher's key; the file's size and
// SHA-256) and returns index.json and index.json.sig.
func Build(dir string, o BuildOptions) (index, sig []byte, err error) {
	if len(o.Key) != ed25519.PrivateKeySize {
		return nil, nil, errors.New("catalog build: an ed25519 private key is required")
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if err := CheckURL(base+"/x.tar.gz", o.AllowHTTP); err != nil {
		return nil, nil, fmt.Errorf("catalog build: base URL: %w", err)
	}
	pubs := map[string]ed25519.PublicKey{}
	for _, k := range append([]ed25519.PublicKey{o.Key.Public().(ed25519.PublicKey)}, o.Publishers...) {
		pubs[pack.KeyID(k)] = k
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
	if err != nil {
		return nil, nil, fmt.Errorf("catalog build: %w", err)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("catalog build: no *.tar.gz in %s", dir)
	}
	sort.Strings(files)
	byID := map[string]*Plugin{}
	newest := map[string]manifest.Version{}
	for _, f := range files {
		a, err := readArchive(f)
		if err != nil {
			return nil, nil, fmt.Errorf("catalog build: %s: %w", filepath.Base(f), err)
		}
		pub, ok := pubs[a.keyID]
		if !ok {
			return nil, nil, fmt.Errorf("catalog build: %s is signed by key id %s: pass its public key with --publisher", filepath.Base(f), a.keyID)
		}
		if _, err := pack.CheckSignature(a.manifestRaw, a.sigRaw, []ed25519.PublicKey{pub}); err != nil {
			return nil, nil, fmt.Errorf("catalog build: %s: %w", filepath.Base(f), err)
		}
		m := a.manifest
		p := byID[m.ID]
		if p == nil {
			p = &Plugin{ID: m.ID, PublisherKeyID: a.keyID, PublisherKey: EncodeKey(pub)}
			byID[m.ID] = p
		}
		if p.PublisherKeyID != a.keyID {
			return nil, nil, fmt.Errorf("catalog build: %s %s is signed by %s, its other versions by %s: one publisher per plugin", m.ID, m.Version, a.keyID, p.PublisherKeyID)
		}
		if p.Find(m.Version) != nil {
			return nil, nil, fmt.Errorf("catalog build: %s %s is in two archives", m.ID, m.Version)
		}
		v, _ := manifest.ParseVersion(m.Version)
		if cur, ok := newest[m.ID]; !ok || v.Compare(cur) > 0 {
			newest[m.ID] = v
			p.Name, p.Kind, p.Description = m.Name, string(m.Kind), m.Description
		}
		platforms := make([]string, 0, len(m.Executables))
		for k := range m.Executables {
			platforms = append(platforms, k)
		}
		slices.Sort(platforms)
		p.Versions = append(p.Versions, Version{
			Version: m.Version, MinHostVersion: m.MinHostVersion, Platforms: platforms,
			URL: base + "/" + url.PathEscape(filepath.Base(f)), SHA256: a.sha256, Size: a.size,
		})
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	ix := Index{Format: FormatVersion, Name: o.Name, GeneratedAt: now.UTC().Format(time.RFC3339)}
	for _, p := range byID {
		ix.Plugins = append(ix.Plugins, *p)
	}
	slices.SortFunc(ix.Plugins, func(a, b Plugin) int { return strings.Compare(a.ID, b.ID) })
	if err := ix.Validate(ParseOptions{AllowHTTP: o.AllowHTTP}); err != nil { // sorts the versions
		return nil, nil, fmt.Errorf("catalog build: %w", err)
	}
	return Sign(&ix, o.Key)
}

// Sign encodes ix and signs the exact bytes.
func Sign(ix *Index, key ed25519.PrivateKey) (index, sig []byte, err error) {
	index, err = json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: encode: %w", err)
	}
	index = append(index, '\n')
	if sig, err = pack.Sign(index, key); err != nil {
		return nil, nil, fmt.Errorf("catalog: %w", err)
	}
	return index, sig, nil
}

// archive is what Build reads of one packed plugin.
type archive struct {
	manifest            *manifest.Manifest
	manifestRaw, sigRaw []byte
	keyID, sha256       string
	size                int64
}

// readArchive hashes the whole file and reads plugin.json and its
// signature (the first entries pack writes).
func readArchive(path string) (*archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	gz, err := gzip.NewReader(io.TeeReader(f, h))
	if err != nil {
		return nil, fmt.Errorf("not a gzip archive: %w", err)
	}
	a := &archive{}
	tr := tar.NewReader(gz)
	for a.manifestRaw == nil || a.sigRaw == nil {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		var dst *[]byte
		switch strings.TrimPrefix(hdr.Name, "./") {
		case manifest.FileName:
			dst = &a.manifestRaw
		case pack.SignatureFile:
			dst = &a.sigRaw
		default:
			continue
		}
		if *dst, err = io.ReadAll(io.LimitReader(tr, manifest.MaxSize+1)); err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
	}
	if a.manifestRaw == nil {
		return nil, fmt.Errorf("no %s in the archive", manifest.FileName)
	}
	if a.sigRaw == nil {
		return nil, fmt.Errorf("the archive is not signed (no %s)", pack.SignatureFile)
	}
	if a.manifest, err = manifest.Parse(a.manifestRaw); err != nil {
		return nil, err
	}
	var s pack.Signature
	if err := json.Unmarshal(a.sigRaw, &s); err != nil {
		return nil, fmt.Errorf("unreadable %s: %w", pack.SignatureFile, err)
	}
	a.keyID = s.KeyID
	// The tee hashed every byte read from f so far; the rest goes straight in.
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a.size = fi.Size()
	a.sha256 = hex.EncodeToString(h.Sum(nil))
	return a, nil
}
