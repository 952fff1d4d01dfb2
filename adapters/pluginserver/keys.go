package pluginserver

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/breeze-rmm/breeze/sdk/pack"
)

// LoadTrustedKeys reads BREEZE_PLUGIN_TRUSTED_KEYS: comma-separated paths,
// each a PEM public key file or a directory whose *.pub and *.pem files are
// keys. Empty: no key (every signed plugin is then refused as untrusted).
func LoadTrustedKeys(spec string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, p := range strings.Split(spec, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("BREEZE_PLUGIN_TRUSTED_KEYS: %w", err)
		}
		files := []string{p}
		if fi.IsDir() {
			files = nil
			entries, err := os.ReadDir(p)
			if err != nil {
				return nil, fmt.Errorf("BREEZE_PLUGIN_TRUSTED_KEYS: %w", err)
			}
			for _, e := range entries {
				if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".pub" || ext == ".pem") {
					files = append(files, filepath.Join(p, e.Name()))
				}
			}
			sort.Strings(files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("BREEZE_PLUGIN_TRUSTED_KEYS: %w", err)
			}
			k, err := pack.ParsePublicKey(data)
			if err != nil {
				return nil, fmt.Errorf("BREEZE_PLUGIN_TRUSTED_KEYS: %s: %w", f, err)
			}
			out = append(out, k)
		}
	}
	return out, nil
}
