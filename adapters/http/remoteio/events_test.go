package remoteio_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/domain"
)

// A technician of org A1 sees A1's events only: not A2's, not partner B's.
func TestEventsFilteredByScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.ts.NewUser(t, domain.RoleOrgTechnician, e.ts.Seed.A.OrgUnit(0), "")
	tok := e.ts.Login(t, u.Email, u.Password)
	c, resp, err := e.dial(t, api.Prefix+"/events", e.mustTicket(t, tok, domain.TicketEvents, ""), "self", nil)
	if err != nil {
		t.Fatalf("dial events: %v %v", err, status(resp))
	}
	pub := &events.Publisher{Bus: e.bus}
	ctx := context.Background()
	a, b := e.ts.Seed.A, e.ts.Seed.B
	time.Sleep(50 * time.Millisecond) // the handler subscribed before upgrading; this is margin only
	pub.Publish(ctx, events.Event{Type: "device.online", At: time.Now(), PartnerID: b.Partner.ID, OrgID: b.Orgs[0].ID, SiteID: b.Sites[0].ID, DeviceID: "b"})
	pub.Publish(ctx, events.Event{Type: "device.online", At: time.Now(), PartnerID: a.Partner.ID, OrgID: a.Orgs[1].ID, SiteID: a.Sites[1].ID, DeviceID: "a2"})
	pub.Publish(ctx, events.Event{Type: "run.updated", At: time.Now(), PartnerID: a.Partner.ID})
	pub.Publish(ctx, events.Event{Type: "device.online", At: time.Now(), PartnerID: a.Partner.ID, OrgID: a.Orgs[0].ID, SiteID: a.Sites[0].ID, DeviceID: "a1"})

	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, raw, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var ev events.Event
	if err := json.Unmarshal(raw, &ev); err != nil || ev.DeviceID != "a1" {
		t.Fatalf("first event seen: %s (%v); want only a1's", raw, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, raw, err := c.ReadMessage(); err == nil {
		t.Fatalf("unexpected second event: %s", raw)
	}
}

func TestEventsSocketClosesOnLogout(t *testing.T) {
	e := newEnv(t, envOptions{recheck: 50 * time.Millisecond})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	c, _, err := e.dial(t, api.Prefix+"/events", e.mustTicket(t, tok, domain.TicketEvents, ""), "self", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := e.ts.Do(t, http.MethodPost, api.Prefix+"/auth/logout", tok, nil); code/100 != 2 {
		t.Fatalf("logout: %d", code)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	if err == nil || !isClose(err, "session_ended") {
		t.Fatalf("want a close with reason session_ended, got %v", err)
	}
}
