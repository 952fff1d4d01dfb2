package schedules

import (
	"hash/fnv"
	"math/bits"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones resolve on hosts without a zoneinfo database

	"github.com/breeze-rmm/breeze/core/domain"
)

// Timing is a schedule's compiled fire rule: a 5-field cron expression
// (minute hour day-of-month month day-of-week) or a one-off instant, in a
// time zone. It is pure and safe for concurrent use.
//
// The fields take numbers, "*", ranges "a-b", steps "*/n" and "a-b/n",
// comma lists, and the names jan..dec and sun..sat (7 is Sunday too). As
// in Vixie cron, when both day fields are restricted a day matching either
// one fires; otherwise both must match.
//
// DST, explicitly: a wall time a spring-forward change skips fires once at
// the first valid instant after it (the transition: a 02:30 job fires at
// 03:00 when 02:00 jumps to 03:00, and several skipped times of one job
// make that one fire); a wall time a fall-back change repeats fires once,
// at its first occurrence (an hourly job therefore does not fire in the
// repeated hour).
type Timing struct {
	loc *time.Location
	// once is set for a one-off.
	once *time.Time

	minute  uint64 // bits 0..59
	hour    uint32 // bits 0..23
	dom     uint32 // bits 1..31
	month   uint16 // bits 1..12
	dow     uint8  // bits 0..6
	domStar bool
	dowStar bool
	// spread delays every cron fire by a fixed offset (the schedule's
	// SpreadSeconds share; zero for a one-off).
	spread time.Duration
	// slow turns the fixed-offset fast path off (tests compare the two).
	slow bool
}

// horizonDays bounds the search for the next fire: a 29 February job waits
// at most 8 years (2096 → 2104).
const horizonDays = 366*8 + 2

// MaxCronLen bounds an expression.
const MaxCronLen = 200

// LoadZone loads an IANA zone ("UTC" included; "" and "Local" refused: a
// schedule's zone must not depend on the server's).
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, domain.Invalidf("timezone must be an IANA time zone name such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, domain.Invalidf("timezone %q is not a known IANA time zone", domain.Abbrev(name, 64))
	}
	return loc, nil
}

// CompileCron compiles a 5-field expression in zone.
func CompileCron(expr, zone string) (*Timing, error) {
	loc, err := LoadZone(zone)
	if err != nil {
		return nil, err
	}
	if len(expr) > MaxCronLen {
		return nil, domain.Invalidf("cron expression longer than %d bytes", MaxCronLen)
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, domain.Invalidf("cron expression %q needs 5 fields (minute hour day-of-month month day-of-week)", domain.Abbrev(expr, 64))
	}
	t := &Timing{loc: loc}
	var v uint64
	if v, err = parseField(fields[0], "minute", 0, 59, nil); err != nil {
		return nil, err
	}
	t.minute = v
	if v, err = parseField(fields[1], "hour", 0, 23, nil); err != nil {
		return nil, err
	}
	t.hour = uint32(v)
	if v, err = parseField(fields[2], "day-of-month", 1, 31, nil); err != nil {
		return nil, err
	}
	t.dom, t.domStar = uint32(v), fields[2] == "*" || fields[2] == "?"
	if v, err = parseField(fields[3], "month", 1, 12, monthNames); err != nil {
		return nil, err
	}
	t.month = uint16(v)
	if v, err = parseField(fields[4], "day-of-week", 0, 7, dayNames); err != nil {
		return nil, err
	}
	if v&(1<<7) != 0 { // 7 is Sunday
		v = v&^(1<<7) | 1
	}
	t.dow, t.dowStar = uint8(v), fields[4] == "*" || fields[4] == "?"
	if !t.canFire() {
		return nil, domain.Invalidf("cron expression %q never fires (no month has that day)", domain.Abbrev(expr, 64))
	}
	return t, nil
}

// CompileOnce is a one-off at at, shown in zone.
func CompileOnce(at time.Time, zone string) (*Timing, error) {
	loc, err := LoadZone(zone)
	if err != nil {
		return nil, err
	}
	at = at.UTC().Truncate(time.Second)
	return &Timing{loc: loc, once: &at}, nil
}

