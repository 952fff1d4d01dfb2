package testsvc

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// The services start, stop and come back; Redis comes back empty.
func TestServicesStopAndStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := StartPostgres(t)
	url := pg.CreateDatabase("faults")
	query := func() error {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		var one int
		return c.QueryRow(ctx, "SELECT 1").Scan(&one)
	}
	if err := query(); err != nil {
		t.Fatalf("cluster up: %v", err)
	}
	pg.Stop()
	if err := query(); err == nil {
		t.Fatal("the stopped cluster still answers")
	}
	pg.Start()
	if err := query(); err != nil {
		t.Fatalf("cluster back: %v", err)
	}

	r := StartRedis(t)
	c := goredis.NewClient(&goredis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("the stopped Redis still answers")
	}
	r.Start()
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("Redis back: exists=%d err=%v, want empty", n, err)
	}
}
