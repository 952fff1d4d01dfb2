package fleetapi

import (
	"time"

	"github.com/breeze-rmm/breeze/core/app/fleet"
	"github.com/breeze-rmm/breeze/core/domain"
)

// Summary is the fleet at a glance.
type Summary struct {
	Devices     DeviceCounts      `json:"devices"`
	Alerts      AlertCounts       `json:"alerts"`
	Attention   []AttentionDevice `json:"attention"`
	Activity    []Activity        `json:"activity"`
	GeneratedAt time.Time         `json:"generatedAt"`
}

// DeviceCounts counts the devices the caller may read by status.
type DeviceCounts struct {
	Online         int `json:"online"`
	Offline        int `json:"offline"`
	Pending        int `json:"pending"`
	Decommissioned int `json:"decommissioned"`
	Total          int `json:"total"`
}

// AlertCounts counts unresolved (open or acknowledged) alerts by severity.
type AlertCounts struct {
	Info     int `json:"info"`
	Warning  int `json:"warning"`
	Critical int `json:"critical"`
	Total    int `json:"total"`
}

// AttentionDevice is a device with unresolved alerts.
type AttentionDevice struct {
	DeviceID      string    `json:"deviceId"`
	Hostname      string    `json:"hostname"`
	Status        string    `json:"status"`
	OrgID         string    `json:"orgId"`
	OrgName       string    `json:"orgName"`
	SiteID        string    `json:"siteId"`
	SiteName      string    `json:"siteName"`
	WorstSeverity string    `json:"worstSeverity"`
	OpenAlerts    int       `json:"openAlerts"`
	LatestAt      time.Time `json:"latestAt"`
}

// Activity is one alert transition.
type Activity struct {
	AlertID  string    `json:"alertId"`
	DeviceID string    `json:"deviceId"`
	Hostname string    `json:"hostname"`
	OrgID    string    `json:"orgId"`
	Severity string    `json:"severity"`
	Kind     string    `json:"kind"`
	Message  string    `json:"message"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

func summaryOut(s *fleet.Summary) Summary {
	out := Summary{
		Devices: DeviceCounts{Online: s.Devices.Online, Offline: s.Devices.Offline, Pending: s.Devices.Pending,
			Decommissioned: s.Devices.Decommissioned, Total: s.Devices.Total()},
		Alerts:      AlertCounts{Info: s.Alerts.Info, Warning: s.Alerts.Warning, Critical: s.Alerts.Critical, Total: s.Alerts.Total()},
		Attention:   make([]AttentionDevice, 0, len(s.Attention)),
		Activity:    make([]Activity, 0, len(s.Activity)),
		GeneratedAt: s.At,
	}
	for _, d := range s.Attention {
		out.Attention = append(out.Attention, AttentionDevice{DeviceID: d.DeviceID, Hostname: d.Hostname, Status: string(d.Status),
			OrgID: d.OrgID, OrgName: d.OrgName, SiteID: d.SiteID, SiteName: d.SiteName, WorstSeverity: string(d.Worst),
			OpenAlerts: d.Alerts, LatestAt: d.LatestAt})
	}
	for _, a := range s.Activity {
		out.Activity = append(out.Activity, activityOut(a))
	}
	return out
}

func activityOut(a domain.AlertActivity) Activity {
	return Activity{AlertID: a.AlertID, DeviceID: a.DeviceID, Hostname: a.Hostname, OrgID: a.OrgID, Severity: string(a.Severity),
		Kind: a.Kind, Message: a.Message, From: string(a.From), To: string(a.To), Actor: a.Actor, At: a.At}
}
