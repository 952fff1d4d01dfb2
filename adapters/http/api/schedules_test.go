package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

const schedPath = "/api/v1/schedules"

// newScript stores a script with one required string parameter.
func newScript(t *testing.T, rs *remoteServer, token, orgID string) string {
	t.Helper()
	code, sc := rs.Do(t, http.MethodPost, "/api/v1/scripts", token, map[string]any{
		"orgId": orgID, "name": "check-" + domain.NewID()[24:], "language": "bash", "body": `echo "$BREEZE_PARAM_PATH"`,
		"params": []map[string]any{{"name": "path", "type": "string", "required": true}},
	})
	if code != http.StatusCreated {
		t.Fatalf("create script: %d %v", code, sc)
	}
	return sc["id"].(string)
}

func scheduleBody(org, scriptID string) map[string]any {
	return map[string]any{"orgId": org, "name": "nightly " + domain.NewID()[24:], "timezone": "Europe/Berlin",
		"cron": "30 2 * * 1-5", "target": map[string]any{"kind": "org", "ids": []string{org}},
		"task": map[string]any{"kind": "script", "scriptId": scriptID, "params": map[string]any{"path": "/tmp"}}}
}

func TestSchedulesAPI(t *testing.T) { bothProfiles(t, testSchedulesAPI) }

