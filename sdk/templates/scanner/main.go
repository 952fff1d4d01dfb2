// Command scanner is a template discovery scanner plugin.
package main

import (
	"context"
	"net/netip"

	"github.com/breeze-rmm/breeze/sdk"
)

// Scanner is your scanner.
type Scanner struct{}

func (*Scanner) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "my-scanner", Version: "0.1.0"}, nil
}

// Scan calls emit for every asset found; stop when emit or ctx says so.
func (*Scanner) Scan(ctx context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	for _, t := range spec.Targets {
		addr, err := netip.ParseAddr(t)
		if err != nil {
			return sdk.Invalidf("target %q: %v", t, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Probe addr here; this template reports every address as alive.
		if err := emit(sdk.Asset{IP: addr.String(), Alive: true}); err != nil {
			return err
		}
	}
	return nil
}

func main() { sdk.ServeScanner(&Scanner{}) }
