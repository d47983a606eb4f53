package jobs

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestRescheduleAppliesANewSpecToTheRunningScheduler(t *testing.T) {
	s := New(Config{Location: time.UTC})
	var runs atomic.Int32
	if err := s.Add(Job{Name: JobDigest, Spec: "", Run: func(context.Context, time.Time) error {
		runs.Add(1)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Job{Name: JobFeedback, Spec: "0 9 * * MON", Run: func(context.Context, time.Time) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	// A bad spec changes nothing.
	if _, err := s.Reschedule(map[string]string{JobDigest: "@every 1s", JobFeedback: "61 * * * *"}, time.UTC); err == nil {
		t.Fatal("Reschedule with a bad spec: no error")
	}
	// An unchanged spec is left alone; the digest, unscheduled until now, runs.
	changed, err := s.Reschedule(map[string]string{JobDigest: "@every 1s", JobFeedback: "0 9 * * MON"}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{JobDigest}) {
		t.Errorf("rescheduled %v, want only the digest", changed)
	}
	deadline := time.Now().Add(20 * time.Second)
	for runs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if runs.Load() == 0 {
		t.Fatal("the rescheduled job never ran")
	}
	// A new time zone reschedules every job.
	changed, err = s.Reschedule(map[string]string{JobDigest: "@every 1s", JobFeedback: "0 9 * * MON"}, mustLoc(t, "America/Chicago"))
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 {
		t.Errorf("a new time zone rescheduled %v, want both jobs", changed)
	}
}