func testSchedulesAPI(t *testing.T, rs *remoteServer) {
	org := rs.Seed.A.Orgs[0].ID
	sid := newScript(t, rs, rs.admin, org)
	tokB := rs.Login(t, rs.Seed.B.Admin.Email, rs.Seed.B.Admin.Password)
	sidB := newScript(t, rs, tokB, rs.Seed.B.Orgs[0].ID)
	groupB := &domain.DeviceGroup{OrgID: rs.Seed.B.Orgs[0].ID, Name: "B servers"}
	if err := rs.Store.DeviceGroups().Create(context.Background(), domain.GlobalScope(), groupB); err != nil {
		t.Fatal(err)
	}
	base := scheduleBody(org, sid)

	// Bad input: 400 with a clear message, nothing stored.
	for _, c := range []struct {
		change map[string]any
		want   string
	}{
		{map[string]any{"cron": "61 * * * *"}, "minute"},
		{map[string]any{"cron": "* * * *"}, "5 fields"},
		{map[string]any{"cron": "0 0 30 2 *"}, "never fires"},
		{map[string]any{"timezone": "Mars/Olympus_Mons"}, "IANA"},
		{map[string]any{"timezone": "../../etc/passwd"}, "IANA"},
		{map[string]any{"runAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "not both"},
		{map[string]any{"cron": nil, "runAt": "2001-01-01T00:00:00Z"}, "past"},
		{map[string]any{"offlinePolicy": "when_online"}, "graceMinutes"},
		{map[string]any{"offlinePolicy": "sometimes"}, "offlinePolicy"},
		{map[string]any{"graceMinutes": 20000}, "graceMinutes"},
		{map[string]any{"spreadSeconds": 3601}, "spreadSeconds"},
		{map[string]any{"spreadSeconds": -1}, "spreadSeconds"},
		{map[string]any{"task": map[string]any{"kind": "script", "scriptId": sid}}, "required"},
		{map[string]any{"task": map[string]any{"kind": "script", "scriptId": sid, "params": map[string]any{"path": "/", "evil": 1}}}, "no parameter"},
		{map[string]any{"task": map[string]any{"kind": "action", "action": "run_script", "payload": map[string]any{}}}, "script"},
		{map[string]any{"task": map[string]any{"kind": "action", "action": "format_disk"}}, "unknown action"},
		{map[string]any{"task": map[string]any{"kind": "macro"}}, "task.kind"},
		{map[string]any{"target": map[string]any{"kind": "org", "ids": []string{}}}, "exactly one"},
		{map[string]any{"target": map[string]any{"kind": "planet", "ids": []string{org}}}, "target.kind"},
		{map[string]any{"name": ""}, "name"},
		{map[string]any{"version": 2}, "version"},
	} {
		bad := clone(base)
		for k, v := range c.change {
			if v == nil {
				delete(bad, k)
			} else {
				bad[k] = v
			}
		}
		code, body := rs.Do(t, http.MethodPost, schedPath, rs.admin, bad)
		if code != http.StatusBadRequest || !strings.Contains(strings.ToLower(apitest.ErrorMessage(body)), strings.ToLower(c.want)) {
			t.Errorf("%v: %d %v, want 400 mentioning %q", c.change, code, body, c.want)
		}
	}
	// Another tenant's group, script or org: 404.
	for name, change := range map[string]map[string]any{
		"group of B":  {"target": map[string]any{"kind": "group", "ids": []string{groupB.ID}}},
		"org of B":    {"target": map[string]any{"kind": "org", "ids": []string{rs.Seed.B.Orgs[0].ID}}},
		"script of B": {"task": map[string]any{"kind": "script", "scriptId": sidB, "params": map[string]any{"path": "/"}}},
		"owner B":     {"orgId": rs.Seed.B.Orgs[0].ID},
	} {
		bad := clone(base)
		for k, v := range change {
			bad[k] = v
		}
		if code, body := rs.Do(t, http.MethodPost, schedPath, rs.admin, bad); code != http.StatusNotFound {
			t.Errorf("%s: %d %v, want 404", name, code, body)
		}
	}
	if n := countSchedules(t, rs); n != 0 {
		t.Fatalf("bad input stored %d schedules", n)
	}

	// Create: 201, next fire computed in the zone, one audit row.
	audits := len(rs.AuditRows(t))
	code, sc := rs.Do(t, http.MethodPost, schedPath, rs.admin, base)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, sc)
	}
	id := sc["id"].(string)
	next, err := time.Parse(time.RFC3339, sc["nextFireAt"].(string))
	if err != nil || next.In(mustZone(t, "Europe/Berlin")).Format("15:04") != "02:30" || sc["enabled"] != true ||
		sc["offlinePolicy"] != "skip" || sc["version"].(float64) != 1 {
		t.Fatalf("created %v", sc)
	}
	all := rs.AuditRows(t)
	if len(all) != audits+1 || all[0].ResourceType != "schedule" || all[0].ResourceID != id {
		t.Fatalf("audit: %d new rows, newest %+v", len(all)-audits, all[0])
	}
	// B sees nothing of it.
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if code, _ := rs.Do(t, m, schedPath+"/"+id, tokB, nil); code != http.StatusNotFound {
			t.Fatalf("B %s: %d, want 404", m, code)
		}
	}
	if code, _ := rs.Do(t, http.MethodPatch, schedPath+"/"+id, tokB, map[string]any{"enabled": false, "version": 1}); code != http.StatusNotFound {
		t.Fatalf("B patch: %d, want 404", code)
	}
	if code, _ := rs.Do(t, http.MethodGet, schedPath+"/"+id+"/fires", tokB, nil); code != http.StatusNotFound {
		t.Fatalf("B fires: %d, want 404", code)
	}
	// Pause (partial PATCH), stale version, list filter.
	code, up := rs.Do(t, http.MethodPatch, schedPath+"/"+id, rs.admin, map[string]any{"enabled": false, "version": 1})
	if code != http.StatusOK || up["enabled"] != false || up["nextFireAt"] != nil || up["cron"] != "30 2 * * 1-5" || up["version"].(float64) != 2 {
		t.Fatalf("pause: %d %v", code, up)
	}
	if code, _ := rs.Do(t, http.MethodPatch, schedPath+"/"+id, rs.admin, map[string]any{"enabled": true, "version": 1}); code != http.StatusConflict {
		t.Fatalf("stale version: %d, want 409", code)
	}
	code, lst := rs.Do(t, http.MethodGet, schedPath+"?enabled=false&orgId="+org, rs.admin, nil)
	if code != http.StatusOK || len(lst["items"].([]any)) != 1 {
		t.Fatalf("list paused: %d %v", code, lst)
	}
	if code, _ := rs.Do(t, http.MethodGet, schedPath+"?enabled=maybe", rs.admin, nil); code != http.StatusBadRequest {
		t.Fatalf("enabled=maybe: %d", code)
	}
	// Preview.
	code, pv := rs.Do(t, http.MethodPost, schedPath+"/preview", rs.admin, map[string]any{"cron": "0 9 * * *", "timezone": "America/New_York"})
	if code != http.StatusOK || len(pv["fireTimes"].([]any)) != 5 {
		t.Fatalf("preview: %d %v", code, pv)
	}
	// A spread: the schedule's stored offset moves its next fire within the
	// window, and the preview of that schedule agrees with it.
	code, spread := rs.Do(t, http.MethodPatch, schedPath+"/"+id, rs.admin, map[string]any{"enabled": true, "spreadSeconds": 3600,
		"cron": "0 9 * * *", "timezone": "UTC", "version": 2})
	if code != http.StatusOK || spread["spreadSeconds"].(float64) != 3600 {
		t.Fatalf("spread: %d %v", code, spread)
	}
	spreadNext, _ := time.Parse(time.RFC3339, spread["nextFireAt"].(string))
	if off := spreadNext.Sub(spreadNext.Truncate(24 * time.Hour).Add(9 * time.Hour)); off < 0 || off >= time.Hour ||
		off != schedules.SpreadOffset(id, 3600) {
		t.Fatalf("spread next fire %v: offset %v, want %v", spreadNext, off, schedules.SpreadOffset(id, 3600))
	}
	code, pvs := rs.Do(t, http.MethodPost, schedPath+"/preview", rs.admin, map[string]any{"cron": "0 9 * * *", "timezone": "UTC",
		"scheduleId": id, "spreadSeconds": 3600, "count": 1})
	if code != http.StatusOK || pvs["fireTimes"].([]any)[0] != spread["nextFireAt"] {
		t.Fatalf("spread preview: %d %v, want %v", code, pvs, spread["nextFireAt"])
	}
	if code, _ := rs.Do(t, http.MethodPatch, schedPath+"/"+id, rs.admin, map[string]any{"enabled": false, "spreadSeconds": 0,
		"cron": "30 2 * * 1-5", "timezone": "Europe/Berlin", "version": 3}); code != http.StatusOK {
		t.Fatalf("spread off: %d", code)
	}
	for _, bad := range []map[string]any{{"cron": "0 25 * * *", "timezone": "UTC"}, {"cron": "0 1 * * *", "timezone": "Nowhere/City"},
		{"cron": "0 1 * * *", "timezone": "UTC", "count": 21}} {
		if code, body := rs.Do(t, http.MethodPost, schedPath+"/preview", rs.admin, bad); code != http.StatusBadRequest {
			t.Fatalf("preview %v: %d %v", bad, code, body)
		}
	}
	if code, _ := rs.Do(t, http.MethodDelete, schedPath+"/"+id, rs.admin, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := rs.Do(t, http.MethodGet, schedPath+"/"+id, rs.admin, nil); code != http.StatusNotFound {
		t.Fatalf("get deleted: %d", code)
	}
}

