package cron

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		after string
		want  []string // successive Next results
	}{
		{"every minute", "* * * * *", "2024-01-01 00:00:00", []string{"2024-01-01 00:01:00", "2024-01-01 00:02:00"}},
		{"seconds are dropped", "* * * * *", "2024-01-01 00:00:59", []string{"2024-01-01 00:01:00"}},
		{"strictly after an exact match", "0 6 * * *", "2024-01-01 06:00:00", []string{"2024-01-02 06:00:00"}},
		{"seed expression", "0 */6 * * *", "2024-01-01 05:59:30", []string{"2024-01-01 06:00:00", "2024-01-01 12:00:00", "2024-01-01 18:00:00", "2024-01-02 00:00:00"}},
		{"minute step", "*/15 * * * *", "2024-01-01 10:07:00", []string{"2024-01-01 10:15:00", "2024-01-01 10:30:00", "2024-01-01 10:45:00", "2024-01-01 11:00:00"}},
		{"range step", "1-10/4 * * * *", "2024-01-01 10:00:00", []string{"2024-01-01 10:01:00", "2024-01-01 10:05:00", "2024-01-01 10:09:00", "2024-01-01 11:01:00"}},
		{"value step runs to max", "50/5 * * * *", "2024-01-01 10:00:00", []string{"2024-01-01 10:50:00", "2024-01-01 10:55:00", "2024-01-01 11:50:00"}},
		{"list", "5,10,58 9 * * *", "2024-01-01 09:06:00", []string{"2024-01-01 09:10:00", "2024-01-01 09:58:00", "2024-01-02 09:05:00"}},
		{"hour carry", "0 * * * *", "2024-01-01 23:30:00", []string{"2024-01-02 00:00:00"}},
		{"year carry at 23:59 on Dec 31", "0 0 1 1 *", "2024-12-31 23:59:00", []string{"2025-01-01 00:00:00", "2026-01-01 00:00:00"}},
		{"31st skips short months", "0 0 31 * *", "2024-01-31 00:00:00", []string{"2024-03-31 00:00:00", "2024-05-31 00:00:00", "2024-07-31 00:00:00", "2024-08-31 00:00:00"}},
		{"30th skips February", "0 0 30 * *", "2024-01-30 12:00:00", []string{"2024-03-30 00:00:00"}},
		{"Feb 29 waits for a leap year", "0 0 29 2 *", "2025-03-01 00:00:00", []string{"2028-02-29 00:00:00", "2032-02-29 00:00:00"}},
		{"2100 is not a leap year", "0 0 29 2 *", "2096-03-01 00:00:00", []string{"2104-02-29 00:00:00"}},
		{"2000 is a leap year", "0 0 29 2 *", "1999-01-01 00:00:00", []string{"2000-02-29 00:00:00"}},
		{"last days of February, leap", "0 0 28,29 2 *", "2024-02-27 00:00:00", []string{"2024-02-28 00:00:00", "2024-02-29 00:00:00", "2025-02-28 00:00:00"}},
		{"DOW 7 is Sunday", "0 12 * * 7", "2024-05-01 00:00:00", []string{"2024-05-05 12:00:00", "2024-05-12 12:00:00"}},
		{"DOW 0 is Sunday", "0 12 * * 0", "2024-05-01 00:00:00", []string{"2024-05-05 12:00:00"}},
		{"DOW range through 7", "0 0 * * 5-7", "2024-05-01 00:00:00", []string{"2024-05-03 00:00:00", "2024-05-04 00:00:00", "2024-05-05 00:00:00", "2024-05-10 00:00:00"}},
		{"names", "30 9 * jan-Mar MON-fri", "2024-03-29 10:00:00", []string{"2025-01-01 09:30:00", "2025-01-02 09:30:00", "2025-01-03 09:30:00", "2025-01-06 09:30:00"}},
		{"month name list", "0 0 1 JAN,JUL *", "2024-02-01 00:00:00", []string{"2024-07-01 00:00:00", "2025-01-01 00:00:00"}},
		{"DOM/DOW OR when both restricted", "0 0 13 * FRI", "2024-09-01 00:00:00", []string{"2024-09-06 00:00:00", "2024-09-13 00:00:00", "2024-09-20 00:00:00", "2024-09-27 00:00:00", "2024-10-04 00:00:00", "2024-10-11 00:00:00", "2024-10-13 00:00:00"}},
		{"DOW only (DOM *)", "0 0 * * MON", "2024-09-01 00:00:00", []string{"2024-09-02 00:00:00", "2024-09-09 00:00:00"}},
		{"DOM only (DOW *)", "0 0 15 * *", "2024-09-01 00:00:00", []string{"2024-09-15 00:00:00", "2024-10-15 00:00:00"}},
		{"AND when DOM starts with *", "0 0 */2 * MON", "2024-09-01 00:00:00", []string{"2024-09-09 00:00:00", "2024-09-23 00:00:00", "2024-10-07 00:00:00"}},
		{"DOW step", "0 0 * * */2", "2024-09-01 00:00:00", []string{"2024-09-03 00:00:00", "2024-09-05 00:00:00", "2024-09-07 00:00:00", "2024-09-08 00:00:00"}},
		{"@hourly", "@hourly", "2024-01-01 10:10:00", []string{"2024-01-01 11:00:00"}},
		{"@daily", "@daily", "2024-01-01 10:10:00", []string{"2024-01-02 00:00:00"}},
		{"@weekly", "@weekly", "2024-01-01 10:10:00", []string{"2024-01-07 00:00:00"}},
		{"@monthly", "@MONTHLY", "2024-01-31 10:10:00", []string{"2024-02-01 00:00:00"}},
		{"@yearly", "@yearly", "2024-01-31 10:10:00", []string{"2025-01-01 00:00:00"}},
		{"extra blanks", "  0\t0  1 *  * ", "2024-01-31 10:10:00", []string{"2024-02-01 00:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			at := utc(tt.after)
			for i, w := range tt.want {
				got := s.Next(at)
				if !got.Equal(utc(w)) {
					t.Fatalf("%q: Next #%d after %s = %s, want %s", tt.expr, i+1, at, got, w)
				}
				at = got
			}
		})
	}
}

