package dates

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var chicago = func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	return loc
}()

// now is Wednesday 2026-11-18, 10:00 in Chicago.
var now = time.Date(2026, 11, 18, 10, 0, 0, 0, chicago)

func TestParseForms(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2026-12-15", "2026-12-15"},
		{"2026-11-18", "2026-11-18"},
		{"2027-1-5", "2027-01-05"},
		{"12/15", "2026-12-15"},
		{"11/18", "2026-11-18"},
		{"1/5", "2027-01-05"},   // past month/day: next year
		{"11/17", "2027-11-17"}, // yesterday's month/day: next year
		{"2/29", "2028-02-29"},  // next year with a Feb 29
		{"12/15/2026", "2026-12-15"},
		{"Dec 15", "2026-12-15"},
		{"december 15th", "2026-12-15"},
		{"Dec. 15, 2026", "2026-12-15"},
		{"15 Dec", "2026-12-15"},
		{"Jan 5", "2027-01-05"}, // past: next year
		{"sept 3 2027", "2027-09-03"},
		{"03/01/2027", "2027-03-01"},
		{"12/15/26", "2026-12-15"},
		{"today", "2026-11-18"},
		{"tomorrow", "2026-11-19"},
		{"Tomorrow", "2026-11-19"},
		{"  TOMORROW.  ", "2026-11-19"},
		{"wednesday", "2026-11-25"}, // never today
		{"wed", "2026-11-25"},
		{"thursday", "2026-11-19"},
		{"thu", "2026-11-19"},
		{"friday", "2026-11-20"},
		{"Fri", "2026-11-20"},
		{"saturday", "2026-11-21"},
		{"sat", "2026-11-21"},
		{"sunday", "2026-11-22"},
		{"sun", "2026-11-22"},
		{"monday", "2026-11-23"},
		{"mon", "2026-11-23"},
		{"tuesday", "2026-11-24"},
		{"tue", "2026-11-24"},
		{"next friday", "2026-11-20"},
		{"in 1 day", "2026-11-19"},
		{"in a day", "2026-11-19"},
		{"in 3 days", "2026-11-21"},
		{"in   3   DAYS", "2026-11-21"},
		{"in 14 days", "2026-12-02"},
		{"in a week", "2026-11-25"},
		{"in 1 week", "2026-11-25"},
		{"in 2 weeks", "2026-12-02"},
		{"next week", "2026-11-23"},
		{"end of week", "2026-11-20"},
		{"end of the week", "2026-11-20"},
		{"end of month", "2026-11-30"},
		{"End of the Month", "2026-11-30"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, now, chicago)
		if err != nil {
			t.Errorf("Parse(%q) error %v, want %s", tt.in, err, tt.want)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseRelativeToTimezone(t *testing.T) {
	// 03:00 UTC on Thursday is still Wednesday evening in Chicago.
	utcNow := time.Date(2026, 11, 19, 3, 0, 0, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"today", "2026-11-18"},
		{"tomorrow", "2026-11-19"},
		{"thursday", "2026-11-19"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, utcNow, chicago)
		if err != nil || got.String() != tt.want {
			t.Errorf("Parse(%q) at %s = %s, %v; want %s", tt.in, utcNow, got, err, tt.want)
		}
	}
	// End of week on a Friday is that Friday; on a weekend the next Friday.
	for _, tt := range []struct {
		day  int
		want string
	}{{20, "2026-11-20"}, {21, "2026-11-27"}, {22, "2026-11-27"}, {23, "2026-11-27"}} {
		n := time.Date(2026, 11, tt.day, 9, 0, 0, 0, chicago)
		got, err := Parse("end of week", n, chicago)
		if err != nil || got.String() != tt.want {
			t.Errorf("end of week on Nov %d = %s, %v; want %s", tt.day, got, err, tt.want)
		}
	}
	// End of month on the last day is that day; in February of a leap year the 29th.
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 30, 9, 0, 0, 0, chicago), "2026-11-30"},
		{time.Date(2028, 2, 3, 9, 0, 0, 0, chicago), "2028-02-29"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, chicago), "2026-12-31"},
	} {
		got, err := Parse("end of month", tt.now, chicago)
		if err != nil || got.String() != tt.want {
			t.Errorf("end of month at %s = %s, %v; want %s", tt.now, got, err, tt.want)
		}
	}
	// Across a DST change the day count stays right (Nov 1, 2026 in Chicago).
	n := time.Date(2026, 10, 31, 23, 30, 0, 0, chicago)
	if got, err := Parse("in 1 day", n, chicago); err != nil || got.String() != "2026-11-01" {
		t.Errorf("in 1 day across DST = %s, %v", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // a part of the message
	}{
		{"", "missing"},
		{"   ", "missing"},
		{"someday", "can't read `someday`"},
		{"Dec 32", "December has no day 32"},
		{"Decembre 15", "can't read"},
		{"Dec 15, 2025", "in the past"},
		{"next month", "can't read"},
		{"2026-11-17", "in the past"},
		{"2020-01-01", "in the past"},
		{"11/17/2026", "in the past"},
		{"yesterday", "That's in the past (Tue Nov 17; today is Wed Nov 18)"},
		{"in 0 days", "is today"},
		{"in 0 weeks", "is today"},
		{"in -3 days", "as a number"},
		{"in three days", "as a number"},
		{"in 3", "say `in 3 days`"},
		{"in 2 months", "only days and weeks"},
		{"in 99999999999999999999 days", "as a number"},
		{"in 5000 days", "more than 5 years"},
		{"in 100000 weeks", "more than 5 years"},
		{"2040-01-01", "more than 5 years"},
		{"12/15/2099", "more than 5 years"},
		{"2026-13-01", "no month 13"},
		{"2026-02-30", "February has no day 30"},
		{"2027-02-29", "February has no day 29"},
		{"13/45", "no month 13"},
		{"4/31", "April has no day 31"},
		{"0/10", "no month 0"},
		{"12/0", "December has no day 0"},
		{"12/15/202", "month/day"},
		{"12/15/2026/1", "month/day"},
		{"12//15", "month/day"},
		{"2026-12", "year-month-day"},
		{"26-12-15", "year-month-day"},
		{"2026-1x-15", "year-month-day"},
		{"friday`<!channel>`", "can't read"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, now, chicago)
		var de *Error
		if !errors.As(err, &de) {
			t.Errorf("Parse(%q) error %v, want *Error containing %q", tt.in, err, tt.want)
			continue
		}
		if !strings.Contains(de.Message, tt.want) {
			t.Errorf("Parse(%q) message %q, want it to contain %q", tt.in, de.Message, tt.want)
		}
	}
}

