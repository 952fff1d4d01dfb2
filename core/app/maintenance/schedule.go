package maintenance

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // zones resolve on hosts without a zoneinfo database

	"github.com/breeze-rmm/breeze/core/domain"
)

// Formats of a window's wall-clock times.
const (
	LocalDateTime = "2006-01-02T15:04"
	LocalTime     = "15:04"
)

// Bounds of a window.
const (
	MaxOnce     = 366 * 24 * time.Hour // a one-off window's length
	MaxDuration = 7 * 24 * 60          // a weekly occurrence's minutes
	// maxChain bounds how far Until follows back-to-back occurrences.
	maxChain = 400 * 24 * time.Hour
)

// Schedule is a window's timing, compiled: when its occurrences start and
// end as instants. A wall time skipped by a DST change is moved forward by
// the gap; a repeated one is its first occurrence; an occurrence lasts its
// duration in real time.
type Schedule struct {
	loc        *time.Location
	once       bool
	start, end time.Time // once
	days       [7]bool   // weekly
	hour, min  int
	dur        time.Duration
	cache      atomic.Pointer[occurrences] // weekly: occurrences around the last instant asked
}

// Compile checks w's zone and timing and compiles them (ErrInvalid with a
// clear message otherwise). It normalises w's wall times.
func Compile(w *domain.MaintenanceWindow) (*Schedule, error) {
	loc, err := LoadZone(w.TimeZone)
	if err != nil {
		return nil, err
	}
	s := &Schedule{loc: loc}
	switch w.Kind {
	case domain.MaintenanceOnce:
		if len(w.Days) > 0 || w.At != "" || w.DurationMinutes != 0 {
			return nil, domain.Invalidf("a one-off window has startsAt and endsAt, not days, at or durationMinutes")
		}
		start, err := parseLocal("startsAt", w.StartsAt)
		if err != nil {
			return nil, err
		}
		end, err := parseLocal("endsAt", w.EndsAt)
		if err != nil {
			return nil, err
		}
		s.once = true
		s.start, s.end = Resolve(start, loc), Resolve(end, loc)
		if !s.end.After(s.start) {
			return nil, domain.Invalidf("endsAt must be after startsAt")
		}
		if s.end.Sub(s.start) > MaxOnce {
			return nil, domain.Invalidf("a one-off window lasts at most 366 days")
		}
		w.StartsAt, w.EndsAt = start.Format(LocalDateTime), end.Format(LocalDateTime)
	case domain.MaintenanceWeekly:
		if w.StartsAt != "" || w.EndsAt != "" {
			return nil, domain.Invalidf("a weekly window has days, at and durationMinutes, not startsAt or endsAt")
		}
		if len(w.Days) == 0 || len(w.Days) > 7 {
			return nil, domain.Invalidf("days lists one to seven weekdays")
		}
		for _, d := range w.Days {
			if d < time.Sunday || d > time.Saturday || s.days[d] {
				return nil, domain.Invalidf("days lists weekdays 0 (Sunday) to 6 (Saturday), each once")
			}
			s.days[d] = true
		}
		at, err := time.Parse(LocalTime, w.At)
		if err != nil {
			return nil, domain.Invalidf("at must be a local time HH:MM")
		}
		if w.DurationMinutes <= 0 || w.DurationMinutes > MaxDuration {
			return nil, domain.Invalidf("durationMinutes must be within 1..%d", MaxDuration)
		}
		s.hour, s.min, s.dur = at.Hour(), at.Minute(), time.Duration(w.DurationMinutes)*time.Minute
		w.At = at.Format(LocalTime)
	default:
		return nil, domain.Invalidf("kind must be once or weekly")
	}
	return s, nil
}

// LoadZone loads an IANA zone by name ("Europe/Berlin", "UTC"); "Local"
// and anything not in the zone database are refused.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || len(name) > 64 || name == "Local" || name[0] == '/' {
		return nil, domain.Invalidf("timeZone must name an IANA time zone such as Europe/Berlin")
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+-", r)) {
			return nil, domain.Invalidf("timeZone must name an IANA time zone such as Europe/Berlin")
		}
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, domain.Invalidf("timeZone %q is not a known IANA time zone", name)
	}
	zones.Store(name, loc) // bounded by the zone database
	return loc, nil
}

// zones are the zones loaded so far (LoadLocation parses the database
// each time; every reload compiles every window).
var zones sync.Map

// parseLocal reads a wall-clock date-time, as fields in a UTC time.
func parseLocal(field, v string) (time.Time, error) {
	t, err := time.Parse(LocalDateTime, v)
	if err != nil {
		return time.Time{}, domain.Invalidf("%s must be a local date-time YYYY-MM-DDTHH:MM", field)
	}
	return t, nil
}

