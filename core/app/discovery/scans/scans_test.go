package scans_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// A /16 split across two agents: each streams its half as 128 pages of
// 256 (never one frame), every page is merged in order and counted, the
// probe phase gets the live hosts back as a few CIDRs with the SNMP
// credentials only as sealed command secrets, and the scan succeeds with
// Finish(complete).
func TestSlash16StreamsInPagesAndSucceeds(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, pg)
			tn := e.Seed.A
			a1, a2 := e.linkAgent(t, tn, 0, "scanner-1"), e.linkAgent(t, tn, 0, "scanner-2")
			prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.20.0.0/16"}, Addresses: 65536,
				Methods: []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodTCP, domain.MethodSNMP}, Ports: []int{22, 80},
				RatePerSecond: 2000, Concurrency: 128, ScannerDeviceIDs: []string{a1.id, a2.id}, Split: true,
				SNMP: map[string]string{"version": "2c", "community": "s3cret-community"}})
			started := time.Now()
			job, err := e.svc.Start(context.Background(), admin(tn), prof)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(job.Plan), "s3cret") {
				t.Fatal("the stored plan holds the SNMP community in clear")
			}
			// sweep: one netsweep command per agent, half the /16 each
			halves := map[string]bool{}
			for _, a := range []*agent{a1, a2} {
				c, p := a.next(10 * time.Second)
				if p.Plugin != scans.PluginSweep || !p.Stream || len(p.Targets) != 1 {
					t.Fatalf("sweep payload %+v", p)
				}
				halves[p.Targets[0]] = true
				var opts map[string]any
				_ = json.Unmarshal(p.Options, &opts)
				if opts["methods"] != "icmp" || opts["concurrency"] != float64(128) {
					t.Fatalf("sweep options %s", p.Options)
				}
				a.ack(c.ID)
				counts := a.stream(c.ID, hostsIn(t, p.Targets[0], true), 32768)
				if counts.Pages != 128 {
					t.Fatalf("%d pages", counts.Pages)
				}
				a.result(c.ID, protocol.ResultSucceeded, "", counts)
			}
			if !halves["10.20.0.0/17"] || !halves["10.20.128.0/17"] {
				t.Fatalf("split %v", halves)
			}
			// probe: tcpscan and snmp per agent on the live hosts
			sent := time.Since(started)
			for i, a := range []*agent{a1, a2} {
				if i == 0 {
					e.waitJob(t, job.ID, "the sweep merged", func(j *domain.ScanJob) bool { return j.AssetsFound == 65536 })
					t.Logf("%s: 256 sweep pages (65536 assets) sent in %s, all merged and counted %s after the start",
						name, sent.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
				}
				for range 2 {
					c, p := a.next(90 * time.Second)
					if len(p.Targets) != 1 || !strings.HasSuffix(p.Targets[0], "/17") {
						t.Fatalf("probe targets %v", p.Targets)
					}
					switch p.Plugin {
					case scans.PluginTCP:
						if len(p.Ports) != 2 || p.Secrets != nil {
							t.Fatalf("tcp payload %+v", p)
						}
					case scans.PluginSNMP:
						if p.Secrets["community"] != "s3cret-community" {
							t.Fatalf("snmp secrets not opened for the agent: %v", p.Secrets)
						}
						stored, err := e.Store.Commands().Get(context.Background(), domain.GlobalScope(), c.ID)
						if err != nil || strings.Contains(string(stored.Payload), "s3cret") {
							t.Fatalf("stored snmp payload holds the secret: %s (%v)", stored.Payload, err)
						}
					default:
						t.Fatalf("probe plugin %q", p.Plugin)
					}
					a.ack(c.ID)
					ip := netip.MustParsePrefix(p.Targets[0]).Addr().Next().String()
					asset := protocol.DiscoverAsset{IP: ip, Alive: true, OpenPorts: []int{22}}
					a.page(c.ID, 1, 1, []protocol.DiscoverAsset{asset})
					a.result(c.ID, protocol.ResultSucceeded, "", protocol.DiscoverCounts{Assets: 1, Pages: 1, Scanned: 32768})
				}
			}
			j := e.waitJob(t, job.ID, "success", func(j *domain.ScanJob) bool { return j.Status.Final() })
			if j.Status != domain.ScanSucceeded || j.Partial || j.Scanned != 65536 || j.AssetsFound != 65536 || j.Error != "" {
				t.Fatalf("job %+v", j)
			}
			// every sweep page merged once, each command's in order
			merges := e.sink.merges(job.ID)
			sweepObs, last := 0, map[string]netip.Addr{}
			for _, m := range merges {
				if m.obs[0].Method != domain.MethodICMP {
					continue
				}
				sweepObs += len(m.obs)
				first := netip.MustParseAddr(m.obs[0].IP)
				half := first.String()[:6] + map[bool]string{true: "hi", false: "lo"}[first.As4()[2] >= 128]
				if prev, ok := last[half]; ok && !prev.Less(first) {
					t.Fatalf("pages out of order: %s after %s", first, prev)
				}
				last[half] = netip.MustParseAddr(m.obs[len(m.obs)-1].IP)
			}
			if sweepObs != 65536 || len(merges) != 256+4 {
				t.Fatalf("merged %d sweep observations in %d pages", sweepObs, len(merges))
			}
			f := e.sink.finishOfWait(t, job.ID)
			if len(f) != 1 || !f[0].complete || len(f[0].targets) != 1 || f[0].targets[0] != "10.20.0.0/16" {
				t.Fatalf("finish %+v", f)
			}
			cmds := 0
			for _, c := range j.Commands {
				cmds++
				if c.Status != domain.CommandSucceeded {
					t.Fatalf("command %+v", c)
				}
				if c.Phase == domain.PhaseSweep && (c.Pages != 128 || c.Assets != 32768) {
					t.Fatalf("sweep command counts %+v", c)
				}
			}
			if cmds != 6 {
				t.Fatalf("%d commands", cmds)
			}
			// the SNMP secret is redacted once its command ended
			for _, c := range j.Commands {
				if c.Plugin == scans.PluginSNMP {
					stored, _ := e.Store.Commands().Get(context.Background(), domain.GlobalScope(), c.CommandID)
					if !strings.Contains(string(stored.Payload), "********") {
						t.Fatalf("finished snmp command payload %s", stored.Payload)
					}
				}
			}
		})
	}
}

