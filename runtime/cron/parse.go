package cron

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is wrapped by every error [Parse] returns, so callers can test
// errors.Is(err, cron.ErrSyntax) whatever the detail.
var ErrSyntax = errors.New("invalid cron expression")

// ParseError describes why an expression was rejected.
type ParseError struct {
	Expr  string // the expression as given
	Field string // "minute", "hour", "day-of-month", "month", "day-of-week", or "" for the whole expression
	Msg   string // what is wrong
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("cron expression %q: %s", e.Expr, e.Msg)
	}
	return fmt.Sprintf("cron expression %q: %s field: %s", e.Expr, e.Field, e.Msg)
}

// Unwrap lets errors.Is(err, ErrSyntax) hold.
func (e *ParseError) Unwrap() error { return ErrSyntax }

// Schedule is a parsed expression. Its zero value is not useful; get one from
// [Parse]. A Schedule is immutable and safe for concurrent use.
type Schedule struct {
	expr   string
	minute uint64 // bit i set: minute i
	hour   uint64 // bit i: hour i
	dom    uint64 // bit i: day i (1..31)
	month  uint64 // bit i: month i (1..12)
	dow    uint64 // bit i: weekday i (0 = Sunday .. 6)
	// domStar/dowStar: the field began with "*" (crontab(5)'s "unrestricted"),
	// which switches day matching from OR to AND.
	domStar, dowStar bool
}

// String returns the expression the schedule was parsed from.
func (s *Schedule) String() string { return s.expr }

type fieldSpec struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i; nil if the field has none
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dowNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

// The field table is immutable data, not state.
var fields = [5]fieldSpec{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: monthNames},
	// Day-of-week accepts 0-7; 7 is folded into 0 after parsing. A "*" means
	// 0-6 so that steps over it ("*/2") start at Sunday and never count it twice.
	{name: "day-of-week", min: 0, max: 7, names: dowNames},
}

var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Parse parses a five-field cron expression or one of the @macros. Errors are
// *ParseError and wrap ErrSyntax.
func Parse(expr string) (*Schedule, error) {
	src := strings.TrimSpace(expr)
	if strings.HasPrefix(src, "@") {
		m, ok := macros[strings.ToLower(src)]
		if !ok {
			return nil, &ParseError{Expr: expr, Msg: "unknown macro (want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"}
		}
		src = m
	}
	parts := strings.Fields(src)
	if len(parts) != 5 {
		return nil, &ParseError{Expr: expr, Msg: fmt.Sprintf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(parts))}
	}
	s := &Schedule{expr: expr}
	dst := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, p := range parts {
		set, err := parseField(p, &fields[i])
		if err != nil {
			return nil, &ParseError{Expr: expr, Field: fields[i].name, Msg: err.Error()}
		}
		*dst[i] = set
	}
	if s.dow&(1<<7) != 0 {
		s.dow = s.dow&^(1<<7) | 1
	}
	s.domStar = strings.HasPrefix(parts[2], "*")
	s.dowStar = strings.HasPrefix(parts[4], "*")
	if msg := s.impossible(); msg != "" {
		return nil, &ParseError{Expr: expr, Field: "day-of-month", Msg: msg}
	}
	return s, nil
}

// MustParse is Parse for expressions known to be valid (tests, constants). It
// panics on error.
func MustParse(expr string) *Schedule {
	s, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return s
}

// impossible reports why the schedule can never fire, or "" if it can. Only
// the day-of-month/month combination can make it so: when day matching uses
// AND semantics with an unrestricted day-of-week, some chosen day must exist
// in some chosen month (February counted with 29 days).
func (s *Schedule) impossible() string {
	if !s.domStar && !s.dowStar {
		return "" // OR semantics: the day-of-week alone fires.
	}
	if s.dowStar && s.dow != 0x7f {
		// AND with a stepped day-of-week ("*/2"): whether a chosen day ever
		// falls on a chosen weekday depends on the calendar; Next's bounded
		// search decides.
		return ""
	}
	for m := 1; m <= 12; m++ {
		if s.month&(1<<m) == 0 {
			continue
		}
		maxDay := daysIn(time.Month(m), 2000) // a leap year: Feb has 29
		if s.dom&(uint64(1)<<(maxDay+1)-1) != 0 {
			return ""
		}
	}
	return "the chosen days never occur in the chosen months"
}

func parseField(f string, spec *fieldSpec) (uint64, error) {
	if f == "" {
		return 0, errors.New("empty")
	}
	var set uint64
	for item := range strings.SplitSeq(f, ",") {
		if item == "" {
			return 0, fmt.Errorf("empty list item in %q", f)
		}
		b, err := parseItem(item, spec)
		if err != nil {
			return 0, err
		}
		set |= b
	}
	return set, nil
}

