// Package plugincatalog implements core/app/plugincatalog.Source: the
// catalog format of sdk/catalog, fetched over HTTPS through the egress
// policy (a catalog or archive URL cannot reach the server's own networks
// unless the operator allows those ranges), with the format's size limits.
package plugincatalog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/breeze-rmm/breeze/adapters/egress"
	"github.com/breeze-rmm/breeze/adapters/pluginserver"
	core "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/catalog"
	"github.com/breeze-rmm/breeze/sdk/manifest"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// Timeouts of one exchange.
const (
	IndexTimeout    = 30 * time.Second
	ArchiveTimeout  = 5 * time.Minute
	maxRedirects    = 5
	userAgentPrefix = "breeze-catalog/"
)

// Options configure a Source.
type Options struct {
	// Egress is the policy every connection is checked against (the
	// plugins' policy: BREEZE_PLUGIN_EGRESS_ALLOW opens internal ranges).
	Egress egress.Policy
	// TLS (nil: the system's roots); tests trust their local CA here.
	TLS *tls.Config
	// AllowHTTP accepts http:// catalogs and archives (development only:
	// BREEZE_PLUGIN_CATALOG_ALLOW_HTTP).
	AllowHTTP bool
	// Version goes into the User-Agent.
	Version string
	// Platform is the server's os-arch (empty: this process's).
	Platform string
}

// Source fetches and reads catalogs.
type Source struct {
	hc        *http.Client
	allowHTTP bool
	ua        string
	platform  string
}

var _ core.Source = (*Source)(nil)

// New builds a Source.
func New(o Options) *Source {
	s := &Source{allowHTTP: o.AllowHTTP, ua: userAgentPrefix + o.Version, platform: o.Platform}
	if s.platform == "" {
		s.platform = manifest.Platform()
	}
	s.hc = &http.Client{
		Transport: egress.NewTransport(o.Egress, o.TLS),
		// Every hop is checked like the first (scheme here, address by
		// the egress dialer).
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			return catalog.CheckURL(req.URL.String(), s.allowHTTP)
		},
	}
	return s
}

// CheckURL implements core.Source.
func (s *Source) CheckURL(raw string) error {
	if err := catalog.CheckURL(raw, s.allowHTTP); err != nil {
		return domain.Invalidf("catalog URL: %s", err)
	}
	return nil
}

// FetchIndex implements core.Source: URL and URL.sig.
func (s *Source) FetchIndex(ctx context.Context, rawURL string) (index, sig []byte, err error) {
	if err := catalog.CheckURL(rawURL, s.allowHTTP); err != nil {
		return nil, nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: %w", err)
	}
	sigURL := *u
	sigURL.Path += ".sig"
	sigURL.RawPath = ""
	ctx, cancel := context.WithTimeout(ctx, IndexTimeout)
	defer cancel()
	if index, err = s.get(ctx, rawURL, catalog.MaxIndexSize); err != nil {
		return nil, nil, err
	}
	if sig, err = s.get(ctx, sigURL.String(), catalog.MaxSignatureSize); err != nil {
		return nil, nil, err
	}
	return index, sig, nil
}

// get reads a whole answer of at most max bytes.
func (s *Source) get(ctx context.Context, rawURL string, max int64) ([]byte, error) {
	var buf limitedBuffer
	buf.max = max
	if err := s.fetch(ctx, rawURL, &buf); err != nil {
		return nil, err
	}
	return buf.b, nil
}

// Download implements core.Source.
func (s *Source) Download(ctx context.Context, rawURL string, max int64, w io.Writer) error {
	if err := catalog.CheckURL(rawURL, s.allowHTTP); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, ArchiveTimeout)
	defer cancel()
	return s.fetch(ctx, rawURL, &capWriter{w: w, left: max})
}

// fetch GETs rawURL into w; a non-200 answer is an error.
func (s *Source) fetch(ctx context.Context, rawURL string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	req.Header.Set("User-Agent", s.ua)
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("catalog: fetch %s: %w", redacted(req.URL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("catalog: fetch %s: the server answered %s", redacted(req.URL), resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("catalog: fetch %s: %w", redacted(req.URL), err)
	}
	return nil
}

// redacted is a URL for errors and logs: scheme, host and path (a query
// may hold a token).
func redacted(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// errTooLarge: an answer past its limit.
var errTooLarge = errors.New("answer larger than allowed")

type limitedBuffer struct {
	b   []byte
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.max {
		return 0, fmt.Errorf("%w (%d bytes): %w", errTooLarge, l.max, catalog.ErrTooLarge)
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		return 0, fmt.Errorf("%w: more bytes than the catalog lists", errTooLarge)
	}
	n, err := c.w.Write(p)
	c.left -= int64(n)
	return n, err
}

// Parse implements core.Source.
func (s *Source) Parse(index, sig []byte, catalogKey string) (*core.Index, error) {
	key, err := catalog.DecodeKey(catalogKey)
	if err != nil {
		return nil, fmt.Errorf("catalog key: %w", err)
	}
	ix, err := catalog.Parse(index, sig, key, catalog.ParseOptions{AllowHTTP: s.allowHTTP})
	if err != nil {
		return nil, err
	}
	out := &core.Index{Name: ix.Name, Plugins: make([]core.Entry, 0, len(ix.Plugins))}
	for _, p := range ix.Plugins {
		e := core.Entry{ID: p.ID, Name: p.Name, Kind: p.Kind, Description: p.Description,
			PublisherKeyID: p.PublisherKeyID, PublisherKey: p.PublisherKey, Versions: make([]core.Version, 0, len(p.Versions))}
		if pub, err := catalog.DecodeKey(p.PublisherKey); err == nil { // checked by Parse
			e.PublisherFingerprint = catalog.Fingerprint(pub)
		}
		for _, v := range p.Versions {
			e.Versions = append(e.Versions, core.Version{Version: v.Version, MinHostVersion: v.MinHostVersion,
				Platforms: v.Platforms, URL: v.URL, SHA256: v.SHA256, Size: v.Size})
		}
		out.Plugins = append(out.Plugins, e)
	}
	return out, nil
}

// ParseKey implements core.Source.
func (s *Source) ParseKey(text string) (core.Key, error) {
	pub, err := catalog.DecodeKey(text)
	if err != nil {
		return core.Key{}, domain.Invalidf("public key: %s", err)
	}
	pemKey, err := pack.EncodePublicKey(pub)
	if err != nil {
		return core.Key{}, domain.Invalidf("public key: %s", err)
	}
	return core.Key{ID: pack.KeyID(pub), Fingerprint: catalog.Fingerprint(pub), PEM: string(pemKey)}, nil
}

// CompareVersions implements core.Source.
func (s *Source) CompareVersions(a, b string) (int, error) { return manifest.CompareVersions(a, b) }

// Usable implements core.Source.
func (s *Source) Usable(kind string, platforms []string) bool {
	return pluginserver.Side(sdk.Kind(kind)) != ports.PluginSideServer || slices.Contains(platforms, s.platform)
}
