package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// resScan is a scan's audit resource (qProfileID is discovery.go's).
const resScan = "discovery_scan"

func (h *handlers) discoveryScanRoutes(r *registrar) {
	const tag = "Discovery"
	sv := h.d.DiscoveryScans
	read, manage := httpapi.User(domain.PermDiscoveryRead), httpapi.User(domain.PermDiscoveryManage)
	r.add(http.MethodPost, "/discovery/profiles/:id/scans", manage, "discovery.scans.start", resScan, httpapi.Doc{
		Summary: "Scan a discovery profile now", Tag: tag, Response: Scan{}, Status: http.StatusAccepted,
		Description: "Queues the scan and answers at once; follow it with GET /discovery/scans/:id.",
	}, h.startScan)
	r.add(http.MethodGet, "/discovery/scans", read, "discovery.scans.list", resScan, httpapi.Doc{
		Summary: "List discovery scans", Tag: tag, Response: Scan{}, List: true,
		Description: "Newest first.",
		Query: listParams(idParam(qProfileID, "this profile's scans"), idParam(qOrgID, "this org's scans"),
			idParam(qSiteID, "this site's scans"), httpapi.Param{Name: qStatus, Description: "Only scans in this status."}),
	}, listOf(scanFilter, sv.List, scanOut, qProfileID, qOrgID, qSiteID, qStatus))
	r.add(http.MethodGet, "/discovery/scans/:id", read, "discovery.scans.get", resScan, httpapi.Doc{
		Summary: "Get a discovery scan with its progress and commands", Tag: tag, Response: Scan{},
	}, getOne(sv.Get, scanOut))
	r.add(http.MethodPost, "/discovery/scans/:id/cancel", manage, "discovery.scans.cancel", resScan, httpapi.Doc{
		Summary: "Cancel a discovery scan", Tag: tag, Response: Scan{},
		Description: "Its pending commands are cancelled; what it found so far is kept and the scan marked partial. " +
			"One already ended answers 409.",
	}, h.cancelScan)
}

func scanFilter(q listQuery) (f ports.ScanFilter, err error) {
	if f.ProfileID, err = q.id(qProfileID); err != nil {
		return f, err
	}
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	if f.SiteID, err = q.id(qSiteID); err != nil {
		return f, err
	}
	f.Status = domain.ScanStatus(q.v.Get(qStatus))
	if f.Status != "" && !domain.ValidScanStatus(f.Status) {
		return f, domain.Invalidf("status must be one of queued, running, succeeded, failed, cancelled, timed_out")
	}
	return f, nil
}

func (h *handlers) startScan(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	j, err := h.d.DiscoveryScans.Start(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, scanOut(j))
	return nil
}

func (h *handlers) cancelScan(c *gin.Context) error {
	p, err := principal(c)
	if err != nil {
		return err
	}
	j, err := h.d.DiscoveryScans.Cancel(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, scanOut(j))
	return nil
}