// Compile compiles a schedule's timing, with its spread offset (cron only:
// a one-off runs at the time it names).
func Compile(s *domain.Schedule) (*Timing, error) {
	switch {
	case s.Cron != "" && s.RunAt != nil:
		return nil, domain.Invalidf("set cron or runAt, not both")
	case s.Cron != "":
		t, err := CompileCron(s.Cron, s.TimeZone)
		if err != nil {
			return nil, err
		}
		t.spread = SpreadOffset(s.ID, s.SpreadSeconds)
		return t, nil
	case s.RunAt != nil:
		return CompileOnce(*s.RunAt, s.TimeZone)
	}
	return nil, domain.Invalidf("set cron (a 5-field expression) or runAt (a one-off time)")
}

var monthNames = []string{"", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseField(f, name string, lo, hi int, names []string) (uint64, error) {
	bad := func() (uint64, error) {
		return 0, domain.Invalidf("cron %s field %q: use numbers %d-%d, *, ranges a-b, steps /n and commas", name, domain.Abbrev(f, 32), lo, hi)
	}
	var out uint64
	for _, item := range strings.Split(f, ",") {
		rng, step := item, 1
		if i := strings.IndexByte(item, '/'); i >= 0 {
			n, err := strconv.Atoi(item[i+1:])
			if err != nil || n < 1 || n > hi+1 {
				return bad()
			}
			rng, step = item[:i], n
		}
		var a, b int
		switch {
		case rng == "*" || rng == "?":
			a, b = lo, hi
			if name == "day-of-week" {
				b = 6
			}
		case strings.Contains(rng, "-"):
			parts := strings.SplitN(rng, "-", 2)
			var ok1, ok2 bool
			a, ok1 = atom(parts[0], lo, hi, names)
			b, ok2 = atom(parts[1], lo, hi, names)
			if !ok1 || !ok2 || a > b {
				return bad()
			}
		default:
			var ok bool
			if a, ok = atom(rng, lo, hi, names); !ok {
				return bad()
			}
			b = a
			if step > 1 { // "a/n" is "a-hi/n"
				b = hi
			}
		}
		for v := a; v <= b; v += step {
			out |= 1 << uint(v)
		}
	}
	return out, nil
}

func atom(s string, lo, hi int, names []string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= lo && n <= hi && len(s) <= 2
	}
	for i, nm := range names {
		if nm != "" && strings.EqualFold(s, nm) {
			return i, true
		}
	}
	return 0, false
}

// daysIn is the longest a month gets (February: 29).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// canFire: some month holds some allowed day (a restricted weekday always
// occurs).
func (t *Timing) canFire() bool {
	if !t.dowStar && !t.domStar || t.domStar {
		return t.month != 0 && t.hour != 0 && t.minute != 0
	}
	for m := 1; m <= 12; m++ {
		if t.month&(1<<m) != 0 && bits.TrailingZeros32(t.dom) <= daysIn[m] {
			return true
		}
	}
	return false
}

// Location is the timing's zone.
func (t *Timing) Location() *time.Location { return t.loc }

// Next is the first fire strictly after after (ok false: none, a past
// one-off or a date that never comes within the horizon).
func (t *Timing) Next(after time.Time) (time.Time, bool) {
	if t.once != nil {
		return *t.once, t.once.After(after)
	}
	if t.spread > 0 {
		at, ok := t.next(after.Add(-t.spread))
		return at.Add(t.spread), ok
	}
	return t.next(after)
}

// SpreadOffset is a schedule's fixed share of its spread window: whole
// seconds in [0, spreadSeconds), the same on every node and restart.
func SpreadOffset(scheduleID string, spreadSeconds int) time.Duration {
	if spreadSeconds <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(scheduleID))
	return time.Duration(h.Sum32()%uint32(spreadSeconds)) * time.Second
}

