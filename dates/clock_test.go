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
		{now, chicago, "10:42"},
		{now.Add(-11 * time.Hour), chicago, "Sun Mar 1 23:42"}, // the day before in Chicago
		{now.Add(-11 * time.Hour), nil, "05:42"},               // the same day in UTC
	}
	for _, tt := range tests {
		if got := ClockText(tt.t, now, tt.loc); got != tt.want {
			t.Errorf("ClockText(%v, loc %v) = %q, want %q", tt.t, tt.loc, got, tt.want)
		}
	}
}
