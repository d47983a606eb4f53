package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	rs := redistest.Start(t)
	return store.New(rs.Client(t), store.NewKeys(rs.Prefix(t)))
}

// awaitSignal is a Claimer that tells, on awaiting, that a replica has come
// to the tick's lease.
type awaitSignal struct {
	Claimer
	awaiting chan<- struct{}
}

func (a awaitSignal) AwaitLease(ctx context.Context, l store.Lease, owner string, ttl, poll time.Duration) (store.LeaseState, error) {
	a.awaiting <- struct{}{}
	return a.Claimer.AwaitLease(ctx, l, owner, ttl, poll)
}

// runUntilCaughtUp runs s until the start-up catch-up of every job is over,
// then stops it and waits until Run has returned.
func runUntilCaughtUp(t *testing.T, s *Scheduler) {
	t.Helper()
	caught := make(chan string, len(s.entries))
	s.caughtUp = func(job string) { caught <- job }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for range s.entries {
		select {
		case <-caught:
		case <-time.After(30 * time.Second):
			t.Fatal("the start-up catch-up did not end")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestTickRunsOnceAcrossReplicas(t *testing.T) {
	st := newTestStore(t)
	const replicas = 5
	// The first replica to win runs while every other one waits for the
	// lease: the job ends only once all of them have come to it.
	awaiting := make(chan struct{}, replicas)
	var runs atomic.Int32
	job := Job{Name: "feedback", Run: func(ctx context.Context, _ time.Time) error {
		runs.Add(1)
		for range replicas {
			select {
			case <-awaiting:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}}
	tick := time.Unix(1_800_000_000, 0)
	var wg sync.WaitGroup
	for i := 0; i < replicas; i++ {
		s := New(Config{Team: "T1", Claimer: awaitSignal{st, awaiting}, Lease: 300 * time.Millisecond})
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { _ = s.runTick(t.Context(), s.entries["feedback"], tick, "test") })
	}
	wg.Wait()
	if got := runs.Load(); got != 1 {
		t.Fatalf("runs = %d, want 1", got)
	}
}

func TestInterruptedTickIsTakenOver(t *testing.T) {
	st := newTestStore(t)
	tick := time.Unix(1_800_000_060, 0)
	started := make(chan struct{})
	var done []string
	var mu sync.Mutex
	mark := func(who string) {
		mu.Lock()
		done = append(done, who)
		mu.Unlock()
	}
	// Replica A is stopped in the middle of the run.
	a := New(Config{Team: "T1", Claimer: st, Lease: 300 * time.Millisecond})
	_ = a.Add(Job{Name: "feedback", Run: func(ctx context.Context, _ time.Time) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- a.runTick(ctx, a.entries["feedback"], tick, "test") }()
	<-started
	// Replica B waits while A holds the lease...
	awaiting := make(chan struct{}, 1)
	b := New(Config{Team: "T1", Claimer: awaitSignal{st, awaiting}, Lease: 300 * time.Millisecond})
	_ = b.Add(Job{Name: "feedback", Run: func(context.Context, time.Time) error { mark("b"); return nil }})
	bErr := make(chan error, 1)
	go func() { bErr <- b.runTick(t.Context(), b.entries["feedback"], tick, "test") }()
	<-awaiting
	// ...and takes the tick over once A stops.
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("A's run = %v, want canceled", err)
	}
	if err := <-bErr; err != nil {
		t.Fatalf("B's run = %v, want nil", err)
	}
	// Once done, nobody runs it again.
	c := New(Config{Team: "T1", Claimer: st, Lease: 300 * time.Millisecond})
	_ = c.Add(Job{Name: "feedback", Run: func(context.Context, time.Time) error { mark("c"); return nil }})
	if err := c.runTick(t.Context(), c.entries["feedback"], tick, "test"); !errors.Is(err, ErrNotClaimed) {
		t.Fatalf("C's run after done = %v, want ErrNotClaimed", err)
	}
	if len(done) != 1 || done[0] != "b" {
		t.Fatalf("completed runs = %v, want [b]", done)
	}
}

func TestPanickingJobIsRecovered(t *testing.T) {
	st := newTestStore(t)
	s := New(Config{Team: "T1", Claimer: st})
	_ = s.Add(Job{Name: "digest", Run: func(context.Context, time.Time) error { panic("boom") }})
	err := s.RunNow(t.Context(), "digest")
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("RunNow of a panicking job = %v, want a recovered panic error", err)
	}
	// The scheduler goes on: the next job runs.
	_ = s.Add(Job{Name: "ok", Run: func(context.Context, time.Time) error { return nil }})
	if err := s.RunNow(t.Context(), "ok"); err != nil {
		t.Fatalf("RunNow after a panic = %v", err)
	}
}

func TestCatchUpSkipsTicksBeforeTheFirstStart(t *testing.T) {
	st := newTestStore(t)
	var runs atomic.Int32
	// A new install starts on Monday at 10:30: the 09:00 tick belongs to no
	// run of this bot, so it is not caught up.
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	s := New(Config{Team: "T9", Claimer: st, Grace: 24 * time.Hour, Now: func() time.Time { return now }})
	if err := s.Add(Job{Name: "feedback", Spec: "0 9 * * MON", Run: func(context.Context, time.Time) error { runs.Add(1); return nil }}); err != nil {
		t.Fatal(err)
	}
	runUntilCaughtUp(t, s)
	if got := runs.Load(); got != 0 {
		t.Fatalf("runs on a first start after the tick = %d, want 0", got)
	}
}

func TestCatchUpRunsAMissedTickOnce(t *testing.T) {
	st := newTestStore(t)
	var runs atomic.Int32
	var ticks sync.Map
	job := Job{Name: "feedback", Spec: "0 9 * * MON", Run: func(_ context.Context, tick time.Time) error {
		runs.Add(1)
		ticks.Store(tick.Unix(), true)
		return nil
	}}
	start := func(now time.Time, grace time.Duration) {
		s := New(Config{Team: "T1", Claimer: st, Grace: grace, Now: func() time.Time { return now }})
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}
		runUntilCaughtUp(t, s)
	}
	// The bot ran on Monday at 08:00, then was down at 09:00.
	start(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), 24*time.Hour)
	if got := runs.Load(); got != 0 {
		t.Fatalf("runs at 08:00 = %d, want 0 (no tick to catch up on a first start)", got)
	}
	// It is Monday 10:30: the 09:00 tick was missed while the bot was down.
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	for i := 0; i < 2; i++ { // a start, then a restart: still once
		s := New(Config{Team: "T1", Claimer: st, Grace: 24 * time.Hour, Now: func() time.Time { return now }})
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}
		runUntilCaughtUp(t, s)
	}
	if got := runs.Load(); got != 1 {
		t.Fatalf("catch-up runs = %d, want 1", got)
	}
	if _, ok := ticks.Load(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).Unix()); !ok {
		t.Errorf("catch-up did not run the 09:00 tick")
	}
	// Outside the grace window nothing is caught up.
	late := New(Config{Team: "T1", Claimer: st, Grace: time.Hour, Now: func() time.Time { return now.Add(48 * time.Hour) }})
	_ = late.Add(Job{Name: "feedback", Spec: "0 9 * * MON", Run: func(context.Context, time.Time) error { runs.Add(1); return nil }})
	runUntilCaughtUp(t, late)
	if got := runs.Load(); got != 1 {
		t.Fatalf("runs after a start outside the grace window = %d, want still 1", got)
	}
}
