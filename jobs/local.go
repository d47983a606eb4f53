package jobs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/empowerbot/empowerbot/cronspec"
)

// Local time (PRODUCT.md "Local time"). With the policy's local_time, the
// person-facing jobs (those with Job.Local and a cron spec) fire at the
// spec's time in each person's own zone. Every minute the scheduler looks,
// for each zone someone is in, for the job's last tick there; a tick within
// the catch-up window (CATCHUP_GRACE, at least two minutes) and not run yet
// is run for that zone's people under the lease of (job@zone, tick), so
// each zone's tick runs once across replicas and restarts, and a replica
// that was down catches up each zone's missed tick, as the global schedule
// does. The runs' own per-person claims (the fan-out's ledger, a
// commitment's reminder of the day, a decision's follow-up) are named by
// the person's tick, so a person whose zone changed between two ticks is
// still reached once.

// local reports whether local_time is on.
func (s *Scheduler) local() bool { return s.cfg.Zones != nil && s.cfg.Zones.Local() }

// localWindow is how long after its time a zone's tick is still run.
func (s *Scheduler) localWindow() time.Duration { return max(s.cfg.Grace, 2*time.Minute) }

// RunDue runs, with local_time on, every zone's tick of the per-zone jobs
// that is due and not run yet (in this replica or another), and waits for
// them, and for the runs of due ticks already going on here. The scheduler
// calls it every minute (without waiting); tests call it after moving the
// clock.
func (s *Scheduler) RunDue(ctx context.Context) error {
	if !s.local() {
		return nil
	}
	for _, ch := range s.startDue(ctx) {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// startDue starts the runs RunDue waits for and returns their ends.
func (s *Scheduler) startDue(ctx context.Context) []chan struct{} {
	zs, err := s.cfg.Zones.Snapshot(ctx, s.cfg.Team)
	if err != nil {
		s.cfg.Log.Warn("no local-time ticks this minute: the time zones could not be read", "error", err.Error())
		return nil
	}
	now := s.cfg.Now()
	window := s.localWindow()
	var local []*entry
	s.mu.Lock()
	for _, e := range s.entries {
		if e.local() {
			local = append(local, e)
		}
	}
	s.mu.Unlock()
	sort.Slice(local, func(i, j int) bool { return local[i].job.Name < local[j].job.Name })
	var waits []chan struct{}
	for _, e := range local {
		n := e.job.Name
		since, err := s.jobSince(ctx, e)
		if err != nil {
			s.cfg.Log.Warn("no local-time ticks: could not read when the job was first scheduled", "job", n, "error", err.Error())
			continue
		}
		for _, loc := range zs.Locations() {
			sched, err := s.zoneSchedule(e, loc)
			if err != nil {
				s.cfg.Log.Warn("schedule not readable in a zone", "job", n, "zone", loc.String(), "error", err.Error())
				continue
			}
			tick := prevCronTick(sched, now.In(loc), window)
			if tick.IsZero() || now.Sub(tick) > window || tick.Before(since) {
				continue
			}
			if ch := s.startZoneTick(ctx, e, zs.Fallback(), loc, tick, func(p string) bool { return zs.Of(p).String() == loc.String() }); ch != nil {
				waits = append(waits, ch)
			}
		}
	}
	return waits
}

// startZoneTick starts the run of e's tick in loc unless it was run, or is
// running here; it returns the run's end (nil when it was run already).
func (s *Scheduler) startZoneTick(ctx context.Context, e *entry, policyZone, loc *time.Location, tick time.Time, in func(string) bool) chan struct{} {
	claim := e.job.Name + "@" + loc.String()
	key := claim + "@" + tick.UTC().Format(time.RFC3339)
	s.localMu.Lock()
	defer s.localMu.Unlock()
	if !s.handled[claim].Before(tick) {
		return nil
	}
	if ch, ok := s.inflight[key]; ok {
		return ch
	}
	ch := make(chan struct{})
	s.inflight[key] = ch
	lt := LocalTick{Tick: tick, Zone: loc, Wall: wallClock(tick.In(loc), policyZone), In: in}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(ch)
		err := s.runTickAs(ctx, e, claim, tick, "local", func(rctx context.Context) error { return e.job.Local(rctx, lt) })
		s.localMu.Lock()
		defer s.localMu.Unlock()
		delete(s.inflight, key)
		if (err == nil || errors.Is(err, ErrNotClaimed)) && s.handled[claim].Before(tick) {
			s.handled[claim] = tick
		}
	}()
	return ch
}

// wallClock is t's date and time of day (to the minute) in loc.
func wallClock(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

// zoneSchedule is e's spec read in loc.
func (s *Scheduler) zoneSchedule(e *entry, loc *time.Location) (cron.Schedule, error) {
	key := e.job.Spec + "@" + loc.String()
	s.localMu.Lock()
	sched, ok := s.zoned[key]
	s.localMu.Unlock()
	if ok {
		return sched, nil
	}
	sched, _, err := cronspec.Parse(e.job.Spec, loc)
	if err != nil {
		return nil, fmt.Errorf("schedule %s in %s: %w", e.job.Name, loc, err)
	}
	s.localMu.Lock()
	s.zoned[key] = sched
	s.localMu.Unlock()
	return sched, nil
}

// jobSince is when e was first scheduled in this Redis (the zero time when
// the Claimer does not record it): ticks before it are never run.
func (s *Scheduler) jobSince(ctx context.Context, e *entry) (time.Time, error) {
	s.localMu.Lock()
	since, ok := s.since[e.job.Name]
	s.localMu.Unlock()
	if ok {
		return since, nil
	}
	r, ok := s.cfg.Claimer.(sinceRecorder)
	if !ok {
		return time.Time{}, nil
	}
	since, err := r.JobSince(ctx, s.cfg.Team, e.job.Name, s.cfg.Now())
	if err != nil {
		return time.Time{}, err
	}
	s.localMu.Lock()
	s.since[e.job.Name] = since
	s.localMu.Unlock()
	return since, nil
}
