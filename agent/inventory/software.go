package inventory

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/breeze-rmm/breeze/protocol"
)

// SoftwareSource lists installed software from one package database.
type SoftwareSource interface {
	Name() string
	List(ctx context.Context) ([]protocol.SoftwarePackage, error)
}

// ErrUnsupported marks a source that this platform does not have yet; the
// collector reports it once and carries on without it.
var ErrUnsupported = errors.New("not yet supported")

// plannedSource stands in for a source that is planned but not written, so
// the gap is visible at run time rather than an empty list that looks real.
type plannedSource struct {
	name string
	plan string
}

func (p plannedSource) Name() string { return p.name }

func (p plannedSource) List(context.Context) ([]protocol.SoftwarePackage, error) {
	return nil, fmt.Errorf("installed-software inventory is %w on %s (planned: %s)", ErrUnsupported, runtime.GOOS, p.plan)
}
