package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk/pack"
	"github.com/breeze-rmm/breeze/test/netlab"
)

// TestDiscoveryOnRealHosts: the real server and a real agent running the
// signed netsweep and tcpscan plugins scan a lab of real hosts in network
// namespaces (made by this test; nothing else is scanned). The assets are
// the hosts nmap sees, with their open ports; a host that leaves is marked
// gone and one that joins is new on the next scan.
func TestDiscoveryOnRealHosts(t *testing.T) {
	netlab.Require(t, "ip", "nmap", "python3")
	lab := netlab.New(t, netlab.Options{Bits: 24})
	web, ssh, quiet := lab.AddHost("web"), lab.AddHost("listener"), lab.AddHost("quiet")
	if err := web.ServeHTTP(8080); err != nil {
		t.Fatal(err)
	}
	if err := ssh.ListenTCP(2222); err != nil {
		t.Fatal(err)
	}
	ports := []int{22, 80, 443, 2222, 8080}

	work := t.TempDir()
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := pack.EncodePublicKey(pub)
	pubPath := writeFile(t, work, "vendor.pub", string(pubPEM))
	archives := []string{packPlugin(t, work, "netsweep", priv), packPlugin(t, work, "tcpscan", priv)}

	srv := &server{t: t, addr: freeAddr(t), dataDir: t.TempDir(), log: &syncBuffer{},
		env: []string{"BREEZE_PLUGIN_TRUSTED_KEYS=" + pubPath}}
	srv.url = "http://" + srv.addr
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", srv.log.tail(60))
		}
	})
	srv.start()
	api := login(t, srv)
	for _, a := range archives {
		data, _ := os.ReadFile(a)
		if code, body := uploadPlugin(t, srv, api, data); code != http.StatusCreated {
			t.Fatalf("install %s: %d %s", a, code, body)
		}
	}
	siteID := api.site("Discovery lab")
	var site struct {
		OrgID string `json:"orgId"`
	}
	api.must(http.MethodGet, "/api/v1/sites/"+siteID, nil, http.StatusOK, &site)
	for _, id := range []string{"breeze.netsweep", "breeze.tcpscan"} {
		api.must(http.MethodPost, "/api/v1/plugins/"+id+"/enable", nil, http.StatusOK, nil)
		api.must(http.MethodPut, "/api/v1/plugins/"+id+"/orgs/"+site.OrgID,
			map[string]any{"enabled": true, "settings": map[string]any{}}, http.StatusOK, nil)
	}
	cfgPath := enrollAgent(t, srv, api, siteID)
	trustKey(t, cfgPath, string(pubPEM))
	_, cfg := runAgentOnline(t, api, cfgPath)
	eventually(t, 60*time.Second, "both scanners running on the agent", func() (bool, string) {
		var d struct {
			Plugins []struct{ ID, State, Error string } `json:"plugins"`
		}
		api.must(http.MethodGet, "/api/v1/devices/"+cfg.DeviceID, nil, http.StatusOK, &d)
		n := 0
		for _, p := range d.Plugins {
			if p.State == "running" {
				n++
			}
		}
		return n == 2, fmt.Sprintf("%+v", d.Plugins)
	})

	var prof struct {
		ID        string `json:"id"`
		Addresses int    `json:"addresses"`
	}
	api.must(http.MethodPost, "/api/v1/discovery/profiles", map[string]any{"siteId": siteID, "name": "lab",
		"targets": []string{lab.CIDR()}, "methods": []string{"icmp", "arp", "tcp"}, "ports": ports,
		"ratePerSecond": 2000, "concurrency": 256, "timeoutSeconds": 300, "scannerDeviceIds": []string{cfg.DeviceID}},
		http.StatusCreated, &prof)
	if prof.Addresses != 254 { // a /24 without its network and broadcast addresses
		t.Fatalf("profile covers %d addresses, want 254", prof.Addresses)
	}

	type asset struct {
		IP        string `json:"ip"`
		MAC       string `json:"mac"`
		OpenPorts []struct {
			Port int `json:"port"`
		} `json:"openPorts"`
		Gone      bool     `json:"gone"`
		New       bool     `json:"new"`
		LastJobID string   `json:"lastJobId"`
		SeenBy    []string `json:"seenByJobs"`
	}
	scan := func() map[string]asset {
		t.Helper()
		var job struct {
			ID string `json:"id"`
		}
		api.must(http.MethodPost, "/api/v1/discovery/profiles/"+prof.ID+"/scans", nil, http.StatusAccepted, &job)
		eventually(t, 120*time.Second, "the scan succeeded", func() (bool, string) {
			var j struct {
				Status, Phase, Error string
				Scanned, AssetsFound int
			}
			api.must(http.MethodGet, "/api/v1/discovery/scans/"+job.ID, nil, http.StatusOK, &j)
			if j.Status == "failed" || j.Status == "timed_out" || j.Status == "cancelled" {
				t.Fatalf("scan %s: %+v", j.Status, j)
			}
			return j.Status == "succeeded", fmt.Sprintf("%+v", j)
		})
		var page struct {
			Items []asset `json:"items"`
		}
		api.must(http.MethodGet, "/api/v1/discovery/assets?siteId="+siteID+"&limit=500", nil, http.StatusOK, &page)
		out := map[string]asset{}
		for _, a := range page.Items {
			out[a.IP] = a
		}
		return out
	}
	openOf := func(a asset) []int {
		var ps []int
		for _, p := range a.OpenPorts {
			ps = append(ps, p.Port)
		}
		slices.Sort(ps)
		return ps
	}

	// First scan: the live hosts and open ports are nmap's.
	got := scan()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sweep, _, err := netlab.Nmap(ctx, "-sn", "-n", lab.CIDR())
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	for ip, a := range got {
		if !a.Gone {
			live = append(live, ip)
		}
	}
	// nmap also reports the bridge's own address (the scanner's side).
	want := slices.DeleteFunc(sweep.Up(), func(ip string) bool { return ip == lab.Gateway.String() })
	delete(got, lab.Gateway.String())
	live = slices.DeleteFunc(live, func(ip string) bool { return ip == lab.Gateway.String() })
	if strings.Join(netlab.SortIPs(live), ",") != strings.Join(netlab.SortIPs(want), ",") {
		t.Fatalf("live hosts %v, nmap -sn %v", netlab.SortIPs(live), netlab.SortIPs(want))
	}
	probe, _, err := netlab.Nmap(ctx, append([]string{"-n", "-Pn", "-p", netlab.Ports(ports)}, want...)...)
	if err != nil {
		t.Fatal(err)
	}
	for ip, open := range probe.OpenTCP() {
		slices.Sort(open)
		if fmt.Sprint(openOf(got[ip])) != fmt.Sprint(open) {
			t.Errorf("%s: open ports %v, nmap %v", ip, openOf(got[ip]), open)
		}
	}
	if a := got[web.IP.String()]; a.MAC != web.MAC || fmt.Sprint(openOf(a)) != "[8080]" {
		t.Fatalf("the web host: %+v", a)
	}

	// One host leaves, another joins: gone and new on the next scan.
	lab.RemoveHost(quiet)
	joined := lab.AddHostWith("joined", netlab.HostOptions{IP: lab.Addr(50)}) // not the departed address
	got = scan()
	if a, ok := got[quiet.IP.String()]; !ok || !a.Gone {
		t.Fatalf("the removed host: %+v (present %v), want gone", a, ok)
	}
	if a := got[joined.IP.String()]; a.IP == "" || !a.New || a.Gone {
		t.Fatalf("the joined host: %+v, want new", a)
	}
	if a := got[ssh.IP.String()]; a.Gone || a.New || fmt.Sprint(openOf(a)) != "[2222]" {
		t.Fatalf("the listener host on the second scan: %+v", a)
	}
}
