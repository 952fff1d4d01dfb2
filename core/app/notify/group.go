package notify

// Storm grouping. When 1 000 agents drop at once, a route must not send
// 1 000 messages. Per route, org, rule and kind (opening, acknowledgement,
// resolution, reminder), time is cut into fixed windows of the route's
// GroupIntervalSeconds (aligned on the clock, so every node computes the
// same window). The first GroupAfter notifications of a window go out at
// once, alone, as usual; every later one is logged "grouped" and waits
// for the window's end, when ONE digest ("N more: <rule> on a, b, c…")
// carries them all and each gets a log row naming the digest.
//
// Why not Alertmanager's way: its group_wait holds even the first alert
// of a group back (30 s by default) to batch what follows, then sends one
// update per group_interval. Breeze keeps the first few immediate (an
// engineer must hear of the first failure at once) and only batches a
// storm. Fixed windows (instead of one opened by the first alert) need no
// agreement between nodes; the cost is that a storm straddling a window
// boundary may send up to twice GroupAfter alone.
//
// Multi-node safety: a notification's place in its window is taken once,
// in the store (NotificationGroups.Join: a unique position per window, so
// racing nodes agree on who is among the first), and the digest is one
// queue task per window (unique key), which claims the waiting members
// under its own id before sending; members that joined after the claim
// go to a follow-up digest, and a digest task lost with a node is found by
// the sweep (NotificationGroups.Due).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// digestListed bounds the devices a digest names, digestIDs the alert ids
// in its "alertIds" label (the delivery log has every one).
const (
	digestListed = 20
	digestIDs    = 100
)

// digestTask is one digest's payload: its window and its id, drawn when it
// was queued (a digest run again after a crash claims the same members).
type digestTask struct {
	Window   domain.GroupWindow `json:"window"`
	DigestID string             `json:"digestId"`
}

// kindOf is the group kind of a delivery.
func kindOf(tk task) string {
	if tk.Reminder > 0 {
		return domain.GroupKindReminder
	}
	return string(tk.Transition)
}

// transitionOf is the alert transition of a group kind.
func transitionOf(kind string) domain.AlertState {
	if kind == domain.GroupKindReminder {
		return domain.AlertOpen
	}
	return domain.AlertState(kind)
}

// windowAt is the route's window holding now.
func windowAt(r *domain.NotificationRoute, now time.Time) (time.Time, time.Time) {
	iv := time.Duration(r.GroupIntervalSeconds) * time.Second
	start := time.Unix(0, 0).UTC().Add(now.UTC().Sub(time.Unix(0, 0)).Truncate(iv))
	return start, start.Add(iv)
}

// group places the delivery in its window; it reports whether the
// delivery is left to a digest.
func (s *Service) group(ctx context.Context, tk task, a *domain.Alert, r *domain.NotificationRoute, attempt int) (bool, error) {
	if !r.Grouping() {
		return false, nil
	}
	start, end := windowAt(r, s.d.Clock.Now())
	m, err := s.d.Store.NotificationGroups().Join(ctx, &domain.GroupMember{GroupWindow: domain.GroupWindow{RouteID: r.ID,
		OrgID: a.OrgID, RuleID: a.RuleID, Kind: kindOf(tk), Start: start, End: end}, AlertID: a.ID, Reminder: tk.Reminder}, r.GroupAfter)
	if errors.Is(err, domain.ErrNotFound) {
		return true, nil // the alert or route was deleted meanwhile
	}
	if err != nil {
		return true, err
	}
	if !m.Grouped {
		return false, nil
	}
	if m.DigestID != "" {
		return true, nil // a digest took it and logs it
	}
	// Logged before the digest is queued, so a digest that runs at once
	// (a late member) logs after it.
	s.record(ctx, &domain.NotificationDelivery{AlertID: a.ID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tk.Transition,
		Reminder: tk.Reminder, Attempt: attempt, Outcome: domain.DeliveryGrouped,
		Detail: fmt.Sprintf("storm: number %d of this rule on this route since %s; sent in the digest due at %s",
			m.Seq, m.Start.Format(time.RFC3339), m.End.Format(time.RFC3339))})
	return true, s.enqueueDigest(ctx, m.GroupWindow, m.End.Add(digestGrace), "")
}

// digestGrace lets the places taken just before a window's end land
// before its digest claims them.
const digestGrace = time.Second

// enqueueDigest queues w's digest for `at`, once per window (and after)
// while it is queued: members that join a window whose digest has run
// (late, under load) queue a new one; those that join while it runs are
// taken by the follow-up it queues when it ends (after: its id), and any
// left over by the sweep.
func (s *Service) enqueueDigest(ctx context.Context, w domain.GroupWindow, at time.Time, after string) error {
	payload, _ := json.Marshal(digestTask{Window: w, DigestID: domain.NewID()})
	key := "digest:" + w.RouteID + ":" + w.OrgID + ":" + w.RuleID + ":" + w.Kind + ":" + strconv.FormatInt(w.Start.Unix(), 10)
	if after != "" {
		key += ":after:" + after
	}
	_, err := s.d.Queue.Enqueue(ctx, DigestKind, payload, ports.EnqueueOptions{
		ProcessAt:  at,
		MaxRetries: s.d.MaxRetries,
		Timeout:    s.d.AttemptTimeout + time.Minute, // the send plus a log row per member
		UniqueKey:  key,
	})
	if errors.Is(err, ports.ErrDuplicateTask) {
		return nil
	}
	return err
}

