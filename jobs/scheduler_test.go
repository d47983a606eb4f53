package jobs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/cronspec"
	"github.com/empowerbot/empowerbot/policy"
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
	sched, every, err := cronspec.Parse("@every 2s", time.UTC)
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
	sched, _, err := cronspec.Parse("0 9 * * MON", chicago)
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

// schedulePolicy is a valid policy whose digest schedule is %s.
const schedulePolicy = `timezone: America/Chicago
channels: {praise: C1, escalations: C2, leaders: C3}
frontline: [U1]
levels:
  - {name: lead, approvers: [U2], respond_within: 1h}
activities:
  - {name: refund, frontline_limit: 100}
schedules:
  digest: %q
`

// The policy check and the scheduler read a spec with the same function
// (cronspec.Parse): a spec passes the check exactly when the scheduler can
// run it, and a spec the check refuses is refused by the scheduler too.
func TestSchedulerRunsExactlyWhatThePolicyAccepts(t *testing.T) {
	specs := []string{
		"0 9 * * MON", "*/5 * * * *", "@daily", "@hourly", "@every 2s", "@every 1h", " @every 2s ",
		"CRON_TZ=Asia/Tokyo 0 9 * * *", "TZ=UTC 0 9 * * *", "CRON_TZ=UTC @every 2s",
		"every monday", "61 * * * *", "0 0 16 * * FRI", "@every", "@every x", "@every  2s",
		"@every 0s", "@every -2s", "@every 500ms", "@every 1500ms", "CRON_TZ=UTC @every 1500ms",
		"TZ=UTC", "CRON_TZ=Mars/Olympus 0 9 * * *",
	}
	for _, spec := range specs {
		pol, perr := policy.Parse([]byte(fmt.Sprintf(schedulePolicy, spec)), "p.yaml")
		s := New(Config{Location: mustLoc(t, "America/Chicago")})
		serr := s.Add(Job{Name: "digest", Spec: spec})
		if (perr == nil) != (serr == nil) {
			t.Errorf("spec %q: policy check error %v, scheduler error %v; want both nil or both errors", spec, perr, serr)
			continue
		}
		if perr != nil {
			continue
		}
		// What the policy keeps is what the scheduler is given.
		if err := New(Config{Location: pol.Location}).Add(Job{Name: "digest", Spec: pol.Schedules.Digest}); err != nil {
			t.Errorf("spec %q: the policy's %q does not schedule: %v", spec, pol.Schedules.Digest, err)
		}
		if e := s.entries["digest"]; strings.Contains(spec, "@every") && e.every == 0 {
			t.Errorf("spec %q: scheduled without epoch-aligned ticks", spec)
		}
	}
}
