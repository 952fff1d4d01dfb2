package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

// FileStore keeps the last inventory the server received, so after a restart
// the agent sends a diff instead of everything again.
type FileStore struct {
	Path string
}

// Load returns the stored inventory; ok is false when there is none (or it is
// unreadable, which only costs one full resend).
func (s FileStore) Load() (inv protocol.Inventory, ok bool, err error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return protocol.Inventory{}, false, nil
	}
	if err != nil {
		return protocol.Inventory{}, false, fmt.Errorf("read inventory cache: %w", err)
	}
	if err := json.Unmarshal(data, &inv); err != nil {
		return protocol.Inventory{}, false, fmt.Errorf("inventory cache %s is corrupt: %w", s.Path, err)
	}
	return inv, true, nil
}

// Save replaces the stored inventory atomically.
func (s FileStore) Save(inv protocol.Inventory) error {
	data, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("encode inventory cache: %w", err)
	}
	return config.WriteFileAtomic(s.Path, data)
}