// next is Next of the cron expression alone.
func (t *Timing) next(after time.Time) (time.Time, bool) {
	local := after.In(t.loc)
	y, m, d := local.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // calendar arithmetic only
	// Wall times well before after's own cannot be after it (DST moves a
	// wall clock by at most a few hours).
	firstHour := local.Hour() - 3
	for i := 0; i < horizonDays; i++ {
		if i > 0 {
			firstHour = 0
		}
		if t.month&(1<<uint(day.Month())) == 0 {
			// Jump to the first of the next month.
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if t.dayMatches(day) {
			if off, fixed := t.fixedOffset(day); fixed && !t.slow {
				if at, ok := t.inFixedDay(day.Unix(), off, after); ok {
					return at, true
				}
			} else if at, ok := t.inDay(day, firstHour, after); ok {
				return at, true
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, false
}

func (t *Timing) dayMatches(day time.Time) bool {
	domOK := t.dom&(1<<uint(day.Day())) != 0
	dowOK := t.dow&(1<<uint(day.Weekday())) != 0
	switch {
	case t.domStar && t.dowStar:
		return true
	case t.domStar:
		return dowOK
	case t.dowStar:
		return domOK
	}
	return domOK || dowOK
}

// fixedOffset reports the zone's offset on day (a UTC-midnight calendar
// date) when it holds from 3 hours before the day to 3 hours after: no DST
// change near, so every wall time of the day is one instant (the fast
// path; days with a change take inDay's explicit rules).
func (t *Timing) fixedOffset(day time.Time) (int, bool) {
	y, m, d := day.Date()
	noon := time.Date(y, m, d, 12, 0, 0, 0, t.loc)
	_, off := noon.Zone()
	start, end := noon.ZoneBounds()
	from, to := day.Unix()-int64(off)-3*3600, day.Unix()+86400-int64(off)+3*3600
	return off, (start.IsZero() || start.Unix() <= from) && (end.IsZero() || end.Unix() >= to)
}

// inFixedDay is inDay for a day of one offset: arithmetic on the bit sets.
func (t *Timing) inFixedDay(dayWall int64, off int, after time.Time) (time.Time, bool) {
	// A fire's wall second of the day must exceed after's.
	minWall := after.Unix() + int64(off) - dayWall
	m := 0
	if minWall >= 0 {
		m = int(minWall/60) + 1
	}
	for m < 1440 {
		h, mi := m/60, m%60
		if t.hour&(1<<uint(h)) == 0 {
			m = (h + 1) * 60
			continue
		}
		rest := t.minute >> uint(mi)
		if rest == 0 {
			m = (h + 1) * 60
			continue
		}
		mi += bits.TrailingZeros64(rest)
		if mi >= 60 {
			m = (h + 1) * 60
			continue
		}
		return time.Unix(dayWall+int64(h*3600+mi*60)-int64(off), 0).UTC(), true
	}
	return time.Time{}, false
}

// inDay is the first fire of day (a UTC-midnight calendar date) after after.
func (t *Timing) inDay(day time.Time, firstHour int, after time.Time) (time.Time, bool) {
	y, m, d := day.Date()
	for h := max(firstHour, 0); h < 24; h++ {
		if t.hour&(1<<uint(h)) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if t.minute&(1<<uint(mi)) == 0 {
				continue
			}
			if at := resolve(t.loc, y, m, d, h, mi); at.After(after) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// resolve maps a wall time to its instant by the DST rules above: the
// first occurrence of a repeated wall time, the transition for a skipped
// one.
func resolve(loc *time.Location, y int, m time.Month, d, h, mi int) time.Time {
	t := time.Date(y, m, d, h, mi, 0, 0, loc)
	wall := time.Date(y, m, d, h, mi, 0, 0, time.UTC).Unix()
	best, found := time.Time{}, false
	for _, probe := range []time.Time{t.Add(-12 * time.Hour), t, t.Add(12 * time.Hour)} {
		_, off := probe.Zone()
		c := time.Unix(wall-int64(off), 0).In(loc)
		if sameWall(c, y, m, d, h, mi) && (!found || c.Before(best)) {
			best, found = c, true
		}
	}
	if found {
		return best.UTC()
	}
	// In a gap: the instant the clock jumped over it.
	_, offBefore := t.Add(-12 * time.Hour).Zone()
	late := time.Unix(wall-int64(offBefore), 0).In(loc) // past the transition
	start, _ := late.ZoneBounds()
	if start.IsZero() {
		return late.UTC()
	}
	return start.UTC()
}

func sameWall(c time.Time, y int, m time.Month, d, h, mi int) bool {
	cy, cm, cd := c.Date()
	return cy == y && cm == m && cd == d && c.Hour() == h && c.Minute() == mi
}

// Upcoming lists up to n fires after after.
func (t *Timing) Upcoming(after time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		at, ok := t.Next(after)
		if !ok {
			break
		}
		out = append(out, at)
		after = at
	}
	return out
}
