package plugincatalog_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	core "github.com/breeze-rmm/breeze/core/app/plugincatalog"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/sdk/pack"
)

// TestPeriodicSyncOneNodePerCatalog: two nodes on one database check for
// due catalogs at the same moment; the catalog is fetched once, by one of
// them, and again only once its period has passed.
func TestPeriodicSyncOneNodePerCatalog(t *testing.T) { stores(t, periodicSyncOneNodePerCatalog) }

func periodicSyncOneNodePerCatalog(t *testing.T, pg bool) {
	ctx := t.Context()
	catPub, catKey, _ := pack.GenerateKey()
	cs := newCatalogServer(t)
	packPlugin(t, cs.Dir, "acme.one", "1.0.0", catKey)
	cs.publish(t, catKey)
	var fetches atomic.Int32
	inner := cs.Config.Handler
	cs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.json" {
			fetches.Add(1)
		}
		inner.ServeHTTP(w, r)
	})
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := ports.ClockFunc(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	a := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server), clock: clock, postgres: pg})
	b := newEnv(t, envOptions{allowLoopback: true, tls: roots(cs.Server), clock: clock, store: a.Store})
	if _, err := a.Svc.Subscribe(ctx, global, core.SubscribeRequest{Name: "c", URL: cs.indexURL(), PublicKey: pubPEM(t, catPub)}, "u"); err != nil {
		t.Fatal(err)
	}
	if fetches.Load() != 1 {
		t.Fatalf("subscribe fetched %d times", fetches.Load())
	}

	due := func() int {
		var wg sync.WaitGroup
		var total atomic.Int32
		for _, e := range []*env{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := e.Svc.SyncDue(ctx)
				if err != nil {
					t.Error(err)
				}
				total.Add(int32(n))
			}()
		}
		wg.Wait()
		return int(total.Load())
	}
	advance(time.Hour)
	if n := due(); n != 0 || fetches.Load() != 1 {
		t.Fatalf("an hour after the sync: %d synced, %d fetches", n, fetches.Load())
	}
	advance(core.DefaultSyncEvery)
	if n := due(); n != 1 || fetches.Load() != 2 {
		t.Fatalf("past the period, both nodes checking: %d synced, %d fetches (want one)", n, fetches.Load())
	}
	if n := due(); n != 0 || fetches.Load() != 2 {
		t.Fatalf("right after: %d synced, %d fetches", n, fetches.Load())
	}
	// A failed periodic sync is recorded and keeps the index.
	cs.set("/index.json", []byte("{}"))
	advance(core.DefaultSyncEvery + time.Minute)
	if n := due(); n != 1 {
		t.Fatalf("a failing catalog was not attempted: %d", n)
	}
	cats, _ := b.Svc.Catalogs(ctx, global)
	if len(cats) != 1 || cats[0].SyncError == "" || cats[0].Plugins != 1 || !cats[0].AttemptedAt.Equal(now) {
		t.Fatalf("after a failed periodic sync: %+v", cats)
	}
}
