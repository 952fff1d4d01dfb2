package notify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Opening, acknowledgement and resolution each reach the channel once,
// with the status a paging channel needs.
func TestEveryTransitionIsNotified(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 2)
			e.route(t, "pager", 0, 0)
			a := e.open(t, e.rule(t, "offline", 0), "web-1", time.Time{})
			e.svc().AlertTransitioned(context.Background(), a)
			eventually(t, 10*time.Second, "the opening", func() bool { return len(e.ch.taken()) == 1 })
			e.move(t, e.svc(), a, domain.AlertAcknowledged)
			eventually(t, 10*time.Second, "the acknowledgement", func() bool { return len(e.ch.taken()) == 2 })
			e.move(t, e.svc(), a, domain.AlertResolved)
			eventually(t, 10*time.Second, "the resolution", func() bool { return len(e.ch.taken()) == 3 })
			got := e.ch.taken()
			for i, want := range []struct{ status, id string }{
				{"triggered", a.ID + ":open"}, {"acknowledged", a.ID + ":acknowledged"}, {"resolved", a.ID + ":resolved"},
			} {
				if got[i].Status != want.status || got[i].ID != want.id {
					t.Fatalf("notification %d: %s %s, want %s %s", i, got[i].Status, got[i].ID, want.status, want.id)
				}
			}
			eventually(t, 5*time.Second, "three rows", func() bool { return len(e.log(t, a.ID)) == 3 })
			if log := e.log(t, a.ID); len(log) != 3 || log[1].Transition != domain.AlertAcknowledged || log[1].Outcome != domain.DeliveryDelivered {
				t.Fatalf("log: %s", outcomes(log))
			}
		})
	}
}

// A storm of 25 alerts of one rule: the first few go out alone, the rest
// in one digest per window (two at most if the storm straddles a window
// boundary); every alert is carried exactly once and its log names the
// digest. On PostgreSQL two nodes share the work. A window whose digest
// task was lost is found by the sweep.
func TestStormIsDigested(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			const storm, after = 25, 3
			e := newEnv(t, p.pg, 5*time.Second, 2)
			nodes := []int{0}
			if p.pg {
				e.addNode(t)
				nodes = append(nodes, 1)
			}
			e.route(t, "mail", after, 2)
			rule := e.rule(t, "agent offline", 0)
			alerts := make([]*domain.Alert, storm)
			for i := range alerts {
				alerts[i] = e.open(t, rule, "host-"+string(rune('a'+i)), time.Time{})
			}
			for i, a := range alerts {
				e.nodes[nodes[i%len(nodes)]].svc.AlertTransitioned(context.Background(), a)
			}
			carried := func() map[string]int {
				seen := map[string]int{}
				for _, n := range e.ch.taken() {
					if n.Labels["digest"] == "true" {
						for _, id := range strings.Split(n.Labels["alertIds"], ",") {
							seen[id]++
						}
					} else {
						seen[n.Labels["alertId"]]++
					}
				}
				return seen
			}
			eventually(t, 20*time.Second, "every alert carried", func() bool { return len(carried()) == storm })
			time.Sleep(500 * time.Millisecond) // nothing more may follow
			single, digests := 0, map[string]ports.Notification{}
			for _, n := range e.ch.taken() {
				if n.Labels["digest"] == "true" {
					digests[n.Labels["digestId"]] = n
					if n.Status != "triggered" || !strings.Contains(n.Title, "more opened: agent offline on ") {
						t.Fatalf("digest: %+v", n)
					}
				} else {
					single++
				}
			}
			if single < after || single > 2*after || len(digests) < 1 || len(digests) > 2 {
				t.Fatalf("%d sent alone, %d digests; want %d..%d alone and 1..2 digests", single, len(digests), after, 2*after)
			}
			for id, k := range carried() {
				if k != 1 {
					t.Fatalf("alert %s carried %d times", id, k)
				}
			}
			// the log: a grouped alert waits, then is delivered in a digest
			eventually(t, 10*time.Second, "every alert logged delivered", func() bool {
				for _, a := range alerts {
					log := e.log(t, a.ID)
					if len(log) == 0 || log[len(log)-1].Outcome != domain.DeliveryDelivered {
						return false
					}
				}
				return true
			})
			inDigest := 0
			for _, a := range alerts {
				log := e.log(t, a.ID)
				last := log[len(log)-1]
				if last.Outcome != domain.DeliveryDelivered {
					t.Fatalf("alert %s: %s", a.ID, outcomes(log))
				}
				if last.DigestID != "" {
					inDigest++
					if _, ok := digests[last.DigestID]; !ok || log[0].Outcome != domain.DeliveryGrouped || len(log) != 2 {
						t.Fatalf("alert %s in digest %s: %s", a.ID, last.DigestID, outcomes(log))
					}
				}
			}
			if inDigest != storm-single {
				t.Fatalf("%d log rows name a digest, want %d", inDigest, storm-single)
			}

			// a window whose digest task was lost: the sweep sends it
			late := e.open(t, rule, "late", time.Time{})
			start := time.Now().Add(-time.Minute).Truncate(time.Second)
			routes, _ := e.Store.NotificationRoutes().ForOrg(context.Background(), late.OrgID)
			if _, err := e.Store.NotificationGroups().Join(context.Background(), &domain.GroupMember{GroupWindow: domain.GroupWindow{
				RouteID: routes[0].ID, OrgID: late.OrgID, RuleID: rule.ID, Kind: "open", Start: start, End: start.Add(2 * time.Second)},
				AlertID: late.ID}, 0); err != nil {
				t.Fatal(err)
			}
			before := len(e.ch.taken())
			e.svc().Sweep(context.Background())
			eventually(t, 10*time.Second, "the lost digest", func() bool { return len(e.ch.taken()) == before+1 })
			if n := e.ch.taken()[before]; n.Labels["count"] != "1" || n.Labels["alertIds"] != late.ID {
				t.Fatalf("recovered digest: %+v", n)
			}
			e.svc().Sweep(context.Background())
			time.Sleep(300 * time.Millisecond)
			if n := len(e.ch.taken()); n != before+1 {
				t.Fatalf("a second sweep sent %d more", n-before-1)
			}
		})
	}
}

