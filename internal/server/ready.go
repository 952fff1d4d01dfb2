package server

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// Readiness is the check behind /readyz: everything the node needs to serve
// answers. The database must take writes (a full disk or a read-only server
// is not ready, though reads still work), and Redis, when the node uses it
// (queue, bus, presence, limits), must answer PING.
func Readiness(st interface{ Writable(context.Context) error }, redis goredis.UniversalClient) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := st.Writable(ctx); err != nil {
			return fmt.Errorf("database: %w", err)
		}
		if redis != nil {
			if err := redis.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("redis: %w", err)
			}
		}
		return nil
	}
}
