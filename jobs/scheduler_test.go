package jobs

import (
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
	sched, every, err := ParseSpec("@every 2s", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if every != 2*time.Second {
		t.Fatalf("every = %v, want 2s", every)
	}
	// Two replicas started at different moments agree on the next tick.
	a := sched.Next(time.Unix(1000, 300_000_000))
	b := sched.Next(time.Unix(1001, 900_000_000))
	if !a.Equal(time.Unix(1002, 0)) || !b.Equal(time.Unix(1002, 0)) {
		t.Fatalf("next ticks = %v, %v; want both %v", a, b, time.Unix(1002, 0))
	}
	e := &entry{sched: sched, every: every}
	if got := e.prevTick(time.Unix(1003, 500), time.Hour); !got.Equal(time.Unix(1002, 0)) {
		t.Fatalf("prevTick = %v, want %v", got, time.Unix(1002, 0))
	}
}

func TestCronTicksInThePolicyTimezone(t *testing.T) {
	chicago := mustLoc(t, "America/Chicago")
	sched, _, err := ParseSpec("0 9 * * MON", chicago)
	if err != nil {
		t.Fatal(err)
	}
	e := &entry{sched: sched}
	// Wednesday 2026-11-25 12:00 in Chicago: the last tick was Monday 09:00 Chicago.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, chicago)
	want := time.Date(2026, 11, 23, 9, 0, 0, 0, chicago)
	if got := e.prevTick(now, 7*24*time.Hour); !got.Equal(want) {
		t.Fatalf("prevTick = %v, want %v", got, want)
	}
	// Outside the lookback window there is no tick.
	if got := e.prevTick(now, 24*time.Hour); !got.IsZero() {
		t.Fatalf("prevTick with 24h lookback = %v, want zero", got)
	}
	// Fired a few milliseconds late, the tick is still the scheduled minute.
	fired := want.Add(3 * time.Millisecond)
	if got := e.prevTick(fired, 2*time.Minute); !got.Equal(want) {
		t.Fatalf("prevTick at fire time = %v, want %v", got, want)
	}
}

func TestParseSpecRejectsNonsense(t *testing.T) {
	for _, spec := range []string{"every monday", "@every 0s", "@every x", "61 * * * *"} {
		if _, _, err := ParseSpec(spec, time.UTC); err == nil {
			t.Errorf("ParseSpec(%q) = nil error, want an error", spec)
		}
	}
}
