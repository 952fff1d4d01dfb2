package storetest

import (
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// deviceKinds: a device is an agent unless created as a network device;
// the kind survives Update and Upsert and filters the list.
func deviceKinds(t *testing.T, st ports.Store) {
	p := newPartner(t, st)
	org := newOrg(t, st, p.ID)
	site := newSite(t, st, org.ID)
	agent := deviceIn(site.ID, "")
	must(t, "create agent device", st.Devices().Create(t.Context(), global, agent))
	netDev := deviceIn(site.ID, "")
	netDev.Kind, netDev.OS, netDev.Status = domain.DeviceKindNetwork, "network", domain.DevicePending
	must(t, "create network device", st.Devices().Create(t.Context(), global, netDev))
	if agent.Kind != domain.DeviceKindAgent || netDev.Kind != domain.DeviceKindNetwork {
		t.Fatalf("created kinds: %q %q", agent.Kind, netDev.Kind)
	}
	got, err := st.Devices().Get(t.Context(), global, netDev.ID)
	if err != nil || !got.IsNetwork() {
		t.Fatalf("get network device: %+v %v", got, err)
	}
	got.Status = domain.DeviceOnline
	up, err := st.Devices().Update(t.Context(), global, got)
	if err != nil || up.Kind != domain.DeviceKindNetwork {
		t.Fatalf("update keeps kind: %+v %v", up, err)
	}
	up, err = st.Devices().Upsert(t.Context(), global, up)
	if err != nil || up.Kind != domain.DeviceKindNetwork {
		t.Fatalf("upsert keeps kind: %+v %v", up, err)
	}
	for kind, want := range map[domain.DeviceKind][]string{
		domain.DeviceKindNetwork: {netDev.ID}, domain.DeviceKindAgent: {agent.ID}, "": {agent.ID, netDev.ID},
	} {
		got := drain(t, "List kind "+string(kind), func(r domain.PageRequest) (domain.Page[*domain.Device], error) {
			return st.Devices().List(t.Context(), global, ports.DeviceFilter{SiteID: site.ID, Kind: kind}, r)
		}, func(d *domain.Device) string { return d.ID })
		wantIDs(t, "List kind "+string(kind), got, want)
	}
}
