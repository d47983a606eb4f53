// Package dates reads the due date of a commitment as people type it
// ("friday", "in 2 weeks", "12/15", "2026-12-15") into a calendar date,
// relative to a "now" in the policy's timezone, and shows dates and moments
// back to people (Date.Human, ClockText).
//
// Forms (case-insensitive, extra spaces ignored):
//
//	2026-12-15           an ISO date
//	12/15, 12/15/2026    month/day; without a year, a month/day already past this year means next year
//	12/15/26             a two-digit year is 20xx
//	today, tomorrow
//	monday … sunday      and mon, tue, wed, thu, fri, sat, sun: the next one, never today
//	in 3 days, in 1 day, in a day
//	in 2 weeks, in 1 week, in a week
//	next week            next Monday
//	end of week          Friday of this week (the next Friday on a weekend)
//	end of month         the last day of this month
//
// Dates before today, "in 0 days", and dates more than MaxYears years away
// are refused with an *Error that says what is wrong.
//
// ParseDuration reads the lengths of time the policy file and the
// environment write ("72h", "3d", "1d12h").
package dates

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxYears is how far ahead a due date may be.
const MaxYears = 5

// Forms is a short list of the accepted forms, for error messages.
const Forms = "`2026-12-15`, `12/15`, `friday`, `tomorrow`, `in 3 days`, `in 2 weeks`, `next week`, `end of month`"

// Date is a calendar date, without a time or a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Of returns the date of t in its own location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseISO reads "2006-01-02".
func ParseISO(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	return Of(t), nil
}

// String returns the date as "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns the start (midnight) of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// utc is d at midnight UTC, for day arithmetic free of DST.
func (d Date) utc() time.Time { return d.In(time.UTC) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Of(d.utc().AddDate(0, 0, n)) }

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// DaysUntil returns the number of days from d to e (negative when e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.utc().Sub(d.utc()).Hours() / 24)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.DaysUntil(e) > 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.DaysUntil(e) < 0 }

// Human returns d for people: "Fri Dec 15", with the year when it is not
// the year of today.
func (d Date) Human(today Date) string {
	if d.Year != today.Year {
		return d.utc().Format("Mon Jan 2, 2006")
	}
	return d.utc().Format("Mon Jan 2")
}

// Error is a due date that cannot be used; Message says why, for people.
type Error struct {
	Input   string
	Message string
	// Unreadable is set when the text is no date at all (as opposed to a
	// date that is in the past, too far away or not on the calendar).
	Unreadable bool
	// TooFar is set for a date more than MaxYears away, so that a caller
	// with a nearer limit can say it in its own words.
	TooFar bool
}

func (e *Error) Error() string { return e.Message }

func errorf(input, format string, args ...any) error {
	return &Error{Input: input, Message: fmt.Sprintf(format, args...)}
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "sun": time.Sunday,
	"monday": time.Monday, "mon": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "tues": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday,
	"thursday": time.Thursday, "thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday,
	"friday": time.Friday, "fri": time.Friday,
	"saturday": time.Saturday, "sat": time.Saturday,
}

// Parse reads the due-date phrase s relative to now in loc (nil is UTC) and
// returns the date it names. Errors are *Error.
func Parse(s string, now time.Time, loc *time.Location) (Date, error) {
	if loc == nil {
		loc = time.UTC
	}
	today := Of(now.In(loc))
	in := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	in = strings.TrimRight(in, ".!,;")
	shown := strings.ReplaceAll(strings.TrimSpace(s), "`", "'")
	if len([]rune(shown)) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	if in == "" {
		return Date{}, errorf(s, "The due date is missing: try %s.", Forms)
	}
	d, err := parse(in, shown, today)
	if err != nil {
		return Date{}, err
	}
	if d.Before(today) {
		return Date{}, errorf(s, "That's in the past (%s; today is %s): pick today or a later date.", d.Human(today), today.Human(today))
	}
	if limit := Of(today.utc().AddDate(MaxYears, 0, 0)); d.After(limit) {
		return Date{}, &Error{Input: s, TooFar: true,
			Message: fmt.Sprintf("%s is more than %d years away: pick a date before %s.", d.String(), MaxYears, limit.String())}
	}
	return d, nil
}

func parse(in, shown string, today Date) (Date, error) {
	switch in {
	case "today":
		return today, nil
	case "yesterday":
		return today.AddDays(-1), nil // refused by Parse as in the past
	case "tomorrow", "tmrw", "tmr":
		return today.AddDays(1), nil
	case "next week":
		return nextWeekday(today, time.Monday), nil
	case "end of week", "end of the week", "eow":
		return endOfWeek(today), nil
	case "end of month", "end of the month", "eom":
		return Of(time.Date(today.Year, today.Month+1, 0, 0, 0, 0, 0, time.UTC)), nil
	}
	if wd, ok := weekdays[in]; ok {
		return nextWeekday(today, wd), nil
	}
	if rest, ok := strings.CutPrefix(in, "next "); ok {
		if wd, ok := weekdays[rest]; ok {
			return nextWeekday(today, wd), nil
		}
	}
	if rest, ok := strings.CutPrefix(in, "in "); ok {
		return parseIn(rest, shown, today)
	}
	if len(in) > 0 && in[0] >= '0' && in[0] <= '9' {
		if strings.Contains(in, "-") {
			return parseISO(in, shown)
		}
		if strings.Contains(in, "/") {
			return parseSlash(in, shown, today)
		}
	}
	if m, d, y, ok := monthDay(in); ok {
		slash := fmt.Sprintf("%d/%s", m, d)
		if y != "" {
			slash += "/" + y
		}
		return parseSlash(slash, shown, today)
	}
	return Date{}, &Error{Input: shown, Message: fmt.Sprintf("I can't read `%s` as a date: try %s.", shown, Forms), Unreadable: true}
}