func TestDateHelpers(t *testing.T) {
	d, err := ParseISO("2026-12-15")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Human(Date{2026, 11, 18}); got != "Tue Dec 15" {
		t.Errorf("Human = %q", got)
	}
	if got := d.Human(Date{2025, 11, 18}); got != "Tue Dec 15, 2026" {
		t.Errorf("Human other year = %q", got)
	}
	if n := (Date{2026, 11, 18}).DaysUntil(d); n != 27 {
		t.Errorf("DaysUntil = %d", n)
	}
	if !d.In(chicago).Equal(time.Date(2026, 12, 15, 0, 0, 0, 0, chicago)) {
		t.Errorf("In = %s", d.In(chicago))
	}
	if _, err := ParseISO("nope"); err == nil {
		t.Error("ParseISO(nope) succeeded")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-12-15", "12/15", "12/15/2026", "friday", "in 3 days", "in 2 weeks",
		"end of month", "next week", "in 99999999999 weeks", "2/29", "-1/-1", "in a", "9999-12-31"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, offset int64) {
		n := now.Add(time.Duration(offset%(200*365*24)) * time.Hour)
		d, err := Parse(s, n, chicago)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Message == "" {
				t.Fatalf("Parse(%q) error %v is not an *Error with a message", s, err)
			}
			return
		}
		today := Of(n.In(chicago))
		if d.Before(today) || today.DaysUntil(d) > (MaxYears+1)*366 {
			t.Fatalf("Parse(%q) at %s = %s, out of range", s, n, d)
		}
	})
}
