package plugins

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

func TestTrustedKeys(t *testing.T) {
	a, _, _ := pack.GenerateKey()
	b, _, _ := pack.GenerateKey()
	pa, _ := pack.EncodePublicKey(a)
	pb, _ := pack.EncodePublicKey(b)
	file := filepath.Join(t.TempDir(), "keys.pub")
	if err := os.WriteFile(file, append(pa, pb...), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := TrustedKeys([]string{string(pb), file})
	if err != nil || len(keys) != 3 || !keys[0].Equal(b) || !keys[1].Equal(a) || !keys[2].Equal(b) {
		t.Fatalf("%v %v", keys, err)
	}
	for _, bad := range []string{"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n", filepath.Join(t.TempDir(), "missing")} {
		if _, err := TrustedKeys([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHostKVAndSettings(t *testing.T) {
	ctx := context.Background()
	h := newHost(hclog.NewNullLogger(), nil, nil)
	if s, _ := h.Settings(ctx); string(s) != "{}" {
		t.Fatalf("settings %s", s)
	}
	h.setSettings([]byte(`{"a":1}`))
	if s, _ := h.Settings(ctx); string(s) != `{"a":1}` {
		t.Fatalf("settings %s", s)
	}
	if err := h.KVPut(ctx, "x/1", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := h.KVGet(ctx, "x/1"); !ok || string(v) != "v" {
		t.Fatal("get")
	}
	if ks, _ := h.KVList(ctx, "x/"); len(ks) != 1 {
		t.Fatal("list")
	}
	if err := h.KVPut(ctx, "big", make([]byte, maxKVValue+1)); !errors.Is(err, errKVFull) {
		t.Fatalf("big value: %v", err)
	}
	for i := 0; i < maxKVTotal/maxKVValue; i++ {
		_ = h.KVPut(ctx, strings.Repeat("k", i+1), make([]byte, maxKVValue))
	}
	if err := h.KVPut(ctx, "one-more", make([]byte, maxKVValue)); !errors.Is(err, errKVFull) {
		t.Fatalf("store past its total: %v", err)
	}
	_ = h.KVDelete(ctx, "x/1")
	if _, ok, _ := h.KVGet(ctx, "x/1"); ok {
		t.Fatal("deleted key found")
	}
}

// A slow collector costs a heartbeat at most the budget: the first asks
// get nothing, later ones the result that finished in the background.
func TestCollectCacheServesPreviousWhenSlow(t *testing.T) {
	var c collectCache
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context) (sdk.Collection, error) {
		calls.Add(1)
		<-release
		return sdk.Collection{Metrics: []sdk.Metric{{Name: "m", Value: 1}}}, nil
	}
	start := time.Now()
	if _, ok := c.get(context.Background(), 50*time.Millisecond, slow, func(error) {}); ok {
		t.Fatal("a result before the collector answered")
	}
	if _, ok := c.get(context.Background(), 50*time.Millisecond, slow, func(error) {}); ok || calls.Load() != 1 {
		t.Fatalf("second ask: %d calls (want one in flight)", calls.Load())
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("asks took %v", d)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		col, ok := c.get(context.Background(), 50*time.Millisecond, slow, func(error) {})
		if ok && len(col.Metrics) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("background result never served")
		}
	}
	failing := func(context.Context) (sdk.Collection, error) { return sdk.Collection{}, errors.New("boom") }
	time.Sleep(fresh)
	if _, ok := c.get(context.Background(), time.Second, failing, func(error) {}); ok {
		t.Fatal("a failed collection served the stale result")
	}
}
