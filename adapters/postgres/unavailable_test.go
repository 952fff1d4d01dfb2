package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// A database that drops its connections and refuses new ones is an outage,
// not a bug: every call says domain.ErrUnavailable (503 at the HTTP edge),
// whether the statement path translates driver errors or returns them raw.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	if _, err := st.Users().GetByEmail(ctx, "nobody@example.com"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("before the outage: %v", err)
	}

	// The outage: the database refuses connections and its sessions end
	// (the server sends admin_shutdown, as on a fast shutdown).
	cfg, err := pgx.ParseConfig(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := st.Pool().Config().ConnConfig.Database
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+ident+" ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "ALTER DATABASE "+ident+" ALLOW_CONNECTIONS true") })
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"get user by email": func() error { _, err := st.Users().GetByEmail(cctx, "nobody@example.com"); return err },
		"list devices": func() error {
			_, err := st.Devices().List(cctx, domain.GlobalScope(), ports.DeviceFilter{}, domain.PageRequest{})
			return err
		},
		"transaction": func() error {
			return st.InTx(cctx, func(ctx context.Context, tx ports.Store) error { return nil })
		},
		"ping":     func() error { return st.Ping(cctx) },
		"writable": func() error { return st.Writable(cctx) },
	}
	for what, call := range calls {
		// Twice: the first call may meet a dead pooled connection, the
		// second must fail to connect.
		for i := 0; i < 2; i++ {
			err := call()
			if !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("%s (try %d) during the outage: %v, want domain.ErrUnavailable", what, i+1, err)
			}
		}
	}
}
