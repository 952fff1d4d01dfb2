package notify_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The offline storm: 1 000 agents drop at once. With the default grouping
// (5 alone per 300 s window) the route sends at most 10 messages alone and
// 2 digests (a storm may straddle a window boundary), carrying every
// alert exactly once.
func TestThousandAgentStorm(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) { thousandAgentStorm(t, p.pg) })
	}
}

func thousandAgentStorm(t *testing.T, pg bool) {
	const storm = 1000
	e := newEnv(t, pg, 5*time.Second, 2)
	e.route(t, "mail", domain.DefaultGroupAfter, 8) // a short window so the test ends soon
	rule := e.rule(t, "agent offline", 0)
	alerts := make([]*domain.Alert, storm)
	for i := range alerts {
		alerts[i] = e.open(t, rule, "agent-"+strconv.Itoa(i), time.Time{})
	}
	start := time.Now()
	for _, a := range alerts {
		e.svc().AlertTransitioned(context.Background(), a)
	}
	carried := func() int {
		k := 0
		for _, n := range e.ch.taken() {
			if n.Labels["digest"] == "true" {
				c, _ := strconv.Atoi(n.Labels["count"])
				k += c
			} else {
				k++
			}
		}
		return k
	}
	eventually(t, 60*time.Second, "every alert carried", func() bool { return carried() >= storm })
	sends := len(e.ch.taken())
	t.Logf("%d alerts carried by %d messages in %s", storm, sends, time.Since(start).Round(time.Millisecond))
	if sends > 2*domain.DefaultGroupAfter+2 || carried() != storm {
		t.Fatalf("%d messages carrying %d alerts for a storm of %d", sends, carried(), storm)
	}
	// every alert's log ends delivered, alone or naming its digest (the
	// digest writes its rows after the send)
	eventually(t, 30*time.Second, "a delivered row per alert", func() bool {
		n, page := 0, domain.PageRequest{Limit: domain.MaxPageSize}
		for {
			p, err := e.Store.NotificationDeliveries().List(context.Background(), domain.GlobalScope(),
				ports.DeliveryFilter{Outcome: domain.DeliveryDelivered}, page)
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Items)
			if p.NextCursor == "" {
				return n >= storm
			}
			page.Cursor = p.NextCursor
		}
	})
	digests := map[string]bool{}
	for _, n := range e.ch.taken() {
		digests[n.Labels["digestId"]] = true
	}
	for _, a := range alerts {
		log := e.log(t, a.ID)
		last := log[len(log)-1]
		if last.Outcome != domain.DeliveryDelivered || (last.DigestID != "" && !digests[last.DigestID]) {
			t.Fatalf("alert %s: %s", a.ID, outcomes(log))
		}
	}
}

// A member that joins a window while its digest is being sent (a late
// worker) goes out in the follow-up digest, without waiting for a sweep.
func TestLateMemberFollowUpDigest(t *testing.T) {
	e := newEnv(t, false, 5*time.Second, 2)
	route := e.route(t, "mail", 1, 2)
	rule := e.rule(t, "agent offline", 0)
	var alerts []*domain.Alert
	for i := range 3 {
		alerts = append(alerts, e.open(t, rule, "node-"+strconv.Itoa(i), time.Time{}))
	}
	late := e.open(t, rule, "late", time.Time{})
	joined := make(chan error, 1)
	var once sync.Once
	e.ch.mu.Lock()
	e.ch.onSend = func(n ports.Notification) {
		if n.Labels["digest"] != "true" {
			return
		}
		once.Do(func() {
			// the digest runs: a late worker places another alert in its
			// window (a digest's OccurredAt is its window's end)
			w := domain.GroupWindow{RouteID: route.ID, OrgID: late.OrgID, RuleID: rule.ID, Kind: "open",
				Start: n.OccurredAt.Add(-2 * time.Second), End: n.OccurredAt}
			_, err := e.Store.NotificationGroups().Join(context.Background(), &domain.GroupMember{GroupWindow: w, AlertID: late.ID}, 1)
			joined <- err
		})
	}
	e.ch.mu.Unlock()
	for _, a := range alerts {
		e.svc().AlertTransitioned(context.Background(), a)
	}
	select {
	case err := <-joined:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no digest was sent")
	}
	eventually(t, 10*time.Second, "the follow-up digest", func() bool {
		for _, n := range e.ch.taken() {
			if n.Labels["digest"] == "true" && n.Labels["alertIds"] == late.ID {
				return true
			}
		}
		return false
	})
}