// A page naming another device's command (here another tenant's agent
// forging it), or an unknown command, is ignored and logged; a malformed
// or oversized page is refused on the link.
func TestForgedAndBadPagesIgnored(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	a := e.linkAgent(t, tn, 0, "scanner")
	mallory := e.linkAgent(t, e.Seed.B, 0, "mallory")
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.1.0.0/24"}, Addresses: 256,
		Methods: []domain.DiscoveryMethod{domain.MethodICMP}, ScannerDeviceIDs: []string{a.id}})
	job, err := e.svc.Start(context.Background(), admin(tn), prof)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := a.next(10 * time.Second)
	a.ack(c.ID)
	mallory.page(c.ID, 1, 256, []protocol.DiscoverAsset{{IP: "10.1.0.66", Alive: true}})
	mallory.page(domain.NewID(), 1, 256, []protocol.DiscoverAsset{{IP: "10.1.0.67", Alive: true}})
	waitFor(t, 5*time.Second, "the forged page logged", func() bool { return e.logged("discover page ignored") })
	// bad pages: refused as bad frames
	mallory.send(map[string]any{"type": protocol.TypeDiscoverPage, "commandId": c.ID, "seq": 1,
		"assets": []map[string]any{{"ip": "<img src=x onerror=alert(1)>"}}})
	big := make([]protocol.DiscoverAsset, protocol.MaxDiscoverPageAssets+1)
	for i := range big {
		big[i] = protocol.DiscoverAsset{IP: "10.1.0.1"}
	}
	mallory.page(c.ID, 2, 0, big)
	for range 2 {
		select {
		case e := <-mallory.errors:
			if !strings.Contains(e, "discover_page") {
				t.Fatalf("error frame %s", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a bad page was not refused")
		}
	}
	// the real agent's page goes through
	a.page(c.ID, 1, 256, []protocol.DiscoverAsset{{IP: "10.1.0.5", Alive: true}})
	a.result(c.ID, protocol.ResultSucceeded, "", protocol.DiscoverCounts{Assets: 1, Pages: 1, Scanned: 256})
	j := e.waitJob(t, job.ID, "end", func(j *domain.ScanJob) bool { return j.Status.Final() })
	if j.Status != domain.ScanSucceeded || j.AssetsFound != 1 || j.Partial {
		t.Fatalf("job %+v", j)
	}
	for _, m := range e.sink.merges(job.ID) {
		for _, o := range m.obs {
			if o.IP != "10.1.0.5" {
				t.Fatalf("merged a forged observation %+v", o)
			}
		}
	}
	if n := len(e.sink.merges(job.ID)); n != 1 {
		t.Fatalf("%d merges", n)
	}
}

// Cancel: the agent is told to stop, the job ends cancelled and partial
// with what it merged kept, and the assets are not closed as complete.
// Another tenant's cancel and read are 404.
func TestCancelKeepsPartialResults(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	a := e.linkAgent(t, tn, 0, "scanner")
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.2.0.0/24"}, Addresses: 256,
		Methods: []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodTCP}, Ports: []int{443}, ScannerDeviceIDs: []string{a.id}})
	tokA := e.Login(t, tn.Admin.Email, tn.Admin.Password)
	tokB := e.Login(t, e.Seed.B.Admin.Email, e.Seed.B.Admin.Password)
	code, body := e.Do(t, http.MethodPost, api.Prefix+"/discovery/profiles/"+prof+"/scans", tokB, nil)
	if code != http.StatusNotFound {
		t.Fatalf("foreign start: %d %v", code, body)
	}
	code, body = e.Do(t, http.MethodPost, api.Prefix+"/discovery/profiles/"+prof+"/scans", tokA, nil)
	if code != http.StatusAccepted || body["status"] != "queued" {
		t.Fatalf("start: %d %v", code, body)
	}
	id := body["id"].(string)
	c, _ := a.next(10 * time.Second)
	a.ack(c.ID)
	a.page(c.ID, 1, 64, hostsIn(t, "10.2.0.0/30", true))
	e.waitJob(t, id, "the page counted", func(j *domain.ScanJob) bool { return j.AssetsFound == 4 })
	code, body = e.Do(t, http.MethodGet, api.Prefix+"/discovery/scans/"+id, tokA, nil)
	if code != http.StatusOK || body["scanned"] != float64(64) || len(body["commands"].([]any)) != 1 {
		t.Fatalf("progress: %d %v", code, body)
	}
	for _, path := range []string{"/discovery/scans/" + id, "/discovery/scans/" + id + "/cancel"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "cancel") {
			method = http.MethodPost
		}
		if code, body := e.Do(t, method, api.Prefix+path, tokB, nil); code != http.StatusNotFound {
			t.Fatalf("foreign %s %s: %d %v", method, path, code, body)
		}
	}
	code, body = e.Do(t, http.MethodGet, api.Prefix+"/discovery/scans?orgId="+tn.Orgs[0].ID, tokB, nil)
	if code == http.StatusOK && len(body["items"].([]any)) != 0 {
		t.Fatalf("foreign list shows scans: %v", body)
	}
	code, body = e.Do(t, http.MethodPost, api.Prefix+"/discovery/scans/"+id+"/cancel", tokA, nil)
	if code != http.StatusOK || body["status"] != "cancelled" || body["partial"] != true {
		t.Fatalf("cancel: %d %v", code, body)
	}
	select {
	case got := <-a.cancels:
		if got != c.ID {
			t.Fatalf("cancel of %s", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the agent was not told to stop")
	}
	if code, body := e.Do(t, http.MethodPost, api.Prefix+"/discovery/scans/"+id+"/cancel", tokA, nil); code != http.StatusConflict {
		t.Fatalf("second cancel: %d %v", code, body)
	}
	cmd, _ := e.Store.Commands().Get(context.Background(), domain.GlobalScope(), c.ID)
	if cmd.Status != domain.CommandCancelled {
		t.Fatalf("command %s", cmd.Status)
	}
	if f := e.sink.finishOfWait(t, id); len(f) != 1 || f[0].complete {
		t.Fatalf("finish %+v", f)
	}
	if n := len(e.sink.merges(id)); n != 1 {
		t.Fatalf("%d merges kept", n)
	}
	// a page after the cancel is not merged
	a.page(c.ID, 2, 128, hostsIn(t, "10.2.0.4/30", true))
	time.Sleep(300 * time.Millisecond)
	if n := len(e.sink.merges(id)); n != 1 {
		t.Fatalf("a page after cancel merged (%d merges)", n)
	}
	code, body = e.Do(t, http.MethodGet, api.Prefix+"/discovery/scans?status=cancelled", tokA, nil)
	if code != http.StatusOK || len(body["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, body)
	}
	if code, _ := e.Do(t, http.MethodGet, api.Prefix+"/discovery/scans?status=exploded", tokA, nil); code != http.StatusBadRequest {
		t.Fatalf("bad status filter: %d", code)
	}
}

// A scan past its deadline ends timed out, partial, its command cancelled.
func TestTimeout(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	a := e.linkAgent(t, tn, 0, "scanner")
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.3.0.0/24"}, Addresses: 256, Timeout: 2 * time.Second,
		Methods: []domain.DiscoveryMethod{domain.MethodTCP}, Ports: []int{22}, ScannerDeviceIDs: []string{a.id}})
	job, err := e.svc.Start(context.Background(), admin(tn), prof)
	if err != nil {
		t.Fatal(err)
	}
	c, p := a.next(10 * time.Second)
	if p.Plugin != scans.PluginTCP || c.TimeoutSeconds < 1 || c.TimeoutSeconds > 2 {
		t.Fatalf("probe-only scan: %s, timeout %d", p.Plugin, c.TimeoutSeconds)
	}
	a.ack(c.ID)
	a.page(c.ID, 1, 10, hostsIn(t, "10.3.0.0/31", true))
	j := e.waitJob(t, job.ID, "time out", func(j *domain.ScanJob) bool { return j.Status.Final() })
	if j.Status != domain.ScanTimedOut || !j.Partial || !strings.Contains(j.Error, "timeout") || j.AssetsFound != 2 {
		t.Fatalf("job %+v", j)
	}
	select {
	case <-a.cancels:
	case <-time.After(5 * time.Second):
		t.Fatal("the agent was not told to stop")
	}
	if f := e.sink.finishOfWait(t, job.ID); len(f) != 1 || f[0].complete {
		t.Fatalf("finish %+v", f)
	}
}