// Reminders: a rule re-notifying every minute sends, for an alert open
// 130 s, reminder 2 (the latest due) once, however many sweeps, nodes or
// restarts see it; an acknowledged alert gets none.
func TestRemindersOncePerInterval(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 2)
			e.route(t, "pager", 0, 0)
			rule := e.rule(t, "offline", 60)
			a := e.open(t, rule, "db-1", time.Now().Add(-130*time.Second))
			fresh := e.open(t, rule, "db-2", time.Time{}) // not due yet
			quiet := e.open(t, e.rule(t, "no reminders", 0), "db-3", time.Now().Add(-time.Hour))
			e.svc().AlertTransitioned(context.Background(), a)
			eventually(t, 10*time.Second, "the opening", func() bool { return len(e.ch.taken()) == 1 })
			e.svc().Sweep(context.Background())
			eventually(t, 10*time.Second, "the reminder", func() bool { return len(e.ch.taken()) == 2 })
			r := e.ch.taken()[1]
			if r.Labels["reminder"] != "2" || r.Status != "triggered" || r.ID != a.ID+":open:reminder:2" || !strings.Contains(r.Title, "reminder 2") {
				t.Fatalf("reminder: %+v", r)
			}
			e.svc().Sweep(context.Background())
			// a restart: a new service (empty memory) over the same store and queue
			e.nodes[0].close()
			n := e.addNode(t)
			n.svc.Sweep(context.Background())
			time.Sleep(700 * time.Millisecond)
			if got := e.ch.taken(); len(got) != 2 {
				t.Fatalf("sent %d, want the opening and one reminder: %+v", len(got), got[2:])
			}
			log := e.log(t, a.ID)
			if len(log) != 2 || log[1].Reminder != 2 || log[1].Outcome != domain.DeliveryDelivered || log[0].Reminder != 0 {
				t.Fatalf("log: %s", outcomes(log))
			}
			for _, other := range []*domain.Alert{fresh, quiet} {
				if l := e.log(t, other.ID); len(l) != 0 {
					t.Fatalf("alert %s got %s", other.ID, outcomes(l))
				}
			}
			// acknowledged: no more reminders
			e.move(t, n.svc, a, domain.AlertAcknowledged)
			eventually(t, 10*time.Second, "the acknowledgement", func() bool { return len(e.ch.taken()) == 3 })
			third := e.addNode(t)
			third.svc.Sweep(context.Background())
			time.Sleep(500 * time.Millisecond)
			if got := len(e.ch.taken()); got != 3 {
				t.Fatalf("an acknowledged alert was reminded: %d sends", got)
			}
		})
	}
}

