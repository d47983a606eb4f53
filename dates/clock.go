package dates

import "time"

// Moments are shown one way everywhere (App Home, digest, DMs, cards): the
// day as Human shows it, a 12-hour clock, and always the zone they are in,
// so that nobody has to guess: "10:42 AM CST" on the day of now, "Fri Dec 18,
// 10:42 AM CST" on another day, "Fri Dec 18, 2027, 10:42 AM CST" in another
// year.
const (
	clockLayout = "3:04 PM MST"
	dayLayout   = "Mon Jan 2"
	yearLayout  = "Mon Jan 2, 2006"
)

// ClockText shows the moment t to people in loc (UTC when nil), relative
// to now, with the zone named (its abbreviation at t, or its offset when it
// has none).
func ClockText(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t, now = t.In(loc), now.In(loc)
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format(clockLayout)
	case t.Year() == now.Year():
		return t.Format(dayLayout + ", " + clockLayout)
	}
	return t.Format(yearLayout + ", " + clockLayout)
}