func parseItem(item string, spec *fieldSpec) (uint64, error) {
	rng, stepStr, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("bad step %q in %q (want a positive integer)", stepStr, item)
		}
		step = n
	}
	var lo, hi int
	switch {
	case rng == "*":
		lo, hi = spec.min, spec.max
		if spec.name == "day-of-week" {
			hi = 6
		}
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = parseValue(a, spec); err != nil {
			return 0, err
		}
		switch {
		case isRange:
			if hi, err = parseValue(b, spec); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %q runs backwards", rng)
			}
		case hasStep:
			hi = spec.max // "N/S" means N-max/S
			if spec.name == "day-of-week" {
				hi = 6
			}
		default:
			hi = lo
		}
	}
	if hasStep && step > hi-lo && hi > lo {
		// Allowed by most crons but almost always a mistake ("*/60").
		return 0, fmt.Errorf("step %d in %q is larger than its range %d-%d", step, item, lo, hi)
	}
	var set uint64
	for v := lo; v <= hi; v += step {
		set |= 1 << v
	}
	return set, nil
}

func parseValue(s string, spec *fieldSpec) (int, error) {
	if s == "" {
		return 0, errors.New("missing value")
	}
	if s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", s)
		}
		if n < spec.min || n > spec.max {
			return 0, fmt.Errorf("%d out of range %d-%d", n, spec.min, spec.max)
		}
		return n, nil
	}
	for i, name := range spec.names {
		if strings.EqualFold(s, name) {
			return spec.min + i, nil
		}
	}
	if spec.names != nil {
		return 0, fmt.Errorf("unknown name %q (want %s-%s or %s…%s)", s,
			strconv.Itoa(spec.min), strconv.Itoa(spec.max), spec.names[0], spec.names[len(spec.names)-1])
	}
	return 0, fmt.Errorf("bad number %q", s)
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// searchYears bounds Next's search. Eight years separate some leap days
// (2096 → 2104), so 9 covers every schedule that can fire at all.
const searchYears = 9

// Next returns the first instant strictly after `after`, at a whole minute,
// that the schedule names, in after's location. It returns the zero Time if
// there is none within the next nine years. Parse rejects day/month
// combinations that never occur, so that can only happen for AND-combined day
// fields that never coincide (a stepped day-of-week with a day-of-month list).
func (s *Schedule) Next(after time.Time) time.Time {
	loc := after.Location()
	// Start from the next whole wall-clock minute.
	y, mo, d := after.Date()
	h, mi, _ := after.Clock()
	mi++
	if mi == 60 {
		mi = 0
		h++
		if h == 24 {
			h = 0
			// Let time.Date normalise the day/month/year carry.
			t := time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
			y, mo, d = t.Date()
		}
	}
	start := [4]int{int(mo), d, h, mi}
	for year := y; year <= y+searchYears; year++ {
		// bound[i]: still on the starting prefix, so field i starts at start[i].
		b0 := year == y
		for m := lowFrom(b0, start[0], 1); m <= 12; m++ {
			if s.month&(1<<m) == 0 {
				continue
			}
			b1 := b0 && m == start[0]
			dim := daysIn(time.Month(m), year)
			for day := lowFrom(b1, start[1], 1); day <= dim; day++ {
				if !s.dayMatches(year, time.Month(m), day) {
					continue
				}
				b2 := b1 && day == start[1]
				for hr := lowFrom(b2, start[2], 0); hr <= 23; hr++ {
					if s.hour&(1<<hr) == 0 {
						continue
					}
					b3 := b2 && hr == start[2]
					for mn := lowFrom(b3, start[3], 0); mn <= 59; mn++ {
						if s.minute&(1<<mn) == 0 {
							continue
						}
						t := wallTime(year, time.Month(m), day, hr, mn, loc)
						if t.After(after) {
							return t
						}
						// Not after: a repeated wall-clock hour (DST fall-back)
						// resolved to its earlier instant. Keep looking.
					}
				}
			}
		}
	}
	return time.Time{}
}

// wallTime returns the instant the wall clock in loc reads the given time,
// or, if it never does (a daylight-saving gap), the instant the gap ends.
// time.Date alone would pick either side of the gap ("not guaranteed").
func wallTime(y int, mo time.Month, d, h, mi int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, h, mi, 0, 0, loc)
	if t.Minute() == mi && t.Hour() == h && t.Day() == d {
		return t
	}
	want := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	start, end := t.ZoneBounds()
	if got.Before(want) {
		// Normalised backwards into the zone before the gap: the gap starts
		// where that zone ends.
		if !end.IsZero() {
			return end
		}
	} else if !start.IsZero() {
		return start // normalised forwards: the gap ended where this zone starts
	}
	return t
}

func lowFrom(bounded bool, start, low int) int {
	if bounded {
		return start
	}
	return low
}

func (s *Schedule) dayMatches(y int, m time.Month, d int) bool {
	domOK := s.dom&(1<<d) != 0
	dowOK := s.dow&(1<<weekday(y, m, d)) != 0
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// weekday returns 0 (Sunday) … 6 for a proleptic Gregorian date, without
// building a time.Time (Sakamoto's method).
func weekday(y int, m time.Month, d int) int {
	t := [12]int{0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4}
	if m < 3 {
		y--
	}
	return (y + y/4 - y/100 + y/400 + t[m-1] + d) % 7
}
