package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
	"github.com/empowerbot/empowerbot/zones"
)

// noSlack is a zones.Slack that is never needed: the cache is fresh.
type noSlack struct{}

func (noSlack) UserZone(context.Context, string) (string, error) { return "", fmt.Errorf("no slack") }
func (noSlack) AllZones(context.Context) (map[string]string, error) {
	return nil, fmt.Errorf("no slack")
}

var benchZones = []string{"America/Los_Angeles", "America/Chicago", "America/New_York", "America/Sao_Paulo",
	"Europe/London", "Europe/Berlin", "Africa/Nairobi", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}

// localScheduler is a scheduler with the four person-facing jobs on their
// PRODUCT.md specs, local_time on, over n people spread over benchZones;
// run counts the runs of each zone's ticks.
func localScheduler(t testing.TB, n int, now *time.Time, mu *sync.Mutex) (*Scheduler, map[string]int) {
	t.Helper()
	rs := redistest.Start(t)
	st := store.New(rs.Client(t), store.NewKeys(rs.Prefix(t)))
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return *now }
	people := map[string]string{}
	for i := range n {
		people[fmt.Sprintf("U%05d", i)] = benchZones[i%len(benchZones)]
	}
	if err := st.SaveUserZones(context.Background(), "T1", people, clock(), true); err != nil {
		t.Fatal(err)
	}
	pol := &domain.Policy{Timezone: "America/Chicago", Location: chicago, LocalTime: true}
	dir := zones.New(zones.Config{Store: st, Slack: noSlack{}, Policy: func() *domain.Policy { return pol }, Now: clock})
	s := New(Config{Location: chicago, Team: "T1", Claimer: st, Zones: dir, Now: clock})
	runs := map[string]int{}
	var rmu sync.Mutex
	for name, spec := range map[string]string{"feedback": "0 9 * * MON", "feedback_reminder": "0 9 * * WED",
		"commitment_reminders": "0 8 * * *", "outcome_followups": "0 10 * * *"} {
		name := name
		if err := s.Add(Job{Name: name, Spec: spec, Run: func(context.Context, time.Time) error { return nil },
			Local: func(_ context.Context, lt LocalTick) error {
				rmu.Lock()
				runs[name+" "+lt.Zone.String()+" "+lt.Tick.In(lt.Zone).Format("Mon 15:04")]++
				rmu.Unlock()
				return nil
			}}); err != nil {
			t.Fatal(err)
		}
	}
	return s, runs
}

func TestRunDueRunsEachZonesTickOnceAtItsLocalTime(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC) // a Monday
	s, runs := localScheduler(t, 240, &now, &mu)
	start := now
	for now.Before(start.Add(24 * time.Hour)) {
		if err := s.RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = now.Add(15 * time.Minute)
		mu.Unlock()
	}
	// Every zone's Monday 08:00, 09:00 (feedback) and 10:00 that fell in
	// this UTC day ran once, named by its local time.
	for key, n := range runs {
		if n != 1 {
			t.Errorf("%s ran %d times", key, n)
		}
	}
	for _, want := range []string{"feedback Asia/Tokyo Mon 09:00", "feedback Europe/London Mon 09:00", "commitment_reminders America/Chicago Mon 08:00"} {
		if runs[want] != 1 {
			t.Errorf("%s did not run; runs: %v", want, runs)
		}
	}
}

// BenchmarkRunDueIdle is the cost of the scheduler's look every minute
// when nothing is due, for 5,000 people in 12 zones.
func BenchmarkRunDueIdle(b *testing.B) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 17, 12, 30, 0, 0, time.UTC) // a Tuesday, no tick due
	s, _ := localScheduler(b, 5000, &now, &mu)
	ctx := context.Background()
	if err := s.RunDue(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		mu.Lock()
		now = now.Add(time.Minute) // a fresh snapshot of the cache each minute
		mu.Unlock()
		if err := s.RunDue(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
