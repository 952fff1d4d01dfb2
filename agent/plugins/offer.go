package plugins

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// idRE is the manifest's id rule: the id becomes a directory name, so an
// offer that breaks it is refused before it touches the disk.
var (
	idRE     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// agentKinds are the kinds an agent runs; alert channels live on the server.
var agentKinds = map[sdk.Kind]bool{sdk.KindCollector: true, sdk.KindScriptRuntime: true, sdk.KindScanner: true}

// checkOffer refuses an offer the agent must not act on.
func checkOffer(o protocol.PluginOffer, maxSize int64) error {
	if !idRE.MatchString(o.ID) || strings.Contains(o.ID, "..") {
		return fmt.Errorf("offer has a malformed plugin id %q", protocol.Abbrev(o.ID, 48))
	}
	if _, err := manifest.ParseVersion(o.Version); err != nil || strings.ContainsAny(o.Version, `/\`) {
		return fmt.Errorf("offer has a malformed version %q", protocol.Abbrev(o.Version, 48))
	}
	if !agentKinds[sdk.Kind(o.Kind)] {
		return fmt.Errorf("kind %q does not run on agents", protocol.Abbrev(o.Kind, 48))
	}
	if !sha256RE.MatchString(o.SHA256) {
		return fmt.Errorf("offer has no valid archive sha256")
	}
	if o.Size > maxSize {
		return fmt.Errorf("archive of %d bytes exceeds the agent's limit of %d", o.Size, maxSize)
	}
	if _, err := archivePath(o.ArchivePath); err != nil {
		return err
	}
	return nil
}

// archivePath accepts only a path on the agent's own server: the bearer
// token must never be sent to another host.
func archivePath(p string) (string, error) {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Fragment != "" ||
		!strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "..") || strings.Contains(p, `\`) {
		return "", fmt.Errorf("offer has an archive path %q outside the server's API", protocol.Abbrev(p, 48))
	}
	return p, nil
}

// archiveURL joins the server URL (which may have a base path) and the
// offer's archive path, as the link does for its WebSocket URL.
func archiveURL(server, p string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("server URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("server URL %q: want http(s)", server)
	}
	if _, err := archivePath(p); err != nil {
		return "", err
	}
	base := strings.TrimRight(u.EscapedPath(), "/")
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "", "", "", ""
	return u.String() + base + p, nil
}

// sameOffer says two offers name the same archive (settings may differ:
// they are served live, without a restart).
func sameOffer(a, b protocol.PluginOffer) bool {
	return a.ID == b.ID && a.Version == b.Version && a.SHA256 == b.SHA256 && a.Kind == b.Kind
}
