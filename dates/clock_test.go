package dates

import (
	"testing"
	"time"
)

func TestClockText(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 16, 42, 0, 0, time.UTC) // 10:42 in Chicago
	tests := []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{now, chicago, "10:42 AM CST"},
		{now.Add(-11 * time.Hour), chicago, "Sun Mar 1, 11:42 PM CST"}, // the day before in Chicago
		{now.Add(-11 * time.Hour), nil, "5:42 AM UTC"},                 // the same day in UTC
		{now.AddDate(-1, 0, 0), chicago, "Sun Mar 2, 2025, 10:42 AM CST"},
	}
	for _, tt := range tests {
		if got := ClockText(tt.t, now, tt.loc); got != tt.want {
			t.Errorf("ClockText(%v, loc %v) = %q, want %q", tt.t, tt.loc, got, tt.want)
		}
	}
}

func TestClockTextZonedNamesTheZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 18, 16, 42, 0, 0, time.UTC)
	if got := ClockText(at, at, chicago); got != "10:42 AM CST" {
		t.Errorf("Chicago: %q", got)
	}
	if got := ClockText(at, at, tokyo); got != "1:42 AM JST" {
		t.Errorf("Tokyo, the same day in Tokyo: %q", got)
	}
	if got := ClockText(at, at.Add(-12*time.Hour), tokyo); got != "Thu Nov 19, 1:42 AM JST" {
		t.Errorf("Tokyo, another day: %q", got)
	}
}