// Dates with the month's name: "dec 15", "december 15th, 2026", "15 dec".
var (
	monthDayRe = regexp.MustCompile(`^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?$`)
	dayMonthRe = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?(?:,? (\d{4}))?$`)
)

// monthDay reads a date written with the month's name (full or its first
// three letters, "sept" too) into month number, day and optional year.
func monthDay(in string) (month int, day, year string, ok bool) {
	var name string
	if m := monthDayRe.FindStringSubmatch(in); m != nil {
		name, day, year = m[1], m[2], m[3]
	} else if m := dayMonthRe.FindStringSubmatch(in); m != nil {
		day, name, year = m[1], m[2], m[3]
	} else {
		return 0, "", "", false
	}
	for mo := time.January; mo <= time.December; mo++ {
		full := strings.ToLower(mo.String())
		if name == full || name == full[:3] || (mo == time.September && name == "sept") {
			return int(mo), day, year, true
		}
	}
	return 0, "", "", false
}

// nextWeekday is the next wd after today, never today itself.
func nextWeekday(today Date, wd time.Weekday) Date {
	n := (int(wd) - int(today.Weekday()) + 7) % 7
	if n == 0 {
		n = 7
	}
	return today.AddDays(n)
}

// endOfWeek is this week's Friday, today on a Friday, the next Friday on a
// weekend.
func endOfWeek(today Date) Date {
	n := (int(time.Friday) - int(today.Weekday()) + 7) % 7
	return today.AddDays(n)
}

// parseIn reads "3 days", "a week", "2 weeks" (after "in ").
func parseIn(rest, shown string, today Date) (Date, error) {
	num, unit, ok := strings.Cut(rest, " ")
	if !ok {
		return Date{}, errorf(shown, "I can't read `%s`: say `in 3 days` or `in 2 weeks`.", shown)
	}
	var n int
	if num == "a" || num == "one" {
		n = 1
	} else {
		v, err := strconv.Atoi(num)
		if err != nil || v < 0 {
			return Date{}, errorf(shown, "I can't read `%s`: say how many days or weeks as a number, like `in 3 days`.", shown)
		}
		n = v
	}
	var days int
	switch unit {
	case "day", "days":
		days = n
	case "week", "weeks":
		if n > 1000 {
			n = 1000
		}
		days = 7 * n
	default:
		return Date{}, errorf(shown, "I can't read `%s`: only days and weeks work, like `in 3 days` or `in 2 weeks`.", shown)
	}
	if days == 0 {
		return Date{}, errorf(shown, "`%s` is today: say `today`, or a number of days from 1.", shown)
	}
	if days > (MaxYears+1)*366 {
		return Date{}, &Error{Input: shown, TooFar: true,
			Message: fmt.Sprintf("`%s` is more than %d years away: pick a nearer date.", shown, MaxYears)}
	}
	return today.AddDays(days), nil
}

// parseISO reads "2026-12-15".
func parseISO(in, shown string) (Date, error) {
	parts := strings.Split(in, "-")
	if len(parts) != 3 || len(parts[0]) != 4 {
		return Date{}, errorf(shown, "I can't read `%s` as a date: write it as year-month-day, like `2026-12-15`.", shown)
	}
	y, ey := strconv.Atoi(parts[0])
	m, em := strconv.Atoi(parts[1])
	d, ed := strconv.Atoi(parts[2])
	if ey != nil || em != nil || ed != nil || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return Date{}, errorf(shown, "I can't read `%s` as a date: write it as year-month-day, like `2026-12-15`.", shown)
	}
	return civil(y, m, d, shown)
}

// parseSlash reads "12/15", "12/15/2026" and "12/15/26" (month first).
func parseSlash(in, shown string, today Date) (Date, error) {
	parts := strings.Split(in, "/")
	bad := errorf(shown, "I can't read `%s` as a date: write month/day, like `12/15` or `12/15/2026`.", shown)
	if len(parts) < 2 || len(parts) > 3 {
		return Date{}, bad
	}
	m, em := strconv.Atoi(parts[0])
	d, ed := strconv.Atoi(parts[1])
	if em != nil || ed != nil || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return Date{}, bad
	}
	if len(parts) == 3 {
		y, ey := strconv.Atoi(parts[2])
		switch {
		case ey != nil:
			return Date{}, bad
		case len(parts[2]) == 2:
			y += 2000
		case len(parts[2]) != 4:
			return Date{}, bad
		}
		return civil(y, m, d, shown)
	}
	date, err := civil(today.Year, m, d, shown)
	if err != nil && !(m == 2 && d == 29) {
		return Date{}, err
	}
	if err == nil && !date.Before(today) {
		return date, nil
	}
	// Already past this year (or Feb 29 of a common year): the next year that has it.
	for y := today.Year + 1; y <= today.Year+8; y++ {
		if date, err := civil(y, m, d, shown); err == nil {
			return date, nil
		}
	}
	return Date{}, err
}

// civil checks that y-m-d is a real date.
func civil(y, m, d int, shown string) (Date, error) {
	if m < 1 || m > 12 {
		return Date{}, errorf(shown, "`%s`: there is no month %d (months go from 1 to 12, month first: `12/15`).", shown, m)
	}
	if y < 1 || y > 9999 {
		return Date{}, errorf(shown, "`%s`: the year %d is out of range.", shown, y)
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || t.Month() != time.Month(m) {
		return Date{}, errorf(shown, "`%s`: %s has no day %d.", shown, time.Month(m).String(), d)
	}
	return Of(t), nil
}
