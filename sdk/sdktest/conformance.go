package sdktest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/manifest"
)

// callTimeout bounds every conformance call; a plugin that hangs fails.
const callTimeout = 20 * time.Second

// promptly is how long a plugin may take to notice a cancelled context.
const promptly = 5 * time.Second

func checkInfo(t *testing.T, p sdk.Plugin, kind sdk.Kind) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	info, err := p.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Kind != kind {
		t.Errorf("Info.Kind = %q, want %q", info.Kind, kind)
	}
	if info.Name == "" {
		t.Error("Info.Name is empty")
	}
	if _, err := manifest.ParseVersion(info.Version); err != nil {
		t.Errorf("Info.Version: %v", err)
	}
	if !slices.Contains(info.APIVersions, sdk.APIVersion) {
		t.Errorf("Info.APIVersions = %v, want it to contain %d", info.APIVersions, sdk.APIVersion)
	}
}

// checkCancelled runs call with an already-cancelled context and wants an
// error back promptly.
func checkCancelled(t *testing.T, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("call with a cancelled context returned no error")
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("call with a cancelled context: %v, want context.Canceled", err)
		}
	case <-time.After(promptly):
		t.Fatalf("call with a cancelled context did not return within %v", promptly)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}