func TestNextBoundedSearch(t *testing.T) {
	// AND of Feb 29 with Saturday/Sunday ("*/6" = 0,6): Feb 29 is a Sunday in
	// 2032, then not a weekend day again until 2048, beyond the search bound.
	s := MustParse("0 0 29 2 */6")
	if got := s.Next(utc("2024-03-01 00:00:00")); !got.Equal(utc("2032-02-29 00:00:00")) {
		t.Fatalf("Next = %s, want 2032-02-29", got)
	}
	if got := s.Next(utc("2032-03-01 00:00:00")); !got.IsZero() {
		t.Fatalf("Next = %s, want zero (none within the bound)", got)
	}
}

func TestNextLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	in := func(s string) time.Time {
		tt, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			panic(err)
		}
		return tt
	}
	t.Run("result is in the argument's location", func(t *testing.T) {
		got := MustParse("0 9 * * *").Next(in("2024-06-01 10:00"))
		if got.Location() != ny || got.Hour() != 9 || got.Day() != 2 {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("spring forward: skipped wall time runs after the gap", func(t *testing.T) {
		s := MustParse("30 2 * * *")
		got := s.Next(in("2024-03-10 00:00"))
		want := time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC) // 03:00 EDT, the end of the gap
		if !got.Equal(want) {
			t.Fatalf("got %s, want %s", got, want.In(ny))
		}
		got = s.Next(got)
		if want := in("2024-03-11 02:30"); !got.Equal(want) {
			t.Fatalf("then %s, want %s", got, want)
		}
	})
	t.Run("spring forward: times inside one gap run once", func(t *testing.T) {
		s := MustParse("*/20 2,3 * * *")
		at := in("2024-03-10 01:59")
		var got []string
		for range 4 {
			at = s.Next(at)
			got = append(got, at.Format("15:04 MST"))
		}
		if want := "03:00 EDT 03:20 EDT 03:40 EDT 02:00 EDT"; strings.Join(got, " ") != want {
			t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
		}
	})
	t.Run("fall back: repeated wall time runs once", func(t *testing.T) {
		s := MustParse("30 1 * * *")
		got := s.Next(in("2024-11-03 00:00"))
		if want := time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC); !got.Equal(want) { // 01:30 EDT
			t.Fatalf("got %s, want %s", got, want)
		}
		got = s.Next(got)
		if want := in("2024-11-04 01:30"); !got.Equal(want) {
			t.Fatalf("then %s, want %s", got, want)
		}
	})
	t.Run("fall back: every-30-minutes never goes backwards", func(t *testing.T) {
		s := MustParse("*/30 * * * *")
		at := in("2024-11-03 00:00")
		for range 8 {
			next := s.Next(at)
			if !next.After(at) {
				t.Fatalf("Next(%s) = %s, not after", at, next)
			}
			at = next
		}
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr, field, msg string
	}{
		{"", "", "want 5 fields"},
		{"* * * *", "", "want 5 fields"},
		{"* * * * * *", "", "want 5 fields"},
		{"60 * * * *", "minute", "60 out of range 0-59"},
		{"* 24 * * *", "hour", "24 out of range 0-23"},
		{"* * 0 * *", "day-of-month", "0 out of range 1-31"},
		{"* * 32 * *", "day-of-month", "32 out of range"},
		{"* * * 0 *", "month", "out of range 1-12"},
		{"* * * 13 *", "month", "out of range 1-12"},
		{"* * * * 8", "day-of-week", "out of range 0-7"},
		{"*/0 * * * *", "minute", "bad step"},
		{"*/x * * * *", "minute", "bad step"},
		{"*/60 * * * *", "minute", "larger than its range"},
		{"5-1 * * * *", "minute", "runs backwards"},
		{"a * * * *", "minute", "bad number"},
		{"-5 * * * *", "minute", "missing value"},
		{"1- * * * *", "minute", "missing value"},
		{"1,,2 * * * *", "minute", "empty list item"},
		{"1, * * * *", "minute", "empty list item"},
		{"MON * * * *", "minute", "bad number"},
		{"* * * FOO *", "month", "unknown name"},
		{"* * * * FUNDAY", "day-of-week", "unknown name"},
		{"0 0 30 2 *", "day-of-month", "never occur"},
		{"0 0 31 4,6,9,11 *", "day-of-month", "never occur"},
		{"0 0 30,31 FEB *", "day-of-month", "never occur"},
		{"@every 5m", "", "unknown macro"},
		{"1.5 * * * *", "minute", "bad number"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", tt.expr, err)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error does not wrap ErrSyntax")
			}
			if pe.Field != tt.field || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("Parse(%q) = field %q msg %q; want field %q msg containing %q", tt.expr, pe.Field, pe.Msg, tt.field, tt.msg)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tt.expr)) {
				t.Errorf("message %q does not quote the expression", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"0 0 29 2 *",              // leap day is possible
		"0 0 31 2 MON",            // OR: Mondays in February
		"0 0 30 2 */2",            // AND with a stepped DOW: left to Next
		"59 23 31 12 7",           // maxima
		"0-59 0-23 1-31 1-12 0-7", // full ranges
		"*/59 * * * *",
		"0 0 * * sun,SAT",
	} {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
		}
	}
}

