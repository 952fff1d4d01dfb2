package schedules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// fireTask is the queued work of one fire.
type fireTask struct {
	ScheduleID string    `json:"scheduleId"`
	FireAt     time.Time `json:"fireAt"`
	// Missed: the fire is a catch-up after every node was down (or the
	// clock jumped); Skipped > 0 counts the older fires left out.
	Missed  bool `json:"missed,omitempty"`
	Skipped int  `json:"skipped,omitempty"`
	// Stale: the latest missed fire is outside the grace: recorded as
	// skipped, nothing runs.
	Stale bool `json:"stale,omitempty"`
}

// UniqueKey is a fire's queue key: one task per (schedule, fire time).
func UniqueKey(scheduleID string, fireAt time.Time) string {
	return scheduleID + "@" + strconv.FormatInt(fireAt.UTC().Unix(), 10)
}

// Tick enqueues the fires of every due schedule and moves each one's
// NextFireAt on; it returns how many fires it queued. Safe on every node
// at once: the queue's unique key, the compare-and-set on NextFireAt and
// the store's unique fire row each make a fire once.
//
// A schedule whose NextFireAt lies more than OnTime+grace in the past
// (every node was down, or the clock jumped forward) fires at most once:
// its latest missed fire when within the grace, else nothing (a skipped
// Fire says so), never a burst of every missed fire. A clock jumping back
// fires nothing twice: NextFireAt only moves forward, and a fire time is
// unique per schedule.
func (s *Service) Tick(ctx context.Context) (int, error) {
	queued := 0
	for {
		now := s.d.Clock.Now().UTC()
		due, err := s.d.Store.Schedules().Due(ctx, now, dueBatch)
		if err != nil {
			return queued, err
		}
		// One transaction per batch: the SQLite queue joins it, so a batch
		// costs one commit, not two per schedule. A batch that fails is
		// retried schedule by schedule, so one bad schedule stops no other.
		progressed, n := 0, 0
		err = s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			progressed, n = 0, 0
			for _, sc := range due {
				ok, err := s.fireDue(ctx, tx, sc, now)
				if err != nil {
					return err
				}
				progressed++
				if ok {
					n++
				}
			}
			return nil
		})
		if err != nil {
			progressed, n = 0, 0
			for _, sc := range due {
				ok, err := s.fireDue(ctx, s.d.Store, sc, now)
				if err != nil {
					s.d.Logger.Warn("schedule fire not queued", "schedule_id", sc.ID, "error", err)
					continue
				}
				progressed++
				if ok {
					n++
				}
			}
		}
		queued += n
		if len(due) < dueBatch || progressed == 0 {
			return queued, nil
		}
	}
}

// fireDue queues the fire of one due schedule and advances it.
func (s *Service) fireDue(ctx context.Context, st ports.Store, sc *domain.Schedule, now time.Time) (bool, error) {
	prev := sc.NextFireAt
	tm, err := Compile(sc)
	if err != nil {
		// Stored before its zone left the zone database: stop it, loudly.
		if _, aerr := st.Schedules().Advance(ctx, sc.ID, prev, nil); aerr != nil {
			return false, aerr
		}
		return false, st.Schedules().Fired(ctx, sc.ID, *prev, "the schedule's timing no longer compiles: "+err.Error())
	}
	task, next := plan(tm, sc, *prev, now)
	raw, err := json.Marshal(task)
	if err != nil {
		return false, err
	}
	queued := true
	_, err = s.d.Queue.Enqueue(ctx, TaskFire, raw, ports.EnqueueOptions{UniqueKey: UniqueKey(sc.ID, task.FireAt),
		MaxRetries: 10, Timeout: 5 * time.Minute})
	if errors.Is(err, ports.ErrDuplicateTask) {
		queued = false // another node queued it
	} else if err != nil {
		return false, fmt.Errorf("queue the fire: %w", err)
	}
	var nextPtr *time.Time
	if !next.IsZero() {
		nextPtr = &next
	}
	if _, err := st.Schedules().Advance(ctx, sc.ID, prev, nextPtr); err != nil {
		return queued, err
	}
	return queued, nil
}

// plan decides a due schedule's fire and its next fire time: the fire at
// NextFireAt when on time; else the latest fire at or before now (missed
// ones between are counted, not run), stale when outside the grace.
func plan(tm *Timing, sc *domain.Schedule, due, now time.Time) (fireTask, time.Time) {
	task := fireTask{ScheduleID: sc.ID, FireAt: due}
	latest, skipped := due, 0
	for i := 0; i < maxMissedScan; i++ {
		at, ok := tm.Next(latest)
		if !ok || at.After(now) {
			break
		}
		latest, skipped = at, skipped+1
	}
	if skipped > 0 || now.Sub(due) > OnTime {
		task.FireAt, task.Missed, task.Skipped = latest, true, skipped
		grace := time.Duration(sc.GraceMinutes) * time.Minute
		task.Stale = now.Sub(latest) > OnTime+grace
	}
	next, ok := tm.Next(latest)
	if !ok {
		next = time.Time{}
	}
	return task, next
}
