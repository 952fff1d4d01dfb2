package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
)

// Name is the service's name on every platform.
const Name = "breeze-agent"

// ErrUnsupported marks a platform whose service manager is not yet handled.
var ErrUnsupported = errors.New("not yet supported")

// Options describes one installation.
type Options struct {
	BinaryPath string // the agent binary to install (the running one)
	ConfigPath string // passed to `breeze-agent run --config`
	DryRun     bool   // print what would be done, change nothing
	Out        io.Writer
	Logger     hclog.Logger
}

// Installer installs and starts the agent service.
type Installer interface {
	Install(ctx context.Context, opts Options) error
}

// prepare fills the options' defaults (a null logger, no output) and
// returns the config path made absolute, which the service definition
// names; both paths are required.
func (o *Options) prepare() (string, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.BinaryPath == "" || o.ConfigPath == "" {
		return "", fmt.Errorf("install needs the binary and config paths")
	}
	return filepath.Abs(o.ConfigPath)
}
