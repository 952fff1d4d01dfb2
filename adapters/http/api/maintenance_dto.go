package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/app/maintenance"
	"github.com/breeze-rmm/breeze/core/domain"
)

// MaintenanceWindow holds a scope's alert notifications while one of its
// occurrences is under way.
type MaintenanceWindow struct {
	ID              string     `json:"id"`
	PartnerID       string     `json:"partnerId"`
	OrgID           string     `json:"orgId,omitempty" doc:"Absent for a partner-wide window."`
	Name            string     `json:"name"`
	Description     string     `json:"description"`
	Enabled         bool       `json:"enabled"`
	ScopeKind       string     `json:"scopeKind" doc:"partner, org, site, group or devices."`
	ScopeIDs        []string   `json:"scopeIds"`
	TimeZone        string     `json:"timeZone" doc:"An IANA time zone; every wall time of the window is read in it."`
	Kind            string     `json:"kind" doc:"once (startsAt to endsAt) or weekly (days, at, durationMinutes)."`
	StartsAt        string     `json:"startsAt,omitempty" doc:"once: local date-time YYYY-MM-DDTHH:MM."`
	EndsAt          string     `json:"endsAt,omitempty" doc:"once: local date-time YYYY-MM-DDTHH:MM, after startsAt."`
	Days            []string   `json:"days,omitempty" doc:"weekly: sun, mon, tue, wed, thu, fri, sat."`
	At              string     `json:"at,omitempty" doc:"weekly: local start time HH:MM."`
	DurationMinutes int        `json:"durationMinutes,omitempty" doc:"weekly: 1 to 10080 minutes of real time."`
	Active          bool       `json:"active" doc:"An occurrence is under way."`
	NextStartsAt    *time.Time `json:"nextStartsAt,omitempty" doc:"The occurrence under way or the next one."`
	NextEndsAt      *time.Time `json:"nextEndsAt,omitempty"`
	Version         int64      `json:"version"`
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
}

// MaintenanceWindowRequest is the body of POST /maintenance-windows and
// PATCH /maintenance-windows/:id (a PATCH replaces every mutable field;
// partnerId and orgId are POST only). A wall time a DST change skips is
// moved forward by the gap; a repeated one is its first occurrence.
type MaintenanceWindowRequest struct {
	PartnerID       string   `json:"partnerId,omitempty"`
	OrgID           string   `json:"orgId,omitempty"`
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	Enabled         *bool    `json:"enabled,omitempty" doc:"Default true."`
	ScopeKind       string   `json:"scopeKind"`
	ScopeIDs        []string `json:"scopeIds,omitempty"`
	TimeZone        string   `json:"timeZone"`
	Kind            string   `json:"kind"`
	StartsAt        string   `json:"startsAt,omitempty"`
	EndsAt          string   `json:"endsAt,omitempty"`
	Days            []string `json:"days,omitempty"`
	At              string   `json:"at,omitempty"`
	DurationMinutes int      `json:"durationMinutes,omitempty"`
	Version         int64    `json:"version,omitempty" doc:"PATCH: the version you read."`
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func windowOut(w *maintenance.Window) MaintenanceWindow {
	days := make([]string, 0, len(w.Days))
	for _, d := range w.Days {
		if d >= time.Sunday && d <= time.Saturday {
			days = append(days, weekdays[d])
		}
	}
	return MaintenanceWindow{ID: w.ID, PartnerID: w.PartnerID, OrgID: w.OrgID, Name: w.Name, Description: w.Description,
		Enabled: w.Enabled, ScopeKind: string(w.ScopeKind), ScopeIDs: nonNil(w.ScopeIDs), TimeZone: w.TimeZone,
		Kind: string(w.Kind), StartsAt: w.StartsAt, EndsAt: w.EndsAt, Days: days, At: w.At, DurationMinutes: w.DurationMinutes,
		Active: w.Active, NextStartsAt: optTime(w.NextStart), NextEndsAt: optTime(w.NextEnd), Version: w.Version,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

func (w MaintenanceWindow) resourceID() string { return w.ID }

func windowIn(in MaintenanceWindowRequest) (*domain.MaintenanceWindow, error) {
	if len(in.Days) > 7 {
		return nil, domain.Invalidf("days lists one to seven weekdays")
	}
	days := make([]time.Weekday, 0, len(in.Days))
	for _, d := range in.Days {
		i := indexOf(weekdays, d)
		if i < 0 {
			return nil, domain.Invalidf("days lists sun, mon, tue, wed, thu, fri or sat")
		}
		days = append(days, time.Weekday(i))
	}
	enabled := in.Enabled == nil || *in.Enabled
	return &domain.MaintenanceWindow{PartnerID: in.PartnerID, OrgID: in.OrgID, Name: in.Name, Description: in.Description,
		Enabled: enabled, ScopeKind: domain.AlertScopeKind(in.ScopeKind), ScopeIDs: in.ScopeIDs, TimeZone: in.TimeZone,
		Kind: domain.MaintenanceKind(in.Kind), StartsAt: in.StartsAt, EndsAt: in.EndsAt, Days: days, At: in.At,
		DurationMinutes: in.DurationMinutes, Version: in.Version}, nil
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}
