package cronspec

import (
	"errors"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestEveryTicksAreAlignedOnTheEpoch(t *testing.T) {
	for _, spec := range []string{"@every 2s", " @every 2s ", "CRON_TZ=America/Chicago @every 2s"} {
		sched, every, err := Parse(spec, time.UTC)
		if err != nil {
			t.Fatalf("Parse(%q): %v", spec, err)
		}
		if every != 2*time.Second {
			t.Fatalf("Parse(%q) every = %v, want 2s", spec, every)
		}
		// Two replicas started at different moments agree on the next tick.
		a := sched.Next(time.Unix(1000, 300_000_000))
		b := sched.Next(time.Unix(1001, 900_000_000))
		if !a.Equal(time.Unix(1002, 0)) || !b.Equal(time.Unix(1002, 0)) {
			t.Fatalf("Parse(%q) next ticks = %v, %v; want both %v", spec, a, b, time.Unix(1002, 0))
		}
	}
}

func TestCronSpecsRunInTheGivenZone(t *testing.T) {
	chicago := mustLoc(t, "America/Chicago")
	tokyo := mustLoc(t, "Asia/Tokyo")
	// Sunday 2026-11-22 12:00 in Chicago.
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, chicago)
	tests := []struct {
		spec string
		loc  *time.Location
		want time.Time
	}{
		{"0 9 * * MON", chicago, time.Date(2026, 11, 23, 9, 0, 0, 0, chicago)},
		{"0 9 * * MON", nil, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Asia/Tokyo 0 9 * * MON", chicago, time.Date(2026, 11, 23, 9, 0, 0, 0, tokyo)},
		{"@daily", chicago, time.Date(2026, 11, 23, 0, 0, 0, 0, chicago)},
	}
	for _, tt := range tests {
		sched, every, err := Parse(tt.spec, tt.loc)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.spec, err)
		}
		if got := sched.Next(now); !got.Equal(tt.want) || every != 0 {
			t.Errorf("Parse(%q, %v): next = %v, every = %v; want %v, 0", tt.spec, tt.loc, got, every, tt.want)
		}
	}
}

func TestParseRejectsNonsense(t *testing.T) {
	for _, spec := range []string{
		"", "every monday", "@every", "@every x", "@every  2s", "61 * * * *", "0 0 16 * * FRI",
		"TZ=UTC", "CRON_TZ=UTC ", "CRON_TZ=Mars/Olympus 0 9 * * *",
	} {
		if _, _, err := Parse(spec, time.UTC); err == nil {
			t.Errorf("Parse(%q) = nil error, want an error", spec)
		}
	}
	for _, spec := range []string{"@every 0s", "@every -2s", "@every 500ms", "@every 1500ms", "CRON_TZ=UTC @every 1500ms"} {
		if _, _, err := Parse(spec, time.UTC); !errors.Is(err, ErrInterval) {
			t.Errorf("Parse(%q) = %v, want ErrInterval", spec, err)
		}
	}
}