func countSchedules(t *testing.T, rs *remoteServer) int {
	t.Helper()
	pg, err := rs.Store.Schedules().List(context.Background(), domain.GlobalScope(), ports.ScheduleFilter{}, domain.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return len(pg.Items)
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fires waits until the schedule has want fires with a recorded outcome.
func waitFires(t *testing.T, rs *remoteServer, id string, want int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var items []any
	for time.Now().Before(deadline) {
		code, body := rs.Do(t, http.MethodGet, schedPath+"/"+id+"/fires", rs.admin, nil)
		if code != http.StatusOK {
			t.Fatalf("fires: %d %v", code, body)
		}
		items = body["items"].([]any)
		done := len(items) >= want
		for _, it := range items {
			if e, _ := it.(map[string]any)["error"].(string); strings.Contains(e, "interrupted") {
				done = false
			}
		}
		if done {
			out := make([]map[string]any, len(items))
			for i, it := range items {
				out[i] = it.(map[string]any)
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("schedule %s: %d fires, want %d: %v", id, len(items), want, items)
	return nil
}

// dueNow moves the test clock to the schedule's next fire.
func dueNow(t *testing.T, rs *remoteServer, id string, late time.Duration) time.Time {
	t.Helper()
	sc, err := rs.Store.Schedules().GetSystem(context.Background(), id)
	if err != nil || sc.NextFireAt == nil {
		t.Fatalf("schedule %s: %v next %v", id, err, sc)
	}
	rs.Clock.Advance(sc.NextFireAt.Sub(rs.Clock.Now()) + late)
	rs.admin = rs.Login(t, rs.Seed.A.Admin.Email, apitest.DefaultPassword) // the token may have expired
	return *sc.NextFireAt
}

func TestScheduleFires(t *testing.T) { bothProfiles(t, testScheduleFires) }

func testScheduleFires(t *testing.T, rs *remoteServer) {
	ctx := context.Background()
	conn := rs.link(t)
	org := rs.Seed.A.Orgs[0].ID
	sid := newScript(t, rs, rs.admin, org)
	body := scheduleBody(org, sid)
	body["cron"] = "*/5 * * * *"
	code, sc := rs.Do(t, http.MethodPost, schedPath, rs.admin, body)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, sc)
	}
	id := sc["id"].(string)

	// Two scheduler instances (two nodes) tick the same due fire at once.
	other, err := schedules.New(schedules.Deps{Store: rs.Store, Scripts: rs.Remote.Scripts, Commands: rs.Remote.Commands,
		Queue: rs.Remote.Queue, Clock: rs.Clock})
	if err != nil {
		t.Fatal(err)
	}
	fireAt := dueNow(t, rs, id, 300*time.Millisecond)
	var wg sync.WaitGroup
	for _, s := range []*schedules.Service{rs.Remote.Schedules, other, rs.Remote.Schedules, other} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = s.Tick(ctx) }()
	}
	wg.Wait()
	// The same fire queued again with no unique key (the key frees once a
	// task is done): the fire row keeps it once.
	raw, _ := json.Marshal(map[string]any{"scheduleId": id, "fireAt": fireAt})
	if _, err := rs.Remote.Queue.Enqueue(ctx, schedules.TaskFire, raw, ports.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	fires := waitFires(t, rs, id, 1)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	now := time.Now().UTC()
	sendJSON(t, conn, protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: cmd.ID},
		Status: protocol.ResultSucceeded, ExitCode: intp(0), Stdout: "/tmp\n", StartedAt: now, FinishedAt: now})
	rs.waitStatus(t, rs.admin, cmd.ID, "succeeded")
	time.Sleep(300 * time.Millisecond) // let the duplicate task run too
	fires = waitFires(t, rs, id, 1)
	if len(fires) != 1 || fires[0]["status"] != "fired" || fires[0]["scriptRunId"] == nil {
		t.Fatalf("fires after a race: %v", fires)
	}
	runs, err := rs.Store.Scripts().ListRuns(ctx, domain.GlobalScope(), sid, domain.PageRequest{})
	if err != nil || len(runs.Items) != 1 {
		t.Fatalf("script runs: %v %d, want 1", err, len(runs.Items))
	}
	fires = waitFires(t, rs, id, 1)
	counts, _ := fires[0]["counts"].(map[string]any)
	if counts["succeeded"] != float64(1) || fires[0]["total"] != float64(1) {
		t.Fatalf("fire counts: %v", fires[0])
	}
	got, _ := rs.Store.Schedules().GetSystem(ctx, id)
	if got.LastFireAt == nil || !got.LastFireAt.Equal(fireAt) || got.NextFireAt == nil || !got.NextFireAt.Equal(fireAt.Add(5*time.Minute)) {
		t.Fatalf("after the fire: last %v next %v", got.LastFireAt, got.NextFireAt)
	}

	// The clock jumps back: nothing fires again.
	rs.Clock.Advance(-10 * time.Minute)
	if n, err := rs.Remote.Schedules.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("tick after the clock went back: %d %v", n, err)
	}
	rs.Clock.Advance(10 * time.Minute)

	// The clock jumps forward 2 hours (or every node was down): one
	// catch-up fire at most; outside the grace of 0 it is recorded skipped.
	rs.Clock.Advance(2*time.Hour + 3*time.Minute)
	rs.admin = rs.Login(t, rs.Seed.A.Admin.Email, apitest.DefaultPassword)
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fires = waitFires(t, rs, id, 2)
	if len(fires) != 2 || fires[0]["status"] != "skipped" || !strings.Contains(fires[0]["error"].(string), "grace") {
		t.Fatalf("a missed fire outside the grace: %v", fires)
	}
	// Within the grace: one catch-up fire that runs.
	code, up := rs.Do(t, http.MethodPatch, schedPath+"/"+id, rs.admin, map[string]any{"graceMinutes": 30, "version": 1})
	if code != http.StatusOK {
		t.Fatalf("patch grace: %d %v", code, up)
	}
	dueNow(t, rs, id, 12*time.Minute) // two fires missed, the latest 2 minutes ago
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fires = waitFires(t, rs, id, 3)
	if len(fires) != 3 || fires[0]["status"] != "fired" || !strings.Contains(fires[0]["error"].(string), "catch-up") {
		t.Fatalf("a missed fire within the grace: %v", fires)
	}
	nextOfType(t, conn, protocol.TypeCommand, &cmd)

	// The script is deleted: the next fire fails with a clear error on the
	// fire and on the schedule, never a silent skip.
	if code, _ := rs.Do(t, http.MethodDelete, "/api/v1/scripts/"+sid, rs.admin, nil); code != http.StatusNoContent {
		t.Fatalf("delete script: %d", code)
	}
	dueNow(t, rs, id, 100*time.Millisecond)
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fires = waitFires(t, rs, id, 4)
	if fires[0]["status"] != "failed" || !strings.Contains(fires[0]["error"].(string), "script was deleted") {
		t.Fatalf("fire of a deleted script: %v", fires[0])
	}
	code, cur := rs.Do(t, http.MethodGet, schedPath+"/"+id, rs.admin, nil)
	if code != http.StatusOK || !strings.Contains(cur["lastError"].(string), "script was deleted") {
		t.Fatalf("schedule after a failed fire: %v", cur)
	}
}

