package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const resCommand = "command"

func (h *handlers) commandRoutes(r *registrar) {
	const tag = "Commands"
	read, exec := httpapi.User(domain.PermDevicesRead), httpapi.User(domain.PermDevicesExecute)
	r.add(http.MethodPost, "/devices/:id/commands", exec, "commands.create", resCommand, httpapi.Doc{
		Summary: "Ask a device to do something", Tag: tag,
		Description: "Stored as queued and sent at once to the device's live link; an offline device gets it when it " +
			"comes back, unless it expired. Answers 202 with the command; poll it or follow the events WebSocket.",
		Request: CreateCommandRequest{}, Response: Command{}, Status: http.StatusAccepted,
	}, h.createCommand)
	r.add(http.MethodGet, "/devices/:id/commands", read, "commands.list", resCommand, httpapi.Doc{
		Summary: "A device's commands, newest first", Tag: tag, Response: Command{}, List: true,
		Query: listParams(httpapi.Param{Name: qStatus, Description: "Only commands in this status."}),
	}, h.listCommands)
	r.add(http.MethodGet, "/commands/:id", read, "commands.get", resCommand, httpapi.Doc{
		Summary: "Get a command with its result", Tag: tag, Response: Command{},
	}, h.getCommand)
	r.add(http.MethodPost, "/commands/:id/cancel", exec, "commands.cancel", resCommand, httpapi.Doc{
		Summary: "Cancel a pending command", Tag: tag,
		Description: "A running command is told to stop; one already ended answers 409.", Response: Command{},
	}, h.cancelCommand)
}

func (h *handlers) createCommand(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateCommandRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	cmd, created, err := h.d.Commands.Create(c.Request.Context(), p, c.Param("id"), commands.CreateInput{
		Action: in.Action, Payload: in.Payload, IdempotencyKey: in.IdempotencyKey,
		Timeout: time.Duration(in.TimeoutSeconds) * time.Second, ExpiresIn: time.Duration(in.ExpiresInSeconds) * time.Second,
	})
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	c.Header("Location", Prefix+"/commands/"+cmd.ID)
	c.JSON(status, commandOut(cmd))
	return nil
}

func (h *handlers) listCommands(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qStatus)
	if err != nil {
		return err
	}
	f := ports.CommandFilter{DeviceID: c.Param("id")}
	if s := q.v.Get(qStatus); s != "" {
		f.Status = domain.CommandStatus(s)
		if !f.Status.Valid() {
			return domain.Invalidf("status must be one of queued, sent, running, succeeded, failed, timed_out, expired, cancelled")
		}
	}
	page, err := h.d.Commands.List(c.Request.Context(), p, f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, commandOut))
	return nil
}

func (h *handlers) getCommand(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := noQuery(c); err != nil {
		return err
	}
	cmd, err := h.d.Commands.Get(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, commandOut(cmd))
	return nil
}

func (h *handlers) cancelCommand(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	cmd, err := h.d.Commands.Cancel(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, commandOut(cmd))
	return nil
}
