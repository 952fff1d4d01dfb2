package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// A node dies in the middle of a fire's fan-out (its claim is stored, some
// devices got their command, the outcome is not): the queue's next attempt
// of the same task resumes the fire, and every device gets the work once.
func TestScheduleFireResumesAfterDeath(t *testing.T) { bothProfiles(t, testScheduleFireResumes) }

func testScheduleFireResumes(t *testing.T, rs *remoteServer) {
	ctx := context.Background()
	org := rs.Seed.A.Orgs[0].ID
	devices := []string{rs.deviceID}
	for i := 1; i < 4; i++ {
		id, _ := rs.NewDevice(t, rs.Seed.A, 0, "resume-"+strconv.Itoa(i))
		devices = append(devices, id)
	}
	admin := &domain.Principal{Kind: domain.PrincipalUser, UserID: rs.Seed.A.Admin.ID, PartnerID: rs.Seed.A.Partner.ID,
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: rs.Seed.A.Partner.ID}, Permissions: domain.AllPermissions()}}}

	// interrupted stores what a dead worker leaves: the claim, as the fire
	// handler writes it before any work.
	interrupted := func(id string, fireAt time.Time, runID string) {
		t.Helper()
		f := &domain.ScheduleFire{ScheduleID: id, FireAt: fireAt, FiredAt: fireAt, Status: domain.FireFailed,
			Error:       "the fire was interrupted before its outcome was recorded (a node stopped); check the script run or commands",
			ScriptRunID: runID}
		if err := rs.Store.Schedules().CreateFire(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	// retry is the queue's next attempt of the fire's task.
	retry := func(id string, fireAt time.Time) {
		t.Helper()
		raw, _ := json.Marshal(map[string]any{"scheduleId": id, "fireAt": fireAt})
		if _, err := rs.Remote.Queue.Enqueue(ctx, schedules.TaskFire, raw, ports.EnqueueOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// An action fire: the dead worker reached two of the four devices.
	code, sc := rs.Do(t, http.MethodPost, schedPath, rs.admin, map[string]any{"orgId": org, "name": "resume action",
		"timezone": "UTC", "cron": "0 * * * *", "target": map[string]any{"kind": "devices", "ids": devices},
		"task": map[string]any{"kind": "action", "action": "uptime"}, "offlinePolicy": "when_online", "graceMinutes": 30})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, sc)
	}
	id := sc["id"].(string)
	fireAt := time.Now().UTC().Truncate(time.Second)
	key := "sched:" + id + ":" + strconv.FormatInt(fireAt.Unix(), 10)
	interrupted(id, fireAt, "")
	for _, d := range devices[:2] {
		code, c := rs.Do(t, http.MethodPost, "/api/v1/devices/"+d+"/commands", rs.admin,
			map[string]any{"action": "uptime", "idempotencyKey": key})
		if code != http.StatusCreated && code != http.StatusAccepted {
			t.Fatalf("the dead worker's command: %d %v", code, c)
		}
	}
	retry(id, fireAt)
	fires := waitFires(t, rs, id, 1)
	if fires[0]["status"] != "fired" || len(fires[0]["commandIds"].([]any)) != len(devices) {
		t.Fatalf("resumed action fire: %v", fires[0])
	}
	for _, d := range devices {
		pg, err := rs.Store.Commands().List(ctx, domain.GlobalScope(), ports.CommandFilter{DeviceID: d}, domain.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range pg.Items {
			if c.IdempotencyKey == key {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("device %s got the fire %d times, want once", d, n)
		}
	}
	// A finished fire is never resumed: another attempt changes nothing.
	retry(id, fireAt)
	time.Sleep(300 * time.Millisecond)
	if again := waitFires(t, rs, id, 1); len(again) != 1 || again[0]["firedAt"] != fires[0]["firedAt"] {
		t.Fatalf("a finished fire ran again: %v", again)
	}

	// A script fire: the dead worker had started the run (its id chosen at
	// the claim) but not recorded it: the resumed fire finds that run and
	// starts no second one.
	sid := newScript(t, rs, rs.admin, org)
	body := scheduleBody(org, sid)
	body["target"] = map[string]any{"kind": "devices", "ids": devices}
	body["offlinePolicy"], body["graceMinutes"] = "when_online", 30
	code, sc = rs.Do(t, http.MethodPost, schedPath, rs.admin, body)
	if code != http.StatusCreated {
		t.Fatalf("create script schedule: %d %v", code, sc)
	}
	sidSched := sc["id"].(string)
	runID := domain.NewID()
	interrupted(sidSched, fireAt, runID)
	if _, err := rs.Remote.Scripts.Run(ctx, admin, sid, scripts.RunInput{DeviceIDs: devices, RunID: runID,
		Params: map[string]any{"path": "/tmp"}}); err != nil {
		t.Fatal(err)
	}
	retry(sidSched, fireAt)
	fires = waitFires(t, rs, sidSched, 1)
	if fires[0]["status"] != "fired" || fires[0]["scriptRunId"] != runID {
		t.Fatalf("resumed script fire: %v (want run %s)", fires[0], runID)
	}
	runs, err := rs.Store.Scripts().ListRuns(ctx, domain.GlobalScope(), sid, domain.PageRequest{})
	if err != nil || len(runs.Items) != 1 {
		t.Fatalf("script runs after the resume: %v %d, want 1", err, len(runs.Items))
	}
	// Every device gets the run's command once (the fan-out task is keyed
	// per device too).
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := rs.Store.Commands().CountByBatch(ctx, runID)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, v := range n {
			total += v
		}
		if total == len(devices) {
			break
		}
		if total > len(devices) || time.Now().After(deadline) {
			t.Fatalf("run %s has %d commands, want %d", runID, total, len(devices))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The same run id on another script is refused, not silently reused.
	other := newScript(t, rs, rs.admin, org)
	if _, err := rs.Remote.Scripts.Run(ctx, admin, other, scripts.RunInput{DeviceIDs: devices, RunID: runID,
		Params: map[string]any{"path": "/tmp"}}); err == nil {
		t.Fatal("a run id reused for another script was accepted")
	}
}
