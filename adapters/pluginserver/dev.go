package pluginserver

import (
	"context"
	"io"

	"github.com/breeze-rmm/breeze/core/app/plugins"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// DevArchive packs a plugin directory under development unsigned, hashing
// its executables afresh (plugin dev mode: the author rebuilds in place).
func (p *Packages) DevArchive(_ context.Context, dir string, w io.Writer) error {
	if _, err := pack.PackUnsigned(dir, w); err != nil {
		return plugins.Refuse(reasonFor(err), err)
	}
	return nil
}

// DevFingerprint changes when the directory's plugin.json or executables
// do (sizes and modification times; nothing is hashed).
func (p *Packages) DevFingerprint(_ context.Context, dir string) (string, error) {
	return pack.Fingerprint(dir)
}

// DevDirs lists the plugin directories of a dev directory.
func (p *Packages) DevDirs(dir string) ([]string, error) { return pack.DevDirs(dir) }