// A scanner plugin crashing mid-scan fails its command: the job fails
// with that error, keeps what was merged and is marked partial.
func TestPluginCrashFailsPartial(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	a1, a2 := e.linkAgent(t, tn, 0, "scanner-1"), e.linkAgent(t, tn, 0, "scanner-2")
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.4.0.0/23"}, Addresses: 512,
		Methods: []domain.DiscoveryMethod{domain.MethodARP, domain.MethodTCP}, ScannerDeviceIDs: []string{a1.id, a2.id}, Split: true})
	job, err := e.svc.Start(context.Background(), admin(tn), prof)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := a1.next(10 * time.Second)
	c2, _ := a2.next(10 * time.Second)
	a1.ack(c1.ID)
	a2.ack(c2.ID)
	a1.page(c1.ID, 1, 100, hostsIn(t, "10.4.0.0/29", true))
	a1.result(c1.ID, protocol.ResultFailed, "scan: plugin breeze.netsweep: rpc error: connection reset (plugin exited)",
		protocol.DiscoverCounts{Assets: 8, Pages: 1, Scanned: 100})
	j := e.waitJob(t, job.ID, "failure", func(j *domain.ScanJob) bool { return j.Status.Final() })
	if j.Status != domain.ScanFailed || !j.Partial || !strings.Contains(j.Error, "plugin exited") ||
		!strings.Contains(j.Error, a1.id) || j.AssetsFound != 8 {
		t.Fatalf("job %+v", j)
	}
	select {
	case got := <-a2.cancels:
		if got != c2.ID {
			t.Fatalf("cancelled %s", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the other agent's command was not cancelled")
	}
	if f := e.sink.finishOfWait(t, job.ID); len(f) != 1 || f[0].complete {
		t.Fatalf("finish %+v", f)
	}
	if len(e.sink.merges(job.ID)) != 1 {
		t.Fatal("the merged page was not kept")
	}
}

// Steps run twice at once (a retry racing, or two workers): still one
// command per (phase, plugin) on each agent.
func TestRetriedStepsDoNotDuplicateCommands(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	a1, a2 := e.linkAgent(t, tn, 0, "scanner-1"), e.linkAgent(t, tn, 0, "scanner-2")
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.5.0.0/24"}, Addresses: 256,
		Methods: []domain.DiscoveryMethod{domain.MethodICMP}, ScannerDeviceIDs: []string{a1.id, a2.id}, Split: true})
	job, err := e.svc.Start(context.Background(), admin(tn), prof)
	if err != nil {
		t.Fatal(err)
	}
	for n := 100; n < 106; n++ { // extra step chains, as retries would make
		raw, _ := json.Marshal(map[string]any{"jobId": job.ID, "n": n})
		if _, err := e.Remote.Queue.Enqueue(context.Background(), scans.TaskStep, raw, ports.EnqueueOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c1, _ := a1.next(10 * time.Second)
	c2, _ := a2.next(10 * time.Second)
	time.Sleep(500 * time.Millisecond) // every chain has stepped a few times
	page, err := e.Store.Commands().List(context.Background(), domain.GlobalScope(), ports.CommandFilter{}, domain.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range page.Items {
		if c.BatchID == job.ID {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d commands for 2 agents", n)
	}
	for _, a := range []*agent{a1, a2} {
		select {
		case c := <-a.commands:
			if c.ID != c1.ID && c.ID != c2.ID {
				t.Fatalf("a second command %s", c.ID)
			}
		default:
		}
	}
	for _, x := range []struct {
		a  *agent
		id string
	}{{a1, c1.ID}, {a2, c2.ID}} {
		x.a.ack(x.id)
		x.a.result(x.id, protocol.ResultSucceeded, "", protocol.DiscoverCounts{Scanned: 128})
	}
	j := e.waitJob(t, job.ID, "end", func(j *domain.ScanJob) bool { return j.Status.Final() })
	if j.Status != domain.ScanSucceeded || len(j.Commands) != 2 || j.Scanned != 256 {
		t.Fatalf("job %+v", j)
	}
	if f := e.sink.finishOfWait(t, job.ID); len(f) != 1 || !f[0].complete {
		t.Fatalf("finished %d times: %+v", len(f), f)
	}
}

// A page lost on the way (a seq gap, or fewer pages than the result says)
// leaves the scan partial and the assets not closed as complete.
func TestLostPageMakesPartial(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	a := e.linkAgent(t, tn, 0, "scanner")
	prof := e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.6.0.0/24"}, Addresses: 256,
		Methods: []domain.DiscoveryMethod{domain.MethodICMP}, ScannerDeviceIDs: []string{a.id}})
	job, err := e.svc.Start(context.Background(), admin(tn), prof)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := a.next(10 * time.Second)
	a.ack(c.ID)
	a.page(c.ID, 1, 100, hostsIn(t, "10.6.0.0/30", true))
	// page 2 never arrives
	a.result(c.ID, protocol.ResultSucceeded, "", protocol.DiscoverCounts{Assets: 8, Pages: 2, Scanned: 256})
	j := e.waitJob(t, job.ID, "end", func(j *domain.ScanJob) bool { return j.Status.Final() })
	if j.Status != domain.ScanSucceeded || !j.Partial {
		t.Fatalf("job %+v", j)
	}
	if f := e.sink.finishOfWait(t, job.ID); len(f) != 1 || f[0].complete {
		t.Fatalf("finish %+v", f)
	}
}

// Start refuses a profile it cannot scan, with a clear message.
func TestStartRefusals(t *testing.T) {
	e := newEnv(t, false)
	tn := e.Seed.A
	for name, plan := range map[string]domain.ScanPlan{
		"no targets":  {Methods: []domain.DiscoveryMethod{domain.MethodICMP}, ScannerDeviceIDs: []string{domain.NewID()}},
		"no scanners": {Targets: []string{"10.0.0.0/24"}, Methods: []domain.DiscoveryMethod{domain.MethodICMP}},
		"no methods":  {Targets: []string{"10.0.0.0/24"}, ScannerDeviceIDs: []string{domain.NewID()}},
	} {
		_, err := e.svc.Start(context.Background(), admin(tn), e.profile(tn, 0, plan))
		if !errorsIs(err, domain.ErrInvalid) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// no scanning agent online: the job fails saying so
	offline, _ := e.NewDevice(t, tn, 0, "offline")
	job, err := e.svc.Start(context.Background(), admin(tn), e.profile(tn, 0, domain.ScanPlan{Targets: []string{"10.0.0.0/24"},
		Methods: []domain.DiscoveryMethod{domain.MethodICMP}, ScannerDeviceIDs: []string{offline}}))
	if err != nil {
		t.Fatal(err)
	}
	j := e.waitJob(t, job.ID, "end", func(j *domain.ScanJob) bool { return j.Status.Final() })
	if j.Status != domain.ScanFailed || !strings.Contains(j.Error, "online") || j.Partial {
		t.Fatalf("job %+v", j)
	}
}
