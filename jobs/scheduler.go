// Package jobs runs the bot's scheduled work (escalation timeouts, outcome
// follow-ups, feedback DMs, commitment reminders, the digest) on robfig/cron
// in the policy's timezone. Each run is named by its schedule tick, and a
// Redis lease per (job, tick) (store.TickLease) makes it run once per tick
// whatever the number of replicas, restarts or catch-up runs. With the
// policy's local_time, the person-facing jobs fire in each person's own
// zone instead, leased per (job, zone, tick): see local.go.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/empowerbot/empowerbot/cronspec"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/zones"
)

// Job is one scheduled job.
type Job struct {
	// Name is the policy's schedules key ("escalation_timeouts").
	Name string
	// Spec is the schedule ("0 9 * * MON", "@every 2s"), as cronspec.Parse
	// reads it; the policy check accepts the same specs.
	Spec string
	// Run does the work of one tick. tick is the scheduled time the run
	// belongs to; every replica computes the same tick.
	Run func(ctx context.Context, tick time.Time) error
	// Timeout bounds one run of this job; zero means the scheduler's
	// Config.Timeout. Fan-outs paced to Slack's limits set a longer one.
	Timeout time.Duration
	// Local, when set, is the run of one tick for the people of one time
	// zone. With the policy's local_time (Config.Zones), a job with a cron
	// spec and Local fires at the spec's time in each person's own zone,
	// once per (zone, tick) across replicas and restarts (see RunDue);
	// "@every" specs, and everything without local_time, use Run.
	Local func(ctx context.Context, t LocalTick) error
}

// LocalTick is one tick of a job in one time zone.
type LocalTick struct {
	// Tick is the scheduled instant: the spec's time in Zone.
	Tick time.Time
	// Zone is the zone whose people the run is for.
	Zone *time.Location
	// Wall is the tick's time on the wall clock, read in the policy's zone:
	// the same for every zone, it names what the people of all zones share
	// (a feedback round).
	Wall time.Time
	// In reports whether person is in Zone (people whose zone is unknown
	// are in the policy's).
	In func(person string) bool
}

// ZoneSource tells people's time zones (*zones.Directory).
type ZoneSource interface {
	// Local reports whether the policy's local_time is on.
	Local() bool
	// Snapshot returns everyone's zone now.
	Snapshot(ctx context.Context, team string) (*zones.Zones, error)
}

// Claimer holds the leases of (job, tick) pairs in Redis (store.Store), so
// that each tick runs once across replicas and a tick whose replica died is
// taken over.
type Claimer interface {
	TickLease(team, job string, tick time.Time) store.Lease
	AwaitLease(ctx context.Context, l store.Lease, owner string, ttl, poll time.Duration) (store.LeaseState, error)
	RefreshLease(ctx context.Context, l store.Lease, owner string, ttl time.Duration) (bool, error)
	FinishLease(ctx context.Context, l store.Lease, owner string, keep time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, l store.Lease, owner string) (bool, error)
}

// Config configures a Scheduler.
type Config struct {
	Location *time.Location
	// Team is the Slack team whose keys hold the claims.
	Team    string
	Claimer Claimer
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// Grace is how long after a missed tick it is still run once at
	// start-up (CATCHUP_GRACE, default 24h). Zero disables catch-up. A tick
	// from before the job was first scheduled in this Redis is never caught
	// up (when Claimer records that, as the store does).
	Grace time.Duration
	// Timeout bounds one run (default 10m).
	Timeout time.Duration
	// Now is the clock used to name ticks (default time.Now).
	Now func() time.Time
	// Lease is how long a claim lives without refresh (default 15s).
	Lease time.Duration
	// Zones, when set, tells people's zones: with local_time on, the jobs
	// with Local fire per zone (RunDue, every minute).
	Zones ZoneSource
}

