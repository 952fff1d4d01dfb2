package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk/pack"
)

// The alert fault tests break PostgreSQL or Redis while alerts change:
// a device's condition clears and another's begins during the outage.
// Afterwards each device has exactly one alert for the rule, in its true
// state, and the webhook receiver got each opening and resolution once:
// no transition lost, none doubled.

func TestFaultAlertsPostgresDown(t *testing.T) {
	testAlertsAcrossOutage(t, func(fc *faultCluster) (stop, start func()) { return fc.pg.Stop, fc.pg.Start })
}

func TestFaultAlertsRedisDownAndBackEmpty(t *testing.T) {
	testAlertsAcrossOutage(t, func(fc *faultCluster) (stop, start func()) { return fc.redis.Stop, fc.redis.Start })
}

// alertView is the part of an alert the tests read.
type alertView struct {
	ID       string `json:"id"`
	DeviceID string `json:"deviceId"`
	State    string `json:"state"`
}

func deviceAlerts(t testing.TB, api *client, ruleID, deviceID string) []alertView {
	t.Helper()
	var page struct{ Items []alertView }
	api.must(http.MethodGet, "/api/v1/alerts?ruleId="+ruleID+"&deviceId="+deviceID, nil, http.StatusOK, &page)
	return page.Items
}

func testAlertsAcrossOutage(t *testing.T, outageOf func(*faultCluster) (stop, start func())) {
	work := t.TempDir()
	pub, priv, err := pack.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := pack.EncodePublicKey(pub)
	fc := startFaultCluster(t, "BREEZE_PLUGIN_TRUSTED_KEYS="+writeFile(t, work, "vendor.pub", string(pubPEM)),
		"BREEZE_AGENT_HEARTBEAT=1s")
	outage := faultOutage(t)
	api := login(t, fc.a)
	site := api.site("Faults alerts")
	var siteView struct {
		OrgID string `json:"orgId"`
	}
	api.must(http.MethodGet, "/api/v1/sites/"+site, nil, http.StatusOK, &siteView)
	org := siteView.OrgID

	// The webhook channel and a route to it for every severity.
	raw, _ := os.ReadFile(packPlugin(t, work, "webhook", priv))
	if code, body := uploadPlugin(t, fc.a, api, raw); code != http.StatusCreated {
		t.Fatalf("install webhook: %d %s", code, body)
	}
	recv := &alertReceiver{}
	rs := httptest.NewServer(recv)
	t.Cleanup(rs.Close)
	api.must(http.MethodPost, "/api/v1/plugins/breeze.webhook/enable", nil, http.StatusOK, nil)
	api.must(http.MethodPut, "/api/v1/plugins/breeze.webhook/orgs/"+org,
		map[string]any{"enabled": true, "settings": map[string]any{"url": rs.URL, "secret": "fault-secret"}}, http.StatusOK, nil)
	api.must(http.MethodPost, "/api/v1/notification-routes", map[string]any{"orgId": org, "name": "all to webhook",
		"channelId": "breeze.webhook", "severities": []string{"info", "warning", "critical"}}, http.StatusCreated, nil)
	var rule struct {
		ID string `json:"id"`
	}
	api.must(http.MethodPost, "/api/v1/alert-rules", map[string]any{"orgId": org, "name": "cpu hot", "severity": "critical",
		"kind": "metric_threshold", "params": map[string]any{"metric": "cpu", "threshold": 90, "durationSeconds": 1, "clearThreshold": 50},
		"scopeKind": "org", "scopeIds": []string{org}}, http.StatusCreated, &rule)

	beat := 300 * time.Millisecond
	clearing := startSimAgent(t, fc.a, api, site, "clears-during-outage", beat)
	opening := startSimAgent(t, fc.a, api, site, "opens-during-outage", beat)
	clearing.setCPU(99)
	var first alertView
	eventually(t, 40*time.Second, "the first alert opened and notified", func() (bool, string) {
		as := deviceAlerts(t, api, rule.ID, clearing.deviceID)
		if len(as) != 1 {
			return false, fmt.Sprintf("%d alerts", len(as))
		}
		first = as[0]
		return recv.got(first.ID, "triggered") == 1, recv.String()
	})

	stop, start := outageOf(fc)
	stop()
	down := time.Now()
	clearing.setCPU(5)
	opening.setCPU(99)
	time.Sleep(time.Until(down.Add(outage)))
	start()

	// The reconcile after the return (every 30 s) repairs what the outage
	// kept from the store; the notification repair (a minute after the
	// transition, every minute) re-queues the deliveries Redis lost.
	var second alertView
	eventually(t, 180*time.Second, "both transitions stored and notified once", func() (bool, string) {
		a := deviceAlerts(t, api, rule.ID, clearing.deviceID)
		b := deviceAlerts(t, api, rule.ID, opening.deviceID)
		if len(a) != 1 || a[0].State != "resolved" || len(b) != 1 || b[0].State != "open" {
			return false, fmt.Sprintf("clearing device %+v, opening device %+v", a, b)
		}
		second = b[0]
		return recv.got(first.ID, "resolved") >= 1 && recv.got(second.ID, "triggered") >= 1, recv.String()
	})
	// Settle: nothing more may come (a doubled transition or notification).
	time.Sleep(3 * time.Second)
	if a, b := deviceAlerts(t, api, rule.ID, clearing.deviceID), deviceAlerts(t, api, rule.ID, opening.deviceID); len(a) != 1 || len(b) != 1 {
		t.Fatalf("alerts after settling: %+v and %+v, want one each", a, b)
	}
	for _, c := range []struct {
		id, status string
	}{{first.ID, "triggered"}, {first.ID, "resolved"}, {second.ID, "triggered"}} {
		if n := recv.got(c.id, c.status); n != 1 {
			t.Errorf("alert %s %s notified %d times, want once (%s)", c.id, c.status, n, recv)
		}
	}
}
