package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackapi"
)

// A tick whose run failed because Redis or Slack was down (its claim could
// not be taken, or the run's error says one of them did not answer) is not
// lost: its lease is given back, and every minute the scheduler runs it
// again, under the same (job, tick) lease, until it runs or it is older
// than the catch-up window (CATCHUP_GRACE). Only the latest failed tick of
// a job is kept (a newer tick supersedes an older one, as catch-up does).
// Per-zone ticks (local.go) are retried by RunDue the same way. A restart
// forgets the failure; its start-up catch-up runs the tick instead.

// claimError is a failure to take a tick's lease: Redis did not answer.
type claimError struct{ err error }

func (c *claimError) Error() string { return c.err.Error() }
func (c *claimError) Unwrap() error { return c.err }

// down reports whether err says Redis or Slack could not answer.
func down(err error) bool {
	if err == nil || errors.Is(err, ErrNotClaimed) {
		return false
	}
	var ce *claimError
	return errors.As(err, &ce) || unavailable(err) || slackapi.Down(err)
}

// unavailable reports whether any error in err's tree is domain.Unavailable,
// domain.Unconfirmed (written, but the replicas did not confirm it) or
// domain.MaybeApplied (sent, but no answer came): the run may have stopped
// half way, and runs again.
func unavailable(err error) bool {
	var de *domain.Error
	if errors.As(err, &de) && (de.Code == domain.Unavailable || de.Code == domain.Unconfirmed || de.Code == domain.MaybeApplied) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if unavailable(e) {
				return true
			}
		}
	case interface{ Unwrap() error }:
		return unavailable(u.Unwrap())
	}
	return false
}

// noteOutcome records that e's tick failed because Redis or Slack was
// down, or forgets it once the tick ran (here or on another replica).
func (s *Scheduler) noteOutcome(e *entry, tick time.Time, err error) {
	s.localMu.Lock()
	defer s.localMu.Unlock()
	switch {
	case down(err):
		if tick.After(e.failed) {
			e.failed = tick
		}
	case err == nil || errors.Is(err, ErrNotClaimed):
		if !e.failed.After(tick) {
			e.failed = time.Time{}
		}
	}
}

// RetryFailed runs once more every job's tick that failed because Redis or
// Slack was down and is still within the catch-up window, and waits for
// them. The scheduler calls it every minute (without waiting); tests call
// it once Redis or Slack is back.
func (s *Scheduler) RetryFailed(ctx context.Context) error {
	for _, ch := range s.startRetries(ctx) {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// startRetries starts the retries RetryFailed waits for and returns their ends.
func (s *Scheduler) startRetries(ctx context.Context) []chan struct{} {
	now := s.cfg.Now()
	s.mu.Lock()
	entries := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		entries = append(entries, e)
	}
	s.mu.Unlock()
	var waits []chan struct{}
	for _, e := range entries {
		s.localMu.Lock()
		tick := e.failed
		if !tick.IsZero() && (s.cfg.Grace <= 0 || now.Sub(tick) > s.cfg.Grace) {
			s.cfg.Log.Warn("a failed tick is past the catch-up window: not run again", "job", e.job.Name, "tick", tick.UTC().Format(time.RFC3339))
			e.failed, tick = time.Time{}, time.Time{}
		}
		if tick.IsZero() || e.retrying {
			s.localMu.Unlock()
			continue
		}
		e.retrying = true
		s.localMu.Unlock()
		ch := make(chan struct{})
		waits = append(waits, ch)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(ch)
			_ = s.runTick(ctx, e, tick, "retry")
			s.localMu.Lock()
			e.retrying = false
			s.localMu.Unlock()
		}()
	}
	return waits
}