type entry struct {
	job   Job
	sched cron.Schedule
	every time.Duration // >0 for "@every D" specs
	mu    sync.Mutex    // serialises runs of this job in this replica

	// failed is the latest tick whose run failed because Redis or Slack was
	// down (retry.go), zero when none; retrying is true while its retry
	// runs. Both guarded by Scheduler.localMu.
	failed   time.Time
	retrying bool
}

// local reports whether e fires per zone when local_time is on.
func (e *entry) local() bool { return e.job.Local != nil && e.sched != nil && e.every == 0 }

// Scheduler runs jobs. Add every job before Run.
type Scheduler struct {
	cfg     Config
	owner   string // this replica's lease owner ID
	entries map[string]*entry
	wg      sync.WaitGroup
	// mu guards entries, cron and ids once Run has started (Reschedule).
	mu     sync.Mutex
	cron   *cron.Cron
	runCtx context.Context
	ids    map[string]cron.EntryID
	// caughtUp, when set (tests), is called once the start-up catch-up of
	// a job is over, whether or not it ran a tick.
	caughtUp func(job string)

	localMu  sync.Mutex
	zoned    map[string]cron.Schedule // guarded by localMu: job@zone -> the spec in that zone
	handled  map[string]time.Time     // guarded by localMu: job@zone -> the last tick run (here or elsewhere)
	inflight map[string]chan struct{} // guarded by localMu: job@zone@tick -> closed when its run ends
	since    map[string]time.Time     // guarded by localMu: job -> when it was first scheduled
}

// New returns a Scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease == 0 {
		cfg.Lease = 15 * time.Second
	}
	return &Scheduler{cfg: cfg, owner: store.NewOwner(), entries: make(map[string]*entry),
		zoned: map[string]cron.Schedule{}, handled: map[string]time.Time{}, inflight: map[string]chan struct{}{}, since: map[string]time.Time{}}
}

// Add registers j. An empty spec leaves the job unscheduled (it can still be
// run with RunNow).
func (s *Scheduler) Add(j Job) error {
	e := &entry{job: j}
	s.mu.Lock()
	loc := s.cfg.Location
	s.mu.Unlock()
	if strings.TrimSpace(j.Spec) != "" {
		sched, every, err := cronspec.Parse(j.Spec, loc)
		if err != nil {
			return fmt.Errorf("schedule %s: %w", j.Name, err)
		}
		e.sched, e.every = sched, every
	}
	s.mu.Lock()
	s.entries[j.Name] = e
	s.mu.Unlock()
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.JobRuns.WithLabelValues(j.Name, "ok") // on /metrics from start-up
		s.cfg.Metrics.JobLastSuccess.WithLabelValues(j.Name)
		s.cfg.Metrics.JobDuration.WithLabelValues(j.Name, "ok")
	}
	return nil
}

// Names lists the registered jobs, sorted.
func (s *Scheduler) Names() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.entries))
	for n := range s.entries {
		out = append(out, n)
	}
	s.mu.Unlock()
	sort.Strings(out)
	return out
}

// PrevTick returns the latest tick of e at or before t, or the zero time when
// none is found within lookback.
func (e *entry) prevTick(t time.Time, lookback time.Duration) time.Time {
	if e.sched == nil {
		return time.Time{}
	}
	if e.every > 0 {
		return time.Unix(0, 0).Add(t.Sub(time.Unix(0, 0)).Truncate(e.every)).In(t.Location())
	}
	return prevCronTick(e.sched, t, lookback)
}

// prevCronTick returns the latest tick of sched at or before t, or the zero
// time when none is found within lookback.
func prevCronTick(sched cron.Schedule, t time.Time, lookback time.Duration) time.Time {
	// Cron specs have minute resolution: walk forward from the start of the
	// lookback window and keep the last tick not after t.
	var last time.Time
	cur := t.Add(-lookback).Truncate(time.Minute).Add(-time.Nanosecond)
	for i := 0; i < 1_000_000; i++ {
		n := sched.Next(cur)
		if n.IsZero() || n.After(t) {
			break
		}
		last, cur = n, n
	}
	return last
}

