package redis

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/redis/redistest"
)

// Events in the same server microsecond must each be counted. Redis rarely
// runs two scripts within one microsecond, so beyond a pipelined burst the
// test checks the cause: the stored member is exactly the caller's random id,
// never derived from the time.
func TestAllowScriptSameMicrosecondEventsDistinct(t *testing.T) {
	client, prefix := redistest.NewClient(t)
	ctx := context.Background()
	if err := allowScript.Load(ctx, client).Err(); err != nil {
		t.Fatal(err)
	}
	const events, n = 500, 1000
	key := prefix + "burst"
	pipe := client.Pipeline()
	cmds := make([]*goredis.Cmd, events)
	sent := map[string]bool{}
	for i := range cmds {
		m := newMember()
		sent[m] = true
		cmds[i] = allowScript.EvalSha(ctx, pipe, []string{key}, n, int64(time.Minute/time.Microsecond), m)
	}
	if len(sent) != events {
		t.Fatalf("newMember repeated itself: %d distinct of %d", len(sent), events)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds {
		res, err := c.Int64Slice()
		if err != nil || res[0] != 1 || res[1] != int64(n-1-i) {
			t.Fatalf("event %d: %v, %v; want allowed with remaining %d", i+1, res, err, n-1-i)
		}
	}
	members, err := client.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != events {
		t.Fatalf("%d members stored for %d events", len(members), events)
	}
	scores := map[float64]bool{}
	for _, m := range members {
		scores[m.Score] = true
		if !sent[m.Member.(string)] {
			t.Errorf("stored member %v is not one the caller sent", m.Member)
		}
	}
	t.Logf("%d events over %d distinct server microseconds", events, len(scores))
}
