package updates

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/protocol"
)

// ReleaseInput is an upload's metadata; the build is the body.
type ReleaseInput struct {
	Version, OS, Arch, Signature, Notes string
}

var (
	versionRE  = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.-]{1,40})?$`)
	platformRE = regexp.MustCompile(`^[a-z0-9]{1,16}$`)
)

// Upload stores a build after checking its signature against the release
// keys the server trusts (a global plugins:manage grant required): a build no release key signed is refused
// (ErrInvalid), so the server never offers what agents would refuse.
func (s *Service) Upload(ctx context.Context, sc domain.Scope, actor string, in ReleaseInput, data []byte) (*domain.AgentRelease, error) {
	if !sc.Global {
		return nil, domain.Forbiddenf("uploading an agent build needs a global plugins:manage grant (builds are installation-wide software)")
	}
	if !versionRE.MatchString(in.Version) {
		return nil, domain.Invalidf("version %q: want dotted numbers such as 1.4.2 (a -suffix allowed)", protocol.Abbrev(in.Version, 40))
	}
	if !platformRE.MatchString(in.OS) || !platformRE.MatchString(in.Arch) {
		return nil, domain.Invalidf("os and arch are required (e.g. linux, amd64)")
	}
	if len(data) == 0 || len(data) > MaxBinary {
		return nil, domain.Invalidf("the build must be 1 byte to %d MiB", MaxBinary>>20)
	}
	if len(in.Notes) > 2000 {
		return nil, domain.Invalidf("notes are limited to 2000 bytes")
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if len(s.d.ReleaseKeys) == 0 {
		return nil, domain.Invalidf("no release key is configured (BREEZE_RELEASE_KEYS): builds cannot be verified")
	}
	if err := protocol.VerifyRelease(s.d.ReleaseKeys, in.OS, in.Arch, in.Version, hexSum, in.Signature); err != nil {
		return nil, domain.Invalidf("build refused: %v", err)
	}
	r := &domain.AgentRelease{Version: in.Version, OS: in.OS, Arch: in.Arch, SHA256: hexSum, Size: int64(len(data)),
		Signature: in.Signature, Notes: in.Notes, CreatedBy: actor}
	if err := s.d.Store.Updates().CreateRelease(ctx, r, data); err != nil {
		return nil, err
	}
	s.d.Logger.Info("agent release stored", "version", r.Version, "os", r.OS, "arch", r.Arch, "sha256", r.SHA256, "by", actor)
	return r, nil
}

// Releases lists the stored builds.
func (s *Service) Releases(ctx context.Context) ([]*domain.AgentRelease, error) {
	return s.d.Store.Updates().ListReleases(ctx)
}

// Release is one stored build.
func (s *Service) Release(ctx context.Context, id string) (*domain.AgentRelease, error) {
	return s.d.Store.Updates().GetRelease(ctx, id)
}

// Binary opens the build of release id for a device that was offered it
// (its newest rollout is running, targets that version, and the build is
// for its platform); anything else is ErrNotFound. The caller closes it.
func (s *Service) Binary(ctx context.Context, deviceID, id string) (io.ReadSeekCloser, *domain.AgentRelease, error) {
	rel, err := s.d.Store.Updates().GetRelease(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	dev, err := s.d.Store.Devices().Get(ctx, domain.GlobalScope(), deviceID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.d.Store.Updates().LatestDeviceUpdate(ctx, deviceID)
	if err != nil {
		return nil, nil, notFound("release")
	}
	r, err := s.d.Store.Updates().GetRollout(ctx, u.RolloutID)
	if err != nil || r.Terminal() || r.Version != rel.Version || dev.OS != rel.OS || dev.Arch != rel.Arch {
		return nil, nil, notFound("release")
	}
	f, err := s.open(ctx, rel)
	return f, rel, err
}

// open serves the build from the node's cache, filling it from the
// database once (checked against the stored hash).
func (s *Service) open(ctx context.Context, rel *domain.AgentRelease) (io.ReadSeekCloser, error) {
	if s.d.CacheDir != "" {
		path := filepath.Join(s.d.CacheDir, rel.ID+"-"+rel.SHA256)
		if f, err := os.Open(path); err == nil {
			return f, nil
		}
	}
	data, err := s.d.Store.Updates().ReleaseData(ctx, rel.ID)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != rel.SHA256 {
		return nil, fmt.Errorf("updates: stored build %s does not match its hash", rel.ID)
	}
	if s.d.CacheDir != "" {
		if err := writeCache(s.d.CacheDir, rel.ID+"-"+rel.SHA256, data); err != nil {
			s.d.Logger.Warn("agent build not cached; served from memory", "release", rel.ID, "error", err)
		}
	}
	return nopCloser{bytes.NewReader(data)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func writeCache(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