// claimTTL keeps a claim long enough for catch-up to see it.
func (s *Scheduler) claimTTL(e *entry) time.Duration {
	ttl := s.cfg.Grace + time.Hour
	if e.every > 0 && 3*e.every > ttl {
		ttl = 3 * e.every
	}
	return ttl
}

// Run starts the schedules, runs each job's missed tick once when it is
// within the grace window, and blocks until ctx ends; then it waits for
// running jobs to finish.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	c := cron.New(cron.WithLocation(s.cfg.Location))
	s.cron, s.runCtx, s.ids = c, ctx, make(map[string]cron.EntryID)
	for _, e := range s.entries {
		s.schedule(e)
	}
	entries := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		entries = append(entries, e)
	}
	s.mu.Unlock()
	// Every minute, the ticks of each zone that are due (local ticks come
	// at any minute of the day somewhere), and once at start-up.
	if every, err := cron.ParseStandard("* * * * *"); err == nil {
		c.Schedule(every, cron.FuncJob(func() {
			if s.local() {
				s.startDue(ctx)
			}
			s.startRetries(ctx)
		}))
	}
	s.wg.Go(func() {
		if s.local() {
			s.startDue(ctx)
		}
	})
	for _, e := range entries {
		e := e
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.catchUp(ctx, e)
			if s.caughtUp != nil {
				s.caughtUp(e.job.Name)
			}
		}()
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	s.wg.Wait()
	return nil
}

// schedule puts e on the running cron (s.mu held).
func (s *Scheduler) schedule(e *entry) {
	if e.sched == nil {
		return
	}
	ctx := s.runCtx
	s.ids[e.job.Name] = s.cron.Schedule(e.sched, cron.FuncJob(func() {
		if e.local() && s.local() {
			return // RunDue fires it in each zone
		}
		tick := e.prevTick(s.cfg.Now(), 2*time.Minute)
		if tick.IsZero() {
			tick = s.cfg.Now().Truncate(time.Second)
		}
		s.runTick(ctx, e, tick, "schedule")
	}))
}

// sinceRecorder remembers when each job was first scheduled (the store).
type sinceRecorder interface {
	JobSince(ctx context.Context, team, job string, now time.Time) (time.Time, error)
}

// catchUp runs e's last tick once when it was missed within the grace
// window. Only ticks after the job was first scheduled in this Redis count
// as missed: a new install does not run the week's feedback or digest the
// moment it starts.
func (s *Scheduler) catchUp(ctx context.Context, e *entry) {
	now := s.cfg.Now()
	since := time.Time{}
	if r, ok := s.cfg.Claimer.(sinceRecorder); ok {
		var err error
		if since, err = r.JobSince(ctx, s.cfg.Team, e.job.Name, now); err != nil {
			s.cfg.Log.Warn("no catch-up: could not read when the job was first scheduled", "job", e.job.Name, "error", err.Error())
			return
		}
	}
	if s.cfg.Grace <= 0 || e.sched == nil {
		return
	}
	if e.local() && s.local() {
		return // Run's first RunDue catches up each zone's tick
	}
	tick := e.prevTick(now, s.cfg.Grace)
	if tick.IsZero() || now.Sub(tick) > s.cfg.Grace || tick.Before(since) {
		return
	}
	s.runTick(ctx, e, tick, "catch_up")
}

// RunNow runs the named job at once, as the tick "now" (the sandbox's "run
// now" button, and tests).
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	s.mu.Lock()
	e, ok := s.entries[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("no job %q", name)
	}
	return s.runTick(ctx, e, s.cfg.Now().Truncate(time.Millisecond), "manual")
}

// ErrNotClaimed means another replica (or an earlier run) ran the tick.
var ErrNotClaimed = errors.New("tick already run")