// Holds: a held opening waits (a "held" row with its end) and goes out
// once the hold ends, with its retries intact; an alert resolved during
// the hold sends nothing at all; a reminder in a hold is skipped.
func TestHeldNotifications(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 1)
			e.route(t, "pager", 0, 0)
			rule := e.rule(t, "offline", 60)
			ctx := context.Background()
			held := e.open(t, rule, "patched", time.Time{})
			gone := e.open(t, rule, "flapping", time.Time{})
			until := time.Now().Add(2 * time.Second)
			e.holds.set(held.DeviceID, until)
			e.holds.set(gone.DeviceID, until)
			e.svc().AlertTransitioned(ctx, held)
			e.svc().AlertTransitioned(ctx, gone)
			eventually(t, 5*time.Second, "the held rows", func() bool { return len(e.log(t, held.ID)) == 1 && len(e.log(t, gone.ID)) == 1 })
			h := e.log(t, held.ID)[0]
			if h.Outcome != domain.DeliveryHeld || !strings.Contains(h.Detail, "patching") || h.HeldUntil.Sub(until).Abs() > time.Millisecond {
				t.Fatalf("held row: %+v", h)
			}
			e.move(t, e.svc(), gone, domain.AlertResolved)
			e.ch.mu.Lock()
			e.ch.fail = 1 // the first send after the hold fails: one retry is left
			e.ch.mu.Unlock()
			eventually(t, 15*time.Second, "the held opening sent", func() bool { return len(e.ch.taken()) == 1 })
			if n := e.ch.taken()[0]; n.ID != held.ID+":open" {
				t.Fatalf("sent %s, want the held opening", n.ID)
			}
			eventually(t, 10*time.Second, "the suppressions", func() bool {
				l := e.log(t, gone.ID)
				return len(l) >= 4 && l[len(l)-1].Outcome == domain.DeliverySuppressed && l[len(l)-2].Outcome == domain.DeliverySuppressed
			})
			l := e.log(t, gone.ID)
			byTr := map[domain.AlertState]string{}
			for _, d := range l {
				byTr[d.Transition] = d.Outcome // the last row of each
			}
			if byTr[domain.AlertOpen] != domain.DeliverySuppressed || byTr[domain.AlertResolved] != domain.DeliverySuppressed {
				t.Fatalf("resolved during the hold: %s", outcomes(l))
			}
			eventually(t, 5*time.Second, "the held opening logged", func() bool {
				hl := e.log(t, held.ID)
				return hl[len(hl)-1].Outcome == domain.DeliveryDelivered
			})
			if hl := e.log(t, held.ID); len(hl) != 3 || hl[1].Outcome != domain.DeliveryFailed || hl[2].Attempt != 2 {
				t.Fatalf("held then sent: %s", outcomes(hl))
			}
			time.Sleep(300 * time.Millisecond)
			if got := len(e.ch.taken()); got != 1 {
				t.Fatalf("sent %d, want only the held opening", got)
			}

			// a reminder due during a hold is skipped
			old := e.open(t, rule, "old", time.Now().Add(-70*time.Second))
			e.holds.set(old.DeviceID, time.Now().Add(time.Hour))
			e.svc().Sweep(ctx)
			eventually(t, 5*time.Second, "the skipped reminder", func() bool { return len(e.log(t, old.ID)) == 1 })
			if d := e.log(t, old.ID)[0]; d.Reminder != 1 || d.Outcome != domain.DeliverySuppressed || !strings.Contains(d.Detail, "reminder skipped") {
				t.Fatalf("reminder in a hold: %+v", d)
			}
		})
	}
}

// Faults: a channel refusing twice is retried and delivers once; a
// restart (a new service and queue worker over the same store and queue)
// and a replayed transition send nothing again.
func TestRetriedOnceAndNotResentAfterRestart(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, p.pg, 5*time.Second, 4)
			e.ch.fail = 2
			e.route(t, "pager", 5, 300)
			a := e.open(t, e.rule(t, "offline", 0), "app-1", time.Time{})
			e.svc().AlertTransitioned(context.Background(), a)
			eventually(t, 10*time.Second, "delivered", func() bool { return len(e.ch.taken()) == 1 })
			eventually(t, 5*time.Second, "logged", func() bool { return len(e.log(t, a.ID)) == 3 })
			log := e.log(t, a.ID)
			if log[0].Outcome != domain.DeliveryFailed || log[1].Outcome != domain.DeliveryFailed || log[2].Outcome != domain.DeliveryDelivered ||
				log[2].Attempt != 3 {
				t.Fatalf("log: %s", outcomes(log))
			}
			e.nodes[0].close()
			n := e.addNode(t)
			n.svc.AlertTransitioned(context.Background(), a)
			n.svc.Sweep(context.Background())
			time.Sleep(time.Second)
			if calls := e.ch.callCount(); calls != 3 {
				t.Fatalf("after a restart and a replay the channel was called %d times, want 3", calls)
			}
		})
	}
}

