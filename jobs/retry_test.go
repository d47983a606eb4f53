package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// The weekly tick fires while Redis is down: the run cannot claim it. Once
// Redis is back the tick runs, once, and on no other replica again.
func TestTickDuringARedisOutageRunsOnceRedisIsBack(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	st := store.New(rs.Client(t), store.NewKeys(rs.Prefix(t)))
	now := time.Date(2026, 12, 7, 9, 0, 20, 0, time.UTC) // Monday 09:00
	var runs atomic.Int32
	job := Job{Name: "feedback", Spec: "0 9 * * MON", Run: func(context.Context, time.Time) error { runs.Add(1); return nil }}
	newReplica := func() *Scheduler {
		s := New(Config{Team: "T1", Claimer: st, Grace: time.Hour, Lease: time.Second, Now: func() time.Time { return now }})
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := newReplica()
	e := s.entries["feedback"]
	tick := e.prevTick(now, time.Hour)

	rs.Stop()
	if err := s.runTick(t.Context(), e, tick, "schedule"); err == nil {
		t.Fatal("the tick ran with Redis down")
	}
	if err := s.RetryFailed(t.Context()); err != nil { // still down: stays failed
		t.Fatal(err)
	}
	rs.Restart()
	now = now.Add(10 * time.Minute)
	if err := s.RetryFailed(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := runs.Load(); got != 1 {
		t.Fatalf("runs once Redis is back = %d, want 1", got)
	}
	if err := s.RetryFailed(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := newReplica().runTick(t.Context(), e, tick, "catch_up"); !errors.Is(err, ErrNotClaimed) {
		t.Errorf("another replica's catch-up = %v, want ErrNotClaimed", err)
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("runs = %d, want 1", got)
	}
}

// A run that fails because Slack answered 503 gives its tick back: the
// retry runs it once more; a failure past CATCHUP_GRACE is dropped.
func TestTickThatFailedOnSlackDownRunsAgainWithinTheGrace(t *testing.T) {
	st := newTestStore(t)
	now := time.Date(2026, 12, 7, 9, 0, 20, 0, time.UTC)
	var runs atomic.Int32
	s := New(Config{Team: "T1", Claimer: st, Grace: time.Hour, Lease: time.Second, Now: func() time.Time { return now }})
	if err := s.Add(Job{Name: "digest", Spec: "0 9 * * MON", Run: func(context.Context, time.Time) error {
		if runs.Add(1) == 1 {
			return errors.Join(errors.New("post the digest"), slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"})
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	e := s.entries["digest"]
	tick := e.prevTick(now, time.Hour)
	if err := s.runTick(t.Context(), e, tick, "schedule"); err == nil {
		t.Fatal("want the 503")
	}
	for range 2 {
		if err := s.RetryFailed(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := runs.Load(); got != 2 {
		t.Fatalf("runs = %d, want 2 (the failed one and one retry)", got)
	}

	// Past the grace: not run again.
	if err := s.Add(Job{Name: "late", Spec: "0 9 * * MON", Run: func(context.Context, time.Time) error {
		return slack.StatusCodeError{Code: 502}
	}}); err != nil {
		t.Fatal(err)
	}
	late := s.entries["late"]
	if err := s.runTick(t.Context(), late, tick, "schedule"); err == nil {
		t.Fatal("want the 502")
	}
	now = now.Add(2 * time.Hour)
	if w := s.startRetries(t.Context()); len(w) != 0 {
		t.Errorf("retries past the grace = %d, want 0", len(w))
	}
}
