package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/app/notify"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// A transition stored while its delivery task was lost (a Redis that came
// back empty, a queue that refused it) is found by the sweep once it is a
// minute old and delivered once; one delivered normally is not sent again.
func TestLostDeliveryTaskIsRepaired(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 2)
			rt := e.route(t, "pager", 0, 0)
			rule := e.rule(t, "offline", 0)
			lost := e.open(t, rule, "lost-01", time.Time{}) // stored; its task never reached the queue
			sent := e.open(t, rule, "sent-01", time.Time{})
			e.svc().AlertTransitioned(context.Background(), sent)
			eventually(t, 10*time.Second, "the normal opening delivered", func() bool { return len(e.ch.taken()) == 1 })

			var mu sync.Mutex
			now := time.Now()
			clock := ports.ClockFunc(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			// A node sweeping (its deliveries run on node 0's worker).
			sweeper, err := notify.New(notify.Deps{Store: e.Store, Queue: e.nodes[0].q, Channels: e.ch, Clock: clock, SweepEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			sweeper.Sweep(ctx) // too fresh: the task may still be on its way
			time.Sleep(300 * time.Millisecond)
			if n := len(e.ch.taken()); n != 1 {
				t.Fatalf("a fresh transition was repaired: %d sent", n)
			}
			advance(2 * time.Minute)
			sweeper.Sweep(ctx)
			eventually(t, 10*time.Second, "the lost opening delivered", func() bool { return len(e.ch.taken()) == 2 })
			if got := e.ch.taken()[1]; got.Labels["alertId"] != lost.ID || got.Status != "triggered" {
				t.Fatalf("repaired the wrong notification: %+v", got)
			}
			// Resolved with its task lost too, then two more sweeps: one
			// resolution, nothing else twice.
			if _, err := e.Store.Alerts().Transition(ctx, domain.GlobalScope(), lost.ID, domain.Unresolved,
				domain.AlertUpdate{To: domain.AlertResolved, Actor: domain.AlertActorSystem}); err != nil {
				t.Fatal(err)
			}
			advance(2 * time.Minute)
			sweeper.Sweep(ctx)
			eventually(t, 10*time.Second, "the lost resolution delivered", func() bool { return len(e.ch.taken()) == 3 })
			advance(2 * time.Minute)
			sweeper.Sweep(ctx)
			time.Sleep(500 * time.Millisecond)
			if n := len(e.ch.taken()); n != 3 {
				t.Fatalf("%d notifications after the last sweep, want 3: %s", n, outcomes(e.log(t, lost.ID)))
			}
			for _, d := range e.log(t, lost.ID) {
				if d.RouteID != rt.ID || d.Outcome != domain.DeliveryDelivered {
					t.Fatalf("delivery log of the repaired alert: %s", outcomes(e.log(t, lost.ID)))
				}
			}
		})
	}
}
