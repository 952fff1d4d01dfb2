package commands

import "github.com/breeze-rmm/breeze/core/domain"

// MayRunScript is the one rule for running script code on a device, whether
// the code comes from the library (a script run) or from the caller (a
// run_script command): the caller holds devices:execute and scripts:read
// over the device's own unit. A grant at a site therefore runs scripts on
// that site's devices, and nowhere else, by either path.
func MayRunScript(p *domain.Principal, d *domain.Device) error {
	unit := domain.Unit{PartnerID: d.PartnerID, OrgID: d.OrgID, SiteID: d.SiteID}
	if p.HoldsAt(unit, domain.PermDevicesExecute, domain.PermScriptsRead) {
		return nil
	}
	return domain.Forbiddenf("running a script on device %s needs devices:execute and scripts:read over it", d.ID)
}