func TestScheduleOfflinePolicy(t *testing.T) { bothProfiles(t, testScheduleOfflinePolicy) }

func testScheduleOfflinePolicy(t *testing.T, rs *remoteServer) {
	ctx := context.Background()
	org := rs.Seed.A.Orgs[0].ID
	mk := func(policy string, grace int) string {
		code, sc := rs.Do(t, http.MethodPost, schedPath, rs.admin, map[string]any{"orgId": org, "name": "uptime " + policy,
			"timezone": "UTC", "cron": "0 * * * *", "target": map[string]any{"kind": "devices", "ids": []string{rs.deviceID}},
			"task": map[string]any{"kind": "action", "action": "uptime"}, "offlinePolicy": policy, "graceMinutes": grace})
		if code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", policy, code, sc)
		}
		return sc["id"].(string)
	}
	skip, wait := mk("skip", 0), mk("when_online", 30)
	// The device is offline: skip leaves it out (a skipped fire says so);
	// when_online queues its command with an expiry of the grace.
	dueNow(t, rs, skip, 100*time.Millisecond)
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fs := waitFires(t, rs, skip, 1)
	if fs[0]["status"] != "skipped" || !strings.Contains(fs[0]["error"].(string), "offline") {
		t.Fatalf("skip fire: %v", fs[0])
	}
	fs = waitFires(t, rs, wait, 1)
	ids, _ := fs[0]["commandIds"].([]any)
	if fs[0]["status"] != "fired" || len(ids) != 1 {
		t.Fatalf("when_online fire: %v", fs[0])
	}
	c, err := rs.Store.Commands().Get(ctx, domain.GlobalScope(), ids[0].(string))
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != domain.CommandQueued || c.ExpiresAt.Sub(c.CreatedAt) != 30*time.Minute {
		t.Fatalf("when_online command: %s, expires %v after creation", c.Status, c.ExpiresAt.Sub(c.CreatedAt))
	}
	// The device returns: the queued command is delivered.
	conn := rs.link(t)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	if cmd.ID != c.ID {
		t.Fatalf("delivered %s, want %s", cmd.ID, c.ID)
	}
}