// digest is the digest queue handler: it claims the window's waiting
// members and sends them as one notification; the final outcome is
// logged for every member (with the digest's id), a failed attempt that
// will be retried for the first member only.
func (s *Service) digest(ctx context.Context, t ports.Task) error {
	var dt digestTask
	if err := json.Unmarshal(t.Payload, &dt); err != nil || dt.DigestID == "" {
		return ports.SkipRetry(fmt.Errorf("notify: bad digest payload: %v", err))
	}
	g := domain.GlobalScope()
	r, err := s.d.Store.NotificationRoutes().Get(ctx, g, dt.Window.RouteID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.Enabled {
		return nil // disabled meanwhile: it sends nothing more
	}
	members, err := s.d.Store.NotificationGroups().Claim(ctx, dt.Window, dt.DigestID)
	if err != nil || len(members) == 0 {
		return err
	}
	tr := transitionOf(dt.Window.Kind)
	if done, err := s.d.Store.NotificationDeliveries().Delivered(ctx, members[0].AlertID, tr, members[0].Reminder, r.ID); err != nil || done {
		return err // sent already: a digest run again after its log was written
	}
	var alerts []*domain.Alert
	var kept []*domain.GroupMember
	for _, m := range members {
		a, err := s.d.Store.Alerts().Get(ctx, g, m.AlertID)
		if errors.Is(err, domain.ErrNotFound) {
			continue // deleted with its rule
		}
		if err != nil {
			return err
		}
		alerts, kept = append(alerts, a), append(kept, m)
	}
	if len(alerts) == 0 {
		return nil
	}
	n := s.digestNotification(ctx, dt, alerts)
	lead := &domain.NotificationDelivery{AlertID: kept[0].AlertID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tr,
		Reminder: kept[0].Reminder, Attempt: t.Attempt, DigestID: dt.DigestID}
	sendErr := s.allow(ctx, r, dt.Window.OrgID)
	if sendErr == nil {
		sendErr = s.send(ctx, r, n, lead)
	}
	final := s.final(t.Attempt)
	outcome, detail := outcome(sendErr, final)
	if sendErr != nil && !final {
		lead.Outcome, lead.Detail = outcome, fmt.Sprintf("digest of %d: %s", len(kept), detail)
		s.record(ctx, lead)
		s.d.Logger.Warn("notification digest not delivered", "route_id", r.ID, "digest_id", dt.DigestID, "attempt", t.Attempt, "error", sendErr)
		return sendErr
	}
	if sendErr == nil {
		detail = n.Title
	}
	for _, m := range kept {
		s.record(ctx, &domain.NotificationDelivery{AlertID: m.AlertID, RouteID: r.ID, ChannelID: r.ChannelID, Transition: tr,
			Reminder: m.Reminder, Attempt: t.Attempt, DigestID: dt.DigestID, Outcome: outcome, LatencyMS: lead.LatencyMS,
			Detail: fmt.Sprintf("in a digest of %d: %s", len(kept), detail)})
	}
	if err := s.enqueueDigest(ctx, dt.Window, s.d.Clock.Now().Add(digestGrace), dt.DigestID); err != nil {
		s.d.Logger.Warn("notification digest follow-up not queued: the sweep will find late members", "digest_id", dt.DigestID, "error", err)
	}
	if sendErr != nil {
		s.d.Logger.Warn("notification digest dead-lettered", "route_id", r.ID, "digest_id", dt.DigestID, "alerts", len(kept), "error", sendErr)
		return ports.SkipRetry(sendErr)
	}
	return nil
}

// digestNotification is "N more: <rule> on a, b, c…" with one line per
// listed device.
func (s *Service) digestNotification(ctx context.Context, dt digestTask, alerts []*domain.Alert) ports.Notification {
	g := domain.GlobalScope()
	ruleName := alerts[0].Message
	if rule, err := s.d.Store.AlertRules().Get(ctx, g, dt.Window.RuleID); err == nil {
		ruleName = rule.Name
	}
	names := make([]string, 0, min(len(alerts), digestListed))
	lines := make([]string, 0, cap(names)+1)
	for _, a := range alerts[:cap(names)] {
		name := a.DeviceID
		if dev, err := s.d.Store.Devices().Get(ctx, g, a.DeviceID); err == nil && dev.Hostname != "" {
			name = dev.Hostname
		}
		names = append(names, name)
		lines = append(lines, name+": "+a.Message)
	}
	on := strings.Join(names, ", ")
	if rest := len(alerts) - len(names); rest > 0 {
		on += fmt.Sprintf(" and %d others", rest)
		lines = append(lines, fmt.Sprintf("… and %d more", rest))
	}
	what := map[string]string{"open": "opened", "acknowledged": "acknowledged", "resolved": "resolved",
		domain.GroupKindReminder: "still open"}[dt.Window.Kind]
	ids := make([]string, 0, min(len(alerts), digestIDs))
	for _, a := range alerts[:cap(ids)] {
		ids = append(ids, a.ID)
	}
	return ports.Notification{
		ID: "digest:" + dt.DigestID, OrgID: dt.Window.OrgID, Severity: string(alerts[0].Severity),
		Status: statusOf(transitionOf(dt.Window.Kind)),
		Title:  fmt.Sprintf("[%s] %d more %s: %s on %s", alerts[0].Severity, len(alerts), what, ruleName, on),
		Message: fmt.Sprintf("%d alerts of rule %q %s between %s and %s:\n%s", len(alerts), ruleName, what,
			dt.Window.Start.Format(time.RFC3339), dt.Window.End.Format(time.RFC3339), strings.Join(lines, "\n")),
		Source: "breeze", OccurredAt: dt.Window.End,
		Labels: map[string]string{"digest": "true", "digestId": dt.DigestID, "count": strconv.Itoa(len(alerts)),
			"ruleId": dt.Window.RuleID, "groupKind": dt.Window.Kind, "alertIds": strings.Join(ids, ",")},
	}
}
