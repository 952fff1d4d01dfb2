package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const qEnabled = "enabled"

func (h *handlers) scheduleRoutes(r *registrar) {
	const tag = "Schedules"
	sv := h.d.Schedules
	read, write := httpapi.User(domain.PermScriptsRead), httpapi.User(domain.PermScriptsWrite)
	r.add(http.MethodGet, "/schedules", read, "schedules.list", schedules.Resource, httpapi.Doc{
		Summary: "List schedules", Tag: tag, Response: Schedule{}, List: true,
		Query: listParams(idParam(qOrgID, "this org's schedules and its partner's partner-wide ones"),
			httpapi.Param{Name: qEnabled, Type: "boolean", Description: "Only enabled (true) or paused (false) schedules."}),
	}, listOf(scheduleFilter, sv.ListSchedules, scheduleOut, qOrgID, qEnabled))
	r.add(http.MethodPost, "/schedules", write, "schedules.create", schedules.Resource, httpapi.Doc{
		Summary: "Create a schedule", Tag: tag, Request: ScheduleRequest{}, Response: Schedule{}, Status: http.StatusCreated,
		Description: "Needs scripts:write, and what running the task needs over the target (devices:execute and " +
			"scripts:read for a script); checked again at every fire as the creator.",
	}, createOne("/schedules", h.createSchedule, scheduleOut))
	r.add(http.MethodPost, "/schedules/preview", read, "schedules.preview", schedules.Resource, httpapi.Doc{
		Summary: "The next fire times of a cron expression or one-off time in a zone", Tag: tag,
		Request: SchedulePreviewRequest{}, Response: SchedulePreview{},
	}, h.previewSchedule)
	r.add(http.MethodGet, "/schedules/:id", read, "schedules.get", schedules.Resource, httpapi.Doc{
		Summary: "Get a schedule", Tag: tag, Response: Schedule{},
	}, getOne(sv.GetSchedule, scheduleOut))
	r.add(http.MethodPatch, "/schedules/:id", write, "schedules.update", schedules.Resource, httpapi.Doc{
		Summary: "Change a schedule (the fields named; enabled pauses and resumes)", Tag: tag,
		Request: ScheduleRequest{}, Response: Schedule{},
	}, updateOne(h.updateSchedule, scheduleOut))
	r.add(http.MethodDelete, "/schedules/:id", write, "schedules.delete", schedules.Resource, httpapi.Doc{
		Summary: "Delete a schedule and its history", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(sv.DeleteSchedule))
	r.add(http.MethodGet, "/schedules/:id/fires", read, "schedules.fires", schedules.Resource, httpapi.Doc{
		Summary: "A schedule's fires, newest first, with their runs' counts", Tag: tag, Response: ScheduleFire{},
		List: true, Query: listParams(),
	}, listUnder(h.d.Schedules.ListFires, fireOut))
}

func scheduleFilter(q listQuery) (f ports.ScheduleFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if s := q.v.Get(qEnabled); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, domain.Invalidf("enabled is true or false")
		}
		f.Enabled = &b
	}
	return f, nil
}

func (h *handlers) createSchedule(ctx context.Context, p *domain.Principal, in ScheduleRequest) (*domain.Schedule, error) {
	sc, err := scheduleIn(in)
	if err != nil {
		return nil, err
	}
	return h.d.Schedules.CreateSchedule(ctx, p, sc)
}

func (h *handlers) updateSchedule(ctx context.Context, p *domain.Principal, id string, in ScheduleRequest) (*domain.Schedule, error) {
	patch, err := schedulePatch(in)
	if err != nil {
		return nil, err
	}
	return h.d.Schedules.UpdateSchedule(ctx, p, id, patch)
}

func (h *handlers) previewSchedule(c *gin.Context) error {
	p, in, err := callerAndBody[SchedulePreviewRequest](c)
	if err != nil {
		return err
	}
	times, err := h.d.Schedules.Preview(c.Request.Context(), p, &domain.Schedule{ID: in.ScheduleID,
		Cron: in.Cron, RunAt: in.RunAt, TimeZone: in.Timezone, SpreadSeconds: in.SpreadSeconds}, in.Count)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, SchedulePreview{FireTimes: times})
	return nil
}