func TestScheduleSecretParams(t *testing.T) { bothProfiles(t, testScheduleSecretParams) }

func testScheduleSecretParams(t *testing.T, rs *remoteServer) {
	ctx := context.Background()
	conn := rs.link(t)
	org := rs.Seed.A.Orgs[0].ID
	code, scr := rs.Do(t, http.MethodPost, "/api/v1/scripts", rs.admin, map[string]any{
		"orgId": org, "name": "with-secret", "language": "bash", "body": `echo ok`,
		"params": []map[string]any{{"name": "token", "type": "secret", "required": true}},
	})
	if code != http.StatusCreated {
		t.Fatalf("create script: %d %v", code, scr)
	}
	body := scheduleBody(org, scr["id"].(string))
	body["cron"] = "0 * * * *"
	body["task"] = map[string]any{"kind": "script", "scriptId": scr["id"], "params": map[string]any{"token": "s3cret"}}
	code, sc := rs.Do(t, http.MethodPost, schedPath, rs.admin, body)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, sc)
	}
	id := sc["id"].(string)
	if sc["task"].(map[string]any)["params"].(map[string]any)["token"] != "********" {
		t.Fatalf("the API shows the secret: %v", sc["task"])
	}
	stored, _ := rs.Store.Schedules().GetSystem(ctx, id)
	if strings.Contains(string(stored.Params), "s3cret") || !strings.Contains(string(stored.Params), "sealed:") {
		t.Fatalf("stored in clear: %s", stored.Params)
	}
	// A PATCH sending back what GET showed keeps the secret.
	code, up := rs.Do(t, http.MethodPatch, schedPath+"/"+id, rs.admin, map[string]any{"version": 1,
		"task": map[string]any{"kind": "script", "scriptId": scr["id"], "params": map[string]any{"token": "********"}}})
	if code != http.StatusOK {
		t.Fatalf("patch: %d %v", code, up)
	}
	dueNow(t, rs, id, 100*time.Millisecond)
	if _, err := rs.Remote.Schedules.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	waitFires(t, rs, id, 1)
	var cmd protocol.Command
	nextOfType(t, conn, protocol.TypeCommand, &cmd)
	var p protocol.RunScriptPayload
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Env["BREEZE_PARAM_TOKEN"] != "s3cret" {
		t.Fatalf("the agent got %q, want the secret", p.Env["BREEZE_PARAM_TOKEN"])
	}
}