// A channel whose own deadline fires a moment before the attempt's and
// that answers "not delivered" then is logged as a timeout, as one that
// never answers is; a quick refusal keeps its own detail.
func TestNearDeadlineNonDeliveryIsATimeout(t *testing.T) {
	e := newEnv(t, false, time.Second, 1)
	e.ch.giveUpBefore = 5 * time.Millisecond
	e.route(t, "pager", 5, 300)
	a := e.open(t, e.rule(t, "offline", 0), "app-1", time.Time{})
	e.svc().AlertTransitioned(context.Background(), a)
	eventually(t, 10*time.Second, "both attempts logged", func() bool { return len(e.log(t, a.ID)) == 2 })
	for _, d := range e.log(t, a.ID) {
		if !strings.Contains(d.Detail, "did not answer within 1s") {
			t.Fatalf("attempt %d: %q, want a timeout", d.Attempt, d.Detail)
		}
	}
}

// A partner default route groups each org apart: a digest is sent with
// one org's channel settings, so it never carries another org's alerts.
func TestStormDigestsPerOrg(t *testing.T) {
	e := newEnv(t, false, 5*time.Second, 2)
	ctx := context.Background()
	route := &domain.NotificationRoute{PartnerID: e.Seed.A.Partner.ID, Name: "partner default", ChannelID: "test.channel",
		Severities: []domain.Severity{domain.SeverityCritical}, Enabled: true, GroupAfter: 1, GroupIntervalSeconds: 2}
	if err := e.Store.NotificationRoutes().Create(ctx, domain.GlobalScope(), route); err != nil {
		t.Fatal(err)
	}
	a := e.Seed.A
	rule := &domain.AlertRule{PartnerID: a.Partner.ID, Name: "partner wide", Enabled: true, Severity: domain.SeverityCritical,
		Kind: "device_offline", Params: []byte(`{"minutes":5}`), ScopeKind: domain.AlertScopePartner}
	if err := e.Store.AlertRules().Create(ctx, domain.GlobalScope(), rule); err != nil {
		t.Fatal(err)
	}
	orgOf := map[string]string{}
	var all []*domain.Alert
	for i := range 2 {
		for j := range 4 {
			al := e.openIn(t, i, rule, "org"+string(rune('0'+i))+"-host"+string(rune('0'+j)), time.Time{})
			orgOf[al.ID] = al.OrgID
			all = append(all, al)
		}
	}
	for _, al := range all {
		e.svc().AlertTransitioned(ctx, al)
	}
	eventually(t, 15*time.Second, "every alert carried", func() bool {
		n := 0
		for _, x := range e.ch.taken() {
			if x.Labels["digest"] == "true" {
				n += len(strings.Split(x.Labels["alertIds"], ","))
			} else {
				n++
			}
		}
		return n == len(all)
	})
	digests := 0
	for _, x := range e.ch.taken() {
		if x.Labels["digest"] != "true" {
			continue
		}
		digests++
		for _, id := range strings.Split(x.Labels["alertIds"], ",") {
			if orgOf[id] != x.OrgID {
				t.Fatalf("a digest for org %s carries alert %s of org %s", x.OrgID, id, orgOf[id])
			}
		}
	}
	if digests < 2 {
		t.Fatalf("%d digests for two orgs' storms", digests)
	}
}

// Two nodes sweeping at once queue reminder n once between them.
func TestReminderOnceAcrossNodes(t *testing.T) {
	e := newEnv(t, true, 5*time.Second, 2)
	e.addNode(t)
	e.route(t, "pager", 0, 0)
	rule := e.rule(t, "offline", 60)
	var alerts []*domain.Alert
	for i := range 5 {
		alerts = append(alerts, e.open(t, rule, "srv-"+string(rune('a'+i)), time.Now().Add(-90*time.Second)))
	}
	var wg sync.WaitGroup
	for _, n := range e.nodes {
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); n.svc.Sweep(context.Background()) }()
		}
	}
	wg.Wait()
	eventually(t, 10*time.Second, "the reminders", func() bool { return len(e.ch.taken()) == len(alerts) })
	time.Sleep(700 * time.Millisecond)
	seen := map[string]int{}
	for _, x := range e.ch.taken() {
		seen[x.ID]++
	}
	for _, a := range alerts {
		if seen[a.ID+":open:reminder:1"] != 1 {
			t.Fatalf("reminder 1 of %s sent %d times (all: %v)", a.ID, seen[a.ID+":open:reminder:1"], seen)
		}
	}
}
