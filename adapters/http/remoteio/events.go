package remoteio

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/events"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Close reasons of the events socket.
const (
	closeSessionEnded   = "session_ended"
	closePermissionGone = "permission_lost"
)

func (h *Sockets) eventRoutes(g *httpapi.Group) {
	g.HandleRoute(httpapi.Route{
		Method: http.MethodGet, Path: "/events", Rule: httpapi.Public(), Name: "events.socket", Resource: "event",
		Doc: httpapi.Doc{
			Summary: "Live events WebSocket (server → browser), authorised by a ticket",
			Description: "Public rule: the one-time ticket (purpose events) is the credential. Frames: " +
				"{type, at, partnerId, orgId, siteId, deviceId, data}, only within the user's devices:read scope.",
			Tag: "Remote", Status: http.StatusSwitchingProtocols,
			Query: []httpapi.Param{{Name: "ticket", Description: "from POST /ws-tickets {purpose:\"events\"}"}},
		},
	}, wrap(h.events))
}

// events serves one events socket: one bus subscription, each event
// filtered by the user's devices:read scope, the user re-validated every
// RecheckEvery and the socket closed at once on a revocation.
func (h *Sockets) events(c *gin.Context) error {
	if err := h.checkOrigin(c.Request); err != nil {
		return err
	}
	ctx := c.Request.Context()
	p, err := h.d.Tickets.Redeem(ctx, c.Query("ticket"), domain.TicketEvents, "")
	if err != nil {
		return err
	}
	sub, err := h.d.Bus.Subscribe(ctx, events.Topic)
	if err != nil {
		return err
	}
	defer sub.Close()
	revoked, err := tickets.WatchRevoked(ctx, h.d.Bus, p.UserID, p.SessionID)
	if err != nil {
		return err
	}
	raw, err := h.upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	ws := h.newConn(raw)
	if !h.track(ws) {
		ws.closeWith(websocket.CloseGoingAway, "server_shutdown")
		return nil
	}
	defer h.untrack(ws)
	defer ws.closeWith(websocket.CloseNormalClosure, "")

	// The browser sends nothing but control frames; reading is what makes
	// pongs and its close frame arrive.
	go func() {
		for {
			if _, _, err := ws.read(); err != nil {
				ws.closeWith(websocket.CloseNormalClosure, "")
				return
			}
		}
	}()
	scope := p.ScopeFor(domain.PermDevicesRead)
	ping := time.NewTicker(h.d.Options.PingEvery)
	defer ping.Stop()
	recheck := time.NewTicker(h.d.Options.RecheckEvery)
	defer recheck.Stop()
	for {
		select {
		case <-ws.closed:
			return nil
		case <-ctx.Done():
			return nil
		case <-revoked:
			ws.closeWith(websocket.ClosePolicyViolation, closeSessionEnded)
			return nil
		case <-ping.C:
			if ws.ping() != nil {
				return nil
			}
		case <-recheck.C:
			np, err := h.d.Auth.PrincipalForSession(ctx, p.UserID, p.SessionID)
			switch {
			case errors.Is(err, domain.ErrUnauthenticated):
				ws.closeWith(websocket.ClosePolicyViolation, closeSessionEnded)
				return nil
			case err != nil:
				httpapi.Logger(ctx).Warn("events socket: session check failed", "error", err)
				continue
			}
			if scope = np.ScopeFor(domain.PermDevicesRead); scope.Empty() {
				ws.closeWith(websocket.ClosePolicyViolation, closePermissionGone)
				return nil
			}
		case m, ok := <-sub.C():
			if !ok {
				ws.closeWith(websocket.CloseTryAgainLater, "events_unavailable")
				return nil
			}
			e, err := events.Decode(m.Payload)
			if err != nil || !visible(scope, e) {
				continue
			}
			if ws.writeText(m.Payload) != nil {
				return nil
			}
		}
	}
}

// visible: the event's tenant unit is within the scope. An event naming no
// partner is for the platform owner only.
func visible(s domain.Scope, e events.Event) bool {
	u := domain.Unit{PartnerID: e.PartnerID, OrgID: e.OrgID, SiteID: e.SiteID}
	if u.PartnerID == "" && u.OrgID != "" {
		return false // malformed: never guess
	}
	return u.CoveredBy(s)
}
