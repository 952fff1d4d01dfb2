package sdktest

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/breeze-rmm/breeze/sdk"
)

// ScannerFixture is what the scanner suite needs from the author.
type ScannerFixture struct {
	// Target must find at least one asset (e.g. 127.0.0.1/32 with a port a
	// test listener holds).
	Target sdk.TargetSpec
	// Invalid must be refused with an error wrapping sdk.ErrInvalid.
	Invalid sdk.TargetSpec
}

var errStop = errors.New("sdktest: stop")

// ScannerConformance runs the scanner suite over an in-process gRPC connection.
func ScannerConformance(t *testing.T, factory func(t *testing.T) sdk.Scanner, fx ScannerFixture) {
	t.Helper()
	scannerSuite(t, inProcess(sdk.KindScanner, factory), fx)
}

// ScannerConformanceBinary runs the same suite against a built plugin
// executable, launched as a host launches it (see Launch and Build).
func ScannerConformanceBinary(t *testing.T, bin string, fx ScannerFixture) {
	t.Helper()
	scannerSuite(t, fromBinary[sdk.Scanner](sdk.KindScanner, bin), fx)
}

func scannerSuite(t *testing.T, mk opener[sdk.Scanner], fx ScannerFixture) {
	open := func(t *testing.T) sdk.Scanner { return mk(t, NewFakeHost(nil)) }
	t.Run("Info", func(t *testing.T) { checkInfo(t, open(t), sdk.KindScanner) })
	t.Run("Finds", func(t *testing.T) {
		var assets []sdk.Asset
		err := open(t).Scan(ctxT(t), fx.Target, func(a sdk.Asset) error { assets = append(assets, a); return nil })
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if len(assets) == 0 {
			t.Fatal("Scan found nothing in the fixture's target")
		}
		for _, a := range assets {
			if _, err := netip.ParseAddr(a.IP); err != nil {
				t.Errorf("asset IP %q: %v", a.IP, err)
			}
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		err := open(t).Scan(ctxT(t), fx.Invalid, func(sdk.Asset) error { return nil })
		if !errors.Is(err, sdk.ErrInvalid) {
			t.Fatalf("Scan(invalid) = %v, want sdk.ErrInvalid", err)
		}
	})
	t.Run("EmitErrorStops", func(t *testing.T) {
		err := open(t).Scan(ctxT(t), fx.Target, func(sdk.Asset) error { return errStop })
		if !errors.Is(err, errStop) {
			t.Fatalf("Scan with a failing emit = %v, want emit's error", err)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		s := open(t)
		checkCancelled(t, func(ctx context.Context) error {
			return s.Scan(ctx, fx.Target, func(sdk.Asset) error { return nil })
		})
	})
}