// runTick runs the job's tick once across replicas: it takes the tick's
// lease (waiting while another live replica holds it, and taking over when
// that replica dies), refreshes it while the job runs, and marks the tick done
// at the end. When ctx ends mid-run the lease is given back, so a restart or
// another replica runs the rest. A panic is recovered.
func (s *Scheduler) runTick(ctx context.Context, e *entry, tick time.Time, why string) error {
	err := s.runTickAs(ctx, e, e.job.Name, tick, why, func(rctx context.Context) error { return e.job.Run(rctx, tick) })
	if why != "manual" {
		s.noteOutcome(e, tick, err)
	}
	return err
}

// runTickAs is runTick for the lease of claim (the job's name, or job@zone
// for a zone's tick), running run.
func (s *Scheduler) runTickAs(ctx context.Context, e *entry, claim string, tick time.Time, why string, run func(context.Context) error) (err error) {
	s.wg.Add(1)
	defer s.wg.Done()
	name := e.job.Name
	log := s.cfg.Log.With("job", claim, "tick", tick.UTC().Format(time.RFC3339Nano), "trigger", why)
	outcome := "ok"
	start := time.Now()
	defer func() {
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.JobRuns.WithLabelValues(name, outcome).Inc()
			if outcome != "skipped" {
				s.cfg.Metrics.JobDuration.WithLabelValues(name, outcome).Observe(time.Since(start).Seconds())
			}
			if outcome == "ok" {
				s.cfg.Metrics.JobLastSuccess.WithLabelValues(name).SetToCurrentTime()
			}
		}
	}()
	timeout := s.cfg.Timeout
	if e.job.Timeout > 0 {
		timeout = e.job.Timeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Redis calls about the lease must outlive ctx so the lease is given back.
	bg := context.WithoutCancel(ctx)
	if s.cfg.Claimer != nil {
		lease := s.cfg.Claimer.TickLease(s.cfg.Team, claim, tick)
		// While another live replica holds the tick, wait: it finishes the
		// tick, or dies and this replica takes the tick over.
		st, cerr := s.cfg.Claimer.AwaitLease(rctx, lease, s.owner, s.cfg.Lease, s.cfg.Lease/3)
		if cerr != nil {
			if rctx.Err() != nil {
				outcome = "skipped"
				return rctx.Err()
			}
			outcome = "error"
			log.Error("job claim failed", "error", cerr.Error())
			return &claimError{fmt.Errorf("claim %s: %w", name, cerr)}
		}
		if st != store.LeaseClaimed {
			outcome = "skipped"
			return ErrNotClaimed
		}
		stopRefresh := s.keepLease(rctx, lease, log)
		defer func() {
			stopRefresh()
			ectx, ecancel := context.WithTimeout(bg, 2*time.Second)
			defer ecancel()
			var eerr error
			// A run that failed because Redis or Slack was down gives the
			// tick back, so that it runs once they are back (retry.go).
			if (rctx.Err() == nil || err == nil) && !down(err) {
				_, eerr = s.cfg.Claimer.FinishLease(ectx, lease, s.owner, s.claimTTL(e))
			} else {
				_, eerr = s.cfg.Claimer.ReleaseLease(ectx, lease, s.owner)
			}
			if eerr != nil {
				log.Warn("job lease end failed", "error", eerr.Error())
			}
		}()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			outcome = "panic"
			err = fmt.Errorf("job %s panicked: %v", name, r)
			log.Error("job panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	if err = run(rctx); err != nil {
		outcome = "error"
		if rctx.Err() != nil {
			outcome = "interrupted"
		}
		log.Error("job failed", "error", err.Error(), "duration_ms", time.Since(start).Milliseconds())
		return err
	}
	log.Info("job done", "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// keepLease refreshes the lease until the returned stop is called.
func (s *Scheduler) keepLease(ctx context.Context, lease store.Lease, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if ok, err := s.cfg.Claimer.RefreshLease(ctx, lease, s.owner, s.cfg.Lease); err != nil || !ok {
					log.Warn("job lease not refreshed", "held", ok, "error", fmt.Sprint(err))
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
