package plugins

import (
	"crypto/ed25519"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/breeze-rmm/breeze/protocol"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// maxKeyFile bounds a trusted-keys file; a PEM key is about 110 bytes.
const maxKeyFile = 64 << 10

// TrustedKeys parses the config's pluginTrustedKeys: each entry is an
// inline PEM public key or a path to a file of one or more of them.
func TrustedKeys(entries []string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, e := range entries {
		data := []byte(e)
		if !strings.HasPrefix(strings.TrimSpace(e), "-----BEGIN") {
			b, err := readKeyFile(e)
			if err != nil {
				return nil, err
			}
			data = b
		}
		ks, err := parseKeys(data)
		if err != nil {
			return nil, fmt.Errorf("plugin trusted key %s: %w", protocol.Abbrev(strings.TrimSpace(e), 48), err)
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plugin trusted key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("plugin trusted key %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("plugin trusted key %s: larger than %d bytes", path, maxKeyFile)
	}
	return b, nil
}

// parseKeys reads every PEM block of data as an ed25519 public key.
func parseKeys(data []byte) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		k, err := pack.ParsePublicKey(pem.EncodeToMemory(block))
		if err != nil {
			return nil, err
		}
		out = append(out, k)
		data = rest
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM PUBLIC KEY block")
	}
	return out, nil
}
