package handlers

import "testing"

func TestParseStatsWindow(t *testing.T) {
	for in, want := range map[string]int{"": 7, "7d": 7, " 7D ": 7, "30d": 30, "30D": 30, "14d": 0, "7": 0, "week": 0, "7d 30d": 0} {
		got, ok := parseStatsWindow(in)
		if ok != (want != 0) || got != want {
			t.Errorf("parseStatsWindow(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}
