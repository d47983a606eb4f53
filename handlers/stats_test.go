package handlers

import (
	"testing"
	"time"
)

func TestParseStatsWindow(t *testing.T) {
	for in, want := range map[string]int{"": 7, "7d": 7, " 7D ": 7, "30d": 30, "30D": 30, "14d": 0, "7": 0, "week": 0, "7d 30d": 0} {
		got, ok := parseStatsWindow(in)
		if ok != (want != 0) || got != want {
			t.Errorf("parseStatsWindow(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "<1m", 45 * time.Minute: "45m", 3 * time.Hour: "3h", 3*time.Hour + 5*time.Minute: "3h 5m",
		50 * time.Hour: "2d 2h", 48 * time.Hour: "2d",
	} {
		if got := DurationText(d); got != want {
			t.Errorf("DurationText(%v) = %q; want %q", d, got, want)
		}
	}
}
