package api

import (
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ScanCommand is one discover command of a scan.
type ScanCommand struct {
	ID       string `json:"id" doc:"The command (GET /commands/:id)."`
	DeviceID string `json:"deviceId"`
	Phase    string `json:"phase" doc:"sweep or probe."`
	Plugin   string `json:"plugin" doc:"The scanner plugin, e.g. breeze.netsweep."`
	Status   string `json:"status" doc:"The command's status."`
	Pages    int    `json:"pages" doc:"Result pages received."`
	Assets   int    `json:"assets" doc:"Assets those pages carried."`
	Scanned  int    `json:"scanned" doc:"Addresses the agent says it has covered."`
}

// Scan is one run of a discovery profile.
type Scan struct {
	ID          string        `json:"id"`
	ProfileID   string        `json:"profileId"`
	OrgID       string        `json:"orgId"`
	SiteID      string        `json:"siteId"`
	Status      string        `json:"status" doc:"queued, running, succeeded, failed, cancelled or timed_out."`
	Phase       string        `json:"phase" doc:"sweep (finding live hosts) or probe (ports, SNMP)."`
	Partial     bool          `json:"partial" doc:"Some results are missing (the scan ended early or pages were lost); what arrived is kept."`
	Addresses   int           `json:"addresses" doc:"The profile's addresses."`
	Scanned     int           `json:"scanned" doc:"How many of them the first phase has covered."`
	AssetsFound int           `json:"assetsFound" doc:"Distinct live hosts seen."`
	Error       string        `json:"error,omitempty"`
	RequestedBy string        `json:"requestedBy,omitempty"`
	CreatedAt   time.Time     `json:"createdAt"`
	StartedAt   *time.Time    `json:"startedAt,omitempty"`
	FinishedAt  *time.Time    `json:"finishedAt,omitempty"`
	Deadline    time.Time     `json:"deadline" doc:"The scan times out then."`
	Commands    []ScanCommand `json:"commands" doc:"Only on GET /discovery/scans/:id (empty in lists)."`
}

func scanOut(j *domain.ScanJob) Scan {
	out := Scan{ID: j.ID, ProfileID: j.ProfileID, OrgID: j.OrgID, SiteID: j.SiteID, Status: string(j.Status),
		Phase: string(j.Phase), Partial: j.Partial, Addresses: j.Addresses, Scanned: j.Scanned, AssetsFound: j.AssetsFound,
		Error: j.Error, RequestedBy: j.RequestedBy, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt,
		FinishedAt: j.FinishedAt, Deadline: j.Deadline, Commands: []ScanCommand{}}
	for _, c := range j.Commands {
		out.Commands = append(out.Commands, ScanCommand{ID: c.CommandID, DeviceID: c.DeviceID, Phase: string(c.Phase),
			Plugin: c.Plugin, Status: string(c.Status), Pages: c.Pages, Assets: c.Assets, Scanned: c.Scanned})
	}
	return out
}
