package remoteio

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
)

// TicketRequest asks for a WebSocket ticket.
type TicketRequest struct {
	Purpose  string `json:"purpose"` // events | terminal
	DeviceID string `json:"deviceId,omitempty"`
}

// TicketResponse is a fresh ticket: one use, until ExpiresAt.
type TicketResponse struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (h *Sockets) ticketRoutes(g *httpapi.Group) {
	g.HandleRoute(httpapi.Route{
		Method: http.MethodPost, Path: "/ws-tickets", Rule: httpapi.Authenticated(),
		Name: "ws-tickets.create", Resource: "ws_ticket",
		Doc: httpapi.Doc{
			Summary: "A one-time ticket to open the events or terminal WebSocket",
			Description: "One use, 30 s, bound to the signed-in session (API keys get 403). " +
				"events needs devices:read somewhere; terminal needs remote:access on the device (else 404).",
			Tag: "Remote", Request: TicketRequest{}, Response: TicketResponse{}, Status: http.StatusCreated,
		},
	}, wrap(h.createTicket))
}

func (h *Sockets) createTicket(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	var req TicketRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if domain.ValidID(req.DeviceID) {
		audit.SetResource(ctx, "device", req.DeviceID, p.PartnerID, "")
	}
	ticket, exp, err := h.d.Tickets.Issue(ctx, p, req.Purpose, req.DeviceID)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, TicketResponse{Ticket: ticket, ExpiresAt: exp.UTC()})
	return nil
}
