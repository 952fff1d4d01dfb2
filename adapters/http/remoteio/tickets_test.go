package remoteio_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/domain"
)

func TestTicketIsOneUse(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	tk := e.mustTicket(t, tok, domain.TicketEvents, "")
	c, _, err := e.dial(t, api.Prefix+"/events", tk, "self", nil)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	_ = c.Close()
	_, resp, err := e.dial(t, api.Prefix+"/events", tk, "self", nil)
	if err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second use: want 401, got %v %v", err, status(resp))
	}
}

func TestTicketExpires(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	tk := e.mustTicket(t, tok, domain.TicketEvents, "")
	e.ts.Clock.Advance(domain.TicketTTL + 1)
	_, resp, err := e.dial(t, api.Prefix+"/events", tk, "self", nil)
	if err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired ticket: want 401, got %v %v", err, status(resp))
	}
}

func TestTicketBoundToPurposeAndDevice(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	other, _ := e.ts.NewDevice(t, e.ts.Seed.A, 1, "web-2")
	e.agent.link(other)
	_ = e.relayB.Linked(ctx, other)

	// A terminal ticket for device A does not open device B (and is burned).
	tk := e.mustTicket(t, tok, domain.TicketTerminal, e.device)
	if _, resp, err := e.dial(t, api.Prefix+"/terminal/"+other, tk, "self", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("ticket of device A on device B: want 401, got %v", status(resp))
	}
	if _, resp, err := e.dial(t, api.Prefix+"/terminal/"+e.device, tk, "self", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("misused ticket must be spent: want 401, got %v", status(resp))
	}
	// A terminal ticket does not open the events socket, nor the reverse.
	tk = e.mustTicket(t, tok, domain.TicketTerminal, e.device)
	if _, resp, err := e.dial(t, api.Prefix+"/events", tk, "self", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("terminal ticket on events: want 401, got %v", status(resp))
	}
	tk = e.mustTicket(t, tok, domain.TicketEvents, "")
	if _, resp, err := e.dial(t, api.Prefix+"/terminal/"+e.device, tk, "self", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("events ticket on terminal: want 401, got %v", status(resp))
	}
}

// A ticket carries its user: it opens as the user who asked for it, and a
// user of another tenant cannot ask for one on this device.
func TestTicketBoundToUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	tokB := e.ts.Login(t, e.ts.Seed.B.Admin.Email, e.ts.Seed.B.Admin.Password)
	if code, _ := e.ticket(t, tokB, domain.TicketTerminal, e.device); code != http.StatusNotFound {
		t.Fatalf("other partner's admin asks a terminal ticket on A's device: want 404, got %d", code)
	}
	// B's own ticket, sent for A's device, opens nothing.
	devB, _ := e.ts.NewDevice(t, e.ts.Seed.B, 0, "b-1")
	tk := e.mustTicket(t, tokB, domain.TicketTerminal, devB)
	if _, resp, err := e.dial(t, api.Prefix+"/terminal/"+e.device, tk, "self", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("B's ticket on A's device: want 401, got %v", status(resp))
	}
	// And the ticket's session is the asker's: after a logout it opens nothing.
	tokA := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	tk = e.mustTicket(t, tokA, domain.TicketTerminal, e.device)
	if code, _ := e.ts.Do(t, http.MethodPost, api.Prefix+"/auth/logout", tokA, nil); code/100 != 2 {
		t.Fatalf("logout: %d", code)
	}
	if _, resp, err := e.dial(t, api.Prefix+"/terminal/"+e.device, tk, "self", nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("ticket after logout: want 401, got %v", status(resp))
	}
}

func TestAPIKeyGetsNoTicket(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	code, out := e.ts.Do(t, http.MethodPost, api.Prefix+"/api-keys", tok, map[string]any{
		"name": "ci", "partnerId": e.ts.Seed.A.Partner.ID, "permissions": []string{domain.PermDevicesRead, domain.PermRemoteAccess},
	})
	if code != http.StatusCreated {
		t.Fatalf("mint API key: %d %v", code, out)
	}
	key, _ := out["key"].(string)
	if code, _ := e.ticket(t, key, domain.TicketEvents, ""); code != http.StatusForbidden {
		t.Fatalf("API key asks an events ticket: want 403, got %d", code)
	}
	if code, _ := e.ticket(t, key, domain.TicketTerminal, e.device); code != http.StatusForbidden {
		t.Fatalf("API key asks a terminal ticket: want 403, got %d", code)
	}
}

func TestViewerGetsNoTerminalTicket(t *testing.T) {
	e := newEnv(t, envOptions{})
	v := e.ts.NewUser(t, domain.RoleOrgViewer, e.ts.Seed.A.OrgUnit(0), "")
	tok := e.ts.Login(t, v.Email, v.Password)
	if code, _ := e.ticket(t, tok, domain.TicketTerminal, e.device); code != http.StatusNotFound {
		t.Fatalf("viewer asks a terminal ticket: want 404, got %d", code)
	}
	if code, _ := e.ticket(t, tok, domain.TicketEvents, ""); code != http.StatusCreated {
		t.Fatalf("viewer asks an events ticket: want 201, got %d", code)
	}
	if code, _ := e.ticket(t, tok, "shell", e.device); code != http.StatusBadRequest {
		t.Fatalf("unknown purpose: want 400, got %d", code)
	}
}

func TestForeignOriginRefused(t *testing.T) {
	e := newEnv(t, envOptions{allowOrigins: []string{"https://dash.example.test"}})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	for _, path := range []string{api.Prefix + "/events", api.Prefix + "/terminal/" + e.device} {
		purpose, dev := domain.TicketEvents, ""
		if path != api.Prefix+"/events" {
			purpose, dev = domain.TicketTerminal, e.device
		}
		tk := e.mustTicket(t, tok, purpose, dev)
		_, resp, err := e.dial(t, path, tk, "https://evil.example.test", nil)
		if err == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s from a foreign origin: want 403, got %v", path, status(resp))
		}
		// The refusal came before the ticket was looked at: it still works
		// from an allowed origin.
		c, resp, err := e.dial(t, path, tk, "https://dash.example.test", url.Values{})
		if err != nil {
			t.Fatalf("%s from an allowed origin: %v %v", path, err, status(resp))
		}
		_ = c.Close()
	}
}
