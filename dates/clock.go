package dates

import "time"

// ClockText shows the moment t to people in loc (UTC when nil): "10:42" on
// the day of now, "Mon Jan 2 10:42" on any other day.
func ClockText(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t, now = t.In(loc), now.In(loc)
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04")
	}
	return t.Format("Mon Jan 2 15:04")
}

// ClockTextZoned is ClockText with the zone named: "10:42 JST", "Mon Jan 2
// 10:42 CST" (the zone's abbreviation at t, or its offset when it has none).
func ClockTextZoned(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return ClockText(t, now, loc) + " " + t.In(loc).Format("MST")
}