func TestSchedulePreservesExpr(t *testing.T) {
	if got := MustParse("@daily").String(); got != "@daily" {
		t.Fatalf("String() = %q", got)
	}
}

func TestWeekday(t *testing.T) {
	d := time.Date(1890, 1, 1, 12, 0, 0, 0, time.UTC)
	for range 365 * 300 {
		y, m, dd := d.Date()
		if got := weekday(y, m, dd); got != int(d.Weekday()) {
			t.Fatalf("weekday(%s) = %d, want %d", d.Format(time.DateOnly), got, d.Weekday())
		}
		d = d.AddDate(0, 0, 1)
	}
}

func TestDaysIn(t *testing.T) {
	for y := 1890; y < 2210; y++ {
		for m := time.January; m <= time.December; m++ {
			want := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if got := daysIn(m, y); got != want {
				t.Fatalf("daysIn(%s %d) = %d, want %d", m, y, got, want)
			}
		}
	}
}

// matches is the specification Next must agree with.
func (s *Schedule) matches(t time.Time) bool {
	y, m, d := t.Date()
	return s.minute&(1<<t.Minute()) != 0 && s.hour&(1<<t.Hour()) != 0 &&
		s.month&(1<<int(m)) != 0 && s.dayMatches(y, m, d)
}

// TestNextAgainstBruteForce compares Next with a minute-by-minute scan for
// random expressions.
func TestNextAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	item := func(lo, hi int) string {
		switch rng.IntN(6) {
		case 0:
			return "*"
		case 1:
			return "*/" + strconv.Itoa(1+rng.IntN(max(1, (hi-lo)/2)))
		case 2:
			a := lo + rng.IntN(hi-lo+1)
			b := a + rng.IntN(hi-a+1)
			return strconv.Itoa(a) + "-" + strconv.Itoa(b)
		case 3:
			a := lo + rng.IntN(hi-lo+1)
			b := a + rng.IntN(hi-a+1)
			return strconv.Itoa(a) + "-" + strconv.Itoa(b) + "/" + strconv.Itoa(1+rng.IntN(3))
		default:
			return strconv.Itoa(lo+rng.IntN(hi-lo+1)) + "," + strconv.Itoa(lo+rng.IntN(hi-lo+1))
		}
	}
	const limit = 3 * 366 * 24 * 60
	checked := 0
	for range 400 {
		expr := strings.Join([]string{item(0, 59), item(0, 23), item(1, 31), item(1, 12), item(0, 7)}, " ")
		s, err := Parse(expr)
		if err != nil {
			continue // e.g. an impossible day/month pair
		}
		after := time.Date(2023+rng.IntN(3), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, time.UTC)
		want := time.Time{}
		c := after.Truncate(time.Minute).Add(time.Minute)
		for range limit {
			if s.matches(c) {
				want = c
				break
			}
			if y, m, d := c.Date(); s.month&(1<<int(m)) == 0 || !s.dayMatches(y, m, d) {
				c = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC) // no minute of this day can match
				continue
			}
			c = c.Add(time.Minute)
		}
		if want.IsZero() {
			continue // too rare to brute-force
		}
		checked++
		if got := s.Next(after); !got.Equal(want) {
			t.Fatalf("%q: Next(%s) = %s, want %s", expr, after, got, want)
		}
	}
	if checked < 150 {
		t.Fatalf("only %d expressions checked", checked)
	}
}

func BenchmarkNext(b *testing.B) {
	s := MustParse("0 */6 * * MON-FRI")
	at := utc("2024-01-01 00:00:00")
	for b.Loop() {
		at = s.Next(at)
	}
}