// Resolve turns the wall-clock time wall (its fields read as in UTC) into
// the instant it names in loc: a time skipped by a DST change is moved
// forward by the gap (read with the offset before it), a repeated one is
// its first occurrence.
func Resolve(wall time.Time, loc *time.Location) time.Time {
	w := wall.Unix()
	// The offsets in force a little before and after any instant the wall
	// time could name (offsets lie within -12h..+14h).
	_, before := time.Unix(w-15*3600, 0).In(loc).Zone()
	_, after := time.Unix(w+15*3600, 0).In(loc).Zone()
	valid := func(off int) bool {
		_, o := time.Unix(w-int64(off), 0).In(loc).Zone()
		return o == off
	}
	a, b := w-int64(before), w-int64(after)
	switch va, vb := valid(before), valid(after); {
	case va && vb: // the same offset, or a repeated hour: the first
		return time.Unix(min(a, b), 0).In(loc)
	case va:
		return time.Unix(a, 0).In(loc)
	case vb:
		return time.Unix(b, 0).In(loc)
	}
	return time.Unix(a, 0).In(loc) // in a gap: the offset before it
}

// EndAt returns the end of the latest-ending occurrence covering t
// (start ≤ t < end), and whether one does.
func (s *Schedule) EndAt(t time.Time) (time.Time, bool) {
	if s.once {
		return s.end, !t.Before(s.start) && t.Before(s.end)
	}
	var end time.Time
	for _, o := range s.around(t).occ {
		if o.start.After(t) {
			break // sorted by start
		}
		if t.Before(o.end) && o.end.After(end) {
			end = o.end
		}
	}
	return end, !end.IsZero()
}

// occurrence is one weekly occurrence, as instants.
type occurrence struct{ start, end time.Time }

// occurrences are a weekly schedule's occurrences that can cover an
// instant in [from, to), sorted by start: the hold check runs for every
// notification and every alert read, so zone lookups are done once a
// fortnight, not per call.
type occurrences struct {
	from, to time.Time
	occ      []occurrence
}

// Cached span: occurrences starting on the 9 local days before t's and
// the 14 after serve every instant from t's local midnight to the end of
// the 14th day (an occurrence lasts at most 7 days, plus a DST shift).
const (
	cacheBack  = 9
	cacheAhead = 14
)

func (s *Schedule) around(t time.Time) *occurrences {
	if c := s.cache.Load(); c != nil && !t.Before(c.from) && t.Before(c.to) {
		return c
	}
	lt := t.In(s.loc)
	day := func(k int) time.Time { return time.Date(lt.Year(), lt.Month(), lt.Day()+k, 0, 0, 0, 0, time.UTC) }
	c := &occurrences{from: Resolve(day(0), s.loc), to: Resolve(day(cacheAhead+1), s.loc)}
	for k := -cacheBack; k <= cacheAhead; k++ {
		d := day(k)
		if !s.days[d.Weekday()] {
			continue
		}
		st := Resolve(d.Add(time.Duration(s.hour)*time.Hour+time.Duration(s.min)*time.Minute), s.loc)
		c.occ = append(c.occ, occurrence{st, st.Add(s.dur)})
	}
	if t.Before(c.from) { // t's midnight fell in a DST gap: serve t all the same
		c.from = t
	}
	s.cache.Store(c)
	return c
}

// Next returns the first occurrence that ends after t (it may be under
// way), or ok false when there is none (a past one-off window).
func (s *Schedule) Next(t time.Time) (start, end time.Time, ok bool) {
	if s.once {
		return s.start, s.end, t.Before(s.end)
	}
	if e, ok := s.EndAt(t); ok {
		// the earliest-starting occurrence under way is not needed: report
		// the one covering t
		return e.Add(-s.dur), e, true
	}
	lt := t.In(s.loc)
	for k := 0; k <= 8; k++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+k, 0, 0, 0, 0, time.UTC)
		if !s.days[day.Weekday()] {
			continue
		}
		st := Resolve(day.Add(time.Duration(s.hour)*time.Hour+time.Duration(s.min)*time.Minute), s.loc)
		if st.After(t) {
			return st, st.Add(s.dur), true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Until returns when the maintenance covering t ends across the given
// schedules, following occurrences that overlap or meet (one ends as
// another starts); zero when none covers t.
func Until(t time.Time, scheds ...*Schedule) time.Time {
	var until time.Time
	cur := t
	for cur.Sub(t) < maxChain {
		var best time.Time
		for _, s := range scheds {
			if e, ok := s.EndAt(cur); ok && e.After(best) {
				best = e
			}
		}
		if !best.After(cur) {
			break
		}
		until, cur = best, best
	}
	return until
}
