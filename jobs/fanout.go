package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/store"
)

// The fan-out engine: every job that DMs many people (the weekly feedback
// DM, its reminder) goes through Fanout.Run, which
//
//   - skips the people a previous run of the same (job, run) already handled,
//     reading the run's ledger once;
//   - claims each person atomically in Redis just before the send and records
//     the result right after it, so two replicas, a rerun after a crash or a
//     catch-up run never DM anyone twice and never skip anyone;
//   - when it takes over the claim of a run that died while sending (the DM
//     may have reached Slack before the death, unrecorded), first asks
//     Finder whether the DM of this (job, run) is already in the person's
//     DM channel (the DMs carry message metadata naming it), and records it
//     as sent instead of sending it again;
//   - paces the sends with its own limiter (Rate) on top of the Web API
//     client's per-method pacing and 429 handling;
//   - stops launching sends when ctx ends, but lets the sends in flight finish
//     and be recorded, so a stopped run leaves nothing half done;
//   - counts every delivery in metrics (sent, skipped, failed, retried) and
//     logs one line per run with the totals.

// FanoutStore is the ledger the engine keeps in Redis (store.Store).
type FanoutStore interface {
	FanoutBegin(ctx context.Context, team, job, run string, now time.Time) (map[string]store.FanoutState, error)
	FanoutComplete(ctx context.Context, team, job, run string) error
	FanoutClaim(ctx context.Context, team, job, run, person, owner string, ttl time.Duration) (store.LeaseState, bool, error)
	FanoutRefresh(ctx context.Context, team, job, run, person, owner string, ttl time.Duration) (bool, error)
	FanoutSent(ctx context.Context, team, job, run, person, owner, channel, ts string) error
	FanoutFailed(ctx context.Context, team, job, run, person, owner, code string) error
	FanoutRelease(ctx context.Context, team, job, run, person, owner string) error
}

// SendFunc delivers one person's DM and returns its channel and timestamp.
type SendFunc func(ctx context.Context, person string) (channel, ts string, err error)

// Finder finds a fan-out DM that already went out: the DM of (job, run) to
// person, sent at or after since (zero: as far back as it looks). found is
// false when there is none. handlers.Handlers implements it by reading the
// DM channel's history for the DM's message metadata.
type Finder interface {
	FindFanoutDM(ctx context.Context, team, job, run, person string, since time.Time) (channel, ts string, found bool, err error)
}

// FanoutBegun is the part of the ledger that says when a run began (its
// DMs cannot be older), for Finder.
type FanoutBegun interface {
	FanoutBegun(ctx context.Context, team, job, run string) (time.Time, error)
}

// Fanout is the engine. Its zero value is not usable: set Store; the rest
// has defaults.
type Fanout struct {
	Store FanoutStore
	// Finder, when set, is asked before a DM whose claim was taken over is
	// sent again (see above). Without it such a DM is sent again.
	Finder  Finder
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// Rate bounds the sends per second of one run (0 or rate.Inf: no bound
	// beyond the Web API client's own pacing).
	Rate rate.Limit
	// Workers is the number of sends in flight at once (default 8).
	Workers int
	// SendTimeout bounds one send, retries included (default 2m).
	SendTimeout time.Duration
	// StopGrace is how long sends in flight may still take once ctx ended
	// (default 10s); one cut short is left for the next run.
	StopGrace time.Duration
	// Retries is how often a send failing for a reason that may pass is
	// tried again within the run (default 3).
	Retries int
	// Backoff is the first wait before such a retry; it doubles (default 1s).
	Backoff time.Duration
	// Heartbeat is the TTL of each person's claim (a lease); the run
	// refreshes the claims of its sends in flight every third of it
	// (default 15s). A claim outlives a run that died by at most this.
	Heartbeat time.Duration
	// Poll is how often the run checks people another live run is sending
	// to (default 250ms).
	Poll time.Duration
	// Now is the clock that dates runs (default time.Now).
	Now func() time.Time
}

// FanoutRun is one run: the people of one (job, run) and how to DM one.
type FanoutRun struct {
	Team string
	// Job names the job ("feedback"); Run names the run within the job
	// (the schedule tick, or the feedback round for the reminder).
	Job, Run string
	People   []string
	// Excluded is how many IDs audience resolution left out (bots,
	// deactivated users); it is only reported.
	Excluded int
	Send     SendFunc
	// Sent, when set, is called once a person's DM is recorded as sent (by
	// this run, or found sent after a takeover), with its channel and
	// timestamp: what a person did meanwhile (answered, say) can be shown
	// on the DM now that its reference is stored.
	Sent func(ctx context.Context, person, channel, ts string)
}

// Totals are the counts of one run.
type Totals struct {
	// Audience is the number of people of the run.
	Audience int
	// Excluded is FanoutRun.Excluded.
	Excluded int
	// Sent are the DMs this run delivered.
	Sent int
	// Skipped were already handled by an earlier run (or another replica).
	Skipped int
	// Failed could not be delivered: for good (recorded), or for now (left
	// for the next run).
	Failed int
	// Retried counts the retries of sends.
	Retried int
	// TakenOver counts claims of a run that died mid-send which this run
	// took over (and sent, or found sent).
	TakenOver int
	// Found counts the taken-over DMs Finder found already delivered: they
	// were recorded as sent, not sent again (they are also in Skipped).
	Found int
	// Left is the number of people not handled because the run was stopped.
	Left int
}

// ErrStopped is returned (wrapped) by Run when ctx ended before every person
// was handled; the next run of the same (job, run) finishes the work.
var ErrStopped = errors.New("fan-out stopped before the end")

func (f *Fanout) defaults() Fanout {
	c := *f
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 2 * time.Minute
	}
	if c.StopGrace <= 0 {
		c.StopGrace = 10 * time.Second
	}
	if c.Retries <= 0 {
		c.Retries = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.Rate == 0 {
		c.Rate = rate.Inf
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// counter holds a run's live totals.
type counter struct {
	sent, skipped, failed, retried, takenOver, found, left atomic.Int64
}

// Run delivers r.Send to every person of r once, and returns the totals.
// It returns an error wrapping ErrStopped when ctx ended first, and an error
// when some people could not be reached for now (they are left for the next
// run); people Slack refuses for good are counted as failed, not an error.
// When Slack refuses the bot's token (slackapi.Auth) Run stops at once: no
// one else is tried and no one is recorded as failed.
func (f *Fanout) Run(ctx context.Context, r FanoutRun) (Totals, error) {
	c := f.defaults()
	start := time.Now()
	owner := store.NewOwner()
	log := c.Log.With("job", r.Job, "run", r.Run)
	people := dedupe(r.People)
	tot := Totals{Audience: len(people), Excluded: r.Excluded}
	c.count(r.Job, "skipped", r.Excluded)
	var n counter

	// Everything that records a result uses a context that outlives ctx
	// by the send timeout, so a stop never leaves a send unrecorded.
	bg := context.WithoutCancel(ctx)

	ledger, err := c.Store.FanoutBegin(ctx, r.Team, r.Job, r.Run, c.Now())
	if err != nil {
		return tot, err
	}
	held := &claims{people: make(map[string]bool)}
	hbCtx, stopHB := context.WithCancel(bg)
	var hbWG sync.WaitGroup
	hbWG.Go(func() { c.heartbeat(hbCtx, r, owner, held, log) })
	defer func() {
		stopHB()
		hbWG.Wait()
	}()

	todo := make([]string, 0, len(people))
	for _, p := range people {
		if ledger[p].Final() {
			n.skipped.Add(1)
			c.count(r.Job, "skipped", 1)
			continue
		}
		todo = append(todo, p)
	}

	// launch ends with ctx, or as soon as Slack refuses the bot's token:
	// then no one else is tried, and everyone not reached is left for the
	// next run.
	launch, stopLaunch := context.WithCancel(ctx)
	defer stopLaunch()
	lim := newPacer(c.Rate, time.Now())
	var (
		mu      sync.Mutex
		busy    []string // people another live run is sending to
		lastErr error
		authErr error // Slack refused the token
	)
	deliver := func(p string) {
		res, err := c.deliver(ctx, bg, r, owner, p, held, &n)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case res == store.LeaseHeld:
			busy = append(busy, p)
		case err != nil:
			lastErr = err
			if slackapi.Classify(err) == slackapi.Auth && authErr == nil {
				authErr = err
				stopLaunch()
			}
		}
	}

	c.pass(launch, lim, todo, deliver, &n)

	// People another replica was sending to: wait until each is recorded,
	// or its sender died (then take it over).
	for len(busy) > 0 && launch.Err() == nil {
		t := time.NewTimer(c.Poll)
		select {
		case <-launch.Done():
		case <-t.C:
		}
		t.Stop()
		mu.Lock()
		again := busy
		busy = nil
		mu.Unlock()
		c.pass(launch, lim, again, deliver, &n)
	}
	mu.Lock()
	n.left.Add(int64(len(busy)))
	mu.Unlock()

	tot.Sent, tot.Skipped, tot.Failed = int(n.sent.Load()), int(n.skipped.Load()), int(n.failed.Load())
	tot.Retried, tot.TakenOver, tot.Left = int(n.retried.Load()), int(n.takenOver.Load()), int(n.left.Load())
	tot.Found = int(n.found.Load())
	elapsed := time.Since(start)
	perSec := 0.0
	if s := elapsed.Seconds(); s > 0 {
		perSec = float64(tot.Sent) / s
	}
	log.Info("fanout done",
		"audience", tot.Audience, "excluded", tot.Excluded, "sent", tot.Sent, "skipped", tot.Skipped, "failed", tot.Failed,
		"retried", tot.Retried, "taken_over", tot.TakenOver, "found_sent", tot.Found, "left", tot.Left,
		"duration_ms", elapsed.Milliseconds(), "per_second", float64(int(perSec*10))/10)

	if tot.Left == 0 && lastErr == nil {
		cctx, cancel := context.WithTimeout(bg, 5*time.Second)
		err := c.Store.FanoutComplete(cctx, r.Team, r.Job, r.Run)
		cancel()
		if err != nil {
			log.Warn("could not mark a fanout complete", "error", err.Error())
		}
	}
	switch {
	case authErr != nil:
		return tot, fmt.Errorf("%s %s: slack refused the bot token, %d of %d left for the next run: %w", r.Job, r.Run, tot.Left+tot.Failed, tot.Audience, authErr)
	case tot.Left > 0:
		return tot, fmt.Errorf("%s %s: %d of %d left: %w", r.Job, r.Run, tot.Left, tot.Audience, ErrStopped)
	case lastErr != nil:
		return tot, fmt.Errorf("%s %s: some deliveries failed and are left for the next run: %w", r.Job, r.Run, lastErr)
	}
	return tot, nil
}

// catchUp is how far behind its pace a run may fall and still catch up
// (the limiter's burst): a launch loop woken late by the scheduler (a
// timer fires late on a busy machine) sends the DMs it owes then, instead
// of losing them. With a burst of one, every late wake-up at 1,000/s was a
// DM fewer: 849/s achieved.
const catchUp = 50 * time.Millisecond

// newPacer returns the limiter of a run's launches at r per second: a burst
// of catchUp's worth of DMs (at least one), the bucket empty at the start,
// so the run begins at its pace, not with a burst. now is the limiter's
// clock (the wall clock: Wait sleeps on it).
func newPacer(r rate.Limit, now time.Time) *rate.Limiter {
	if r == rate.Inf {
		return rate.NewLimiter(r, 1)
	}
	burst := max(1, int(float64(r)*catchUp.Seconds()))
	lim := rate.NewLimiter(r, burst)
	lim.AllowN(now, burst-1) // one token left: the first DM goes at once
	return lim
}

// pass runs deliver for each person on c.Workers workers, paced by lim, and
// stops launching new deliveries once ctx ends; people not launched are
// counted as left.
func (c *Fanout) pass(ctx context.Context, lim *rate.Limiter, people []string, deliver func(string), n *counter) {
	if len(people) == 0 {
		return
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(c.Workers, len(people)) {
		wg.Go(func() {
			for p := range work {
				deliver(p)
			}
		})
	}
	launched := 0
	for _, p := range people {
		if ctx.Err() != nil {
			break
		}
		if err := lim.Wait(ctx); err != nil {
			break
		}
		select {
		case work <- p:
			launched++
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	n.left.Add(int64(len(people) - launched))
}

// deliver claims, sends and records one person, keeping the claim in held
// while it sends. It returns the claim's state and an error for a failure
// that may pass.
//
// A DM that may have reached Slack unrecorded (the claim was taken over
// from a run that died, or an attempt failed in a way that does not say it
// was refused: a 5xx, a timeout) is looked for with Finder before it is
// sent (again); when it is left for a later run its claim is not given back
// but left to expire, so that the later run takes it over and looks too.
func (c *Fanout) deliver(ctx, bg context.Context, r FanoutRun, owner, person string, held *claims, n *counter) (store.LeaseState, error) {
	sctx, cancel := context.WithTimeout(bg, c.SendTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(c.StopGrace, cancel) })
	defer stop()
	res, takenOver, err := c.Store.FanoutClaim(sctx, r.Team, r.Job, r.Run, person, owner, c.Heartbeat)
	if err != nil {
		n.failed.Add(1)
		c.count(r.Job, "failed", 1)
		return res, err
	}
	switch res {
	case store.LeaseDone:
		n.skipped.Add(1)
		c.count(r.Job, "skipped", 1)
		return res, nil
	case store.LeaseHeld:
		return res, nil
	}
	if takenOver {
		n.takenOver.Add(1)
	}
	// The claim is refreshed while the DM is being sent, and no longer
	// once it is being recorded or given back.
	held.add(person)
	defer held.remove(person)
	uncertain := takenOver // the DM may be out already
	giveBack := func() {
		held.remove(person)
		if !uncertain {
			c.release(bg, r, owner, person)
		}
	}

	backoff := c.Backoff
	for attempt := 0; ; attempt++ {
		if uncertain {
			found, err := c.alreadySent(sctx, r, owner, person)
			switch {
			case err != nil:
				// Not known whether it went out: a later run looks again
				// rather than risk a second DM.
				giveBack()
				n.failed.Add(1)
				c.count(r.Job, "failed", 1)
				return res, err
			case found:
				held.remove(person)
				n.skipped.Add(1)
				n.found.Add(1)
				c.count(r.Job, "skipped", 1)
				return res, nil
			}
		}
		ch, ts, err := r.Send(sctx, person)
		if err == nil {
			held.remove(person)
			if err := c.recordSent(sctx, r, owner, person, ch, ts); err != nil {
				// The DM is out; the claim stays (it is ours, or was taken
				// over) and expires, and a later run takes it over.
				c.Log.Warn("could not record a sent DM", "job", r.Job, "run", r.Run, "error", err.Error())
			} else if r.Sent != nil {
				r.Sent(sctx, person, ch, ts)
			}
			n.sent.Add(1)
			c.count(r.Job, "sent", 1)
			return res, nil
		}
		kind := slackapi.Classify(err)
		if _, limited := slackapi.RetryAfter(err); !limited && kind != slackapi.Permanent && kind != slackapi.Auth {
			// A 5xx or a timeout: Slack may have posted it.
			uncertain = uncertain || c.Finder != nil
		}
		if sctx.Err() != nil && ctx.Err() != nil {
			// Cut short by a stop: the next run sends it.
			giveBack()
			n.left.Add(1)
			return res, nil
		}
		switch kind {
		case slackapi.Permanent:
			code := cmp.Or(slackapi.Code(err), "permanent")
			held.remove(person)
			if err := c.Store.FanoutFailed(sctx, r.Team, r.Job, r.Run, person, owner, code); err != nil {
				c.Log.Warn("could not record a failed DM", "job", r.Job, "run", r.Run, "error", err.Error())
			}
			n.failed.Add(1)
			c.count(r.Job, "failed", 1)
			c.Log.Warn("fanout delivery refused by slack", "job", r.Job, "run", r.Run, "code", code)
			return res, nil
		case slackapi.Auth:
			// The token no longer works: no retry will help and the person
			// is not at fault; leave them to the next run, say so loudly,
			// and (Run) stop trying anyone else.
			giveBack()
			n.failed.Add(1)
			c.count(r.Job, "failed", 1)
			c.Log.Error("slack refused the bot token during a fan-out: check the installation", "job", r.Job, "run", r.Run, "code", slackapi.Code(err))
			return res, fmt.Errorf("send: %w", err)
		}
		wait := backoff
		if ra, ok := slackapi.RetryAfter(err); ok {
			wait = max(ra, 100*time.Millisecond)
		} else {
			backoff *= 2
		}
		if attempt >= c.Retries || sctx.Err() != nil {
			giveBack()
			n.failed.Add(1)
			c.count(r.Job, "failed", 1)
			return res, fmt.Errorf("send: %w", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		if ctx.Err() != nil {
			// Stopped while waiting to retry: leave the person to the next run.
			giveBack()
			n.left.Add(1)
			return res, nil
		}
		n.retried.Add(1)
		c.count(r.Job, "retried", 1)
	}
}

// alreadySent asks Finder whether the DM went out (a taken-over claim, or
// an attempt that may have reached Slack), and records it as sent when it
// did. Without a Finder, or when the bot may not read DM history
// (missing_scope: an installation without im:history), it reports false:
// the DM is sent (again), and the missing scope is logged.
func (c *Fanout) alreadySent(ctx context.Context, r FanoutRun, owner, person string) (bool, error) {
	if c.Finder == nil {
		return false, nil
	}
	var since time.Time
	if b, ok := c.Store.(FanoutBegun); ok {
		if t, err := b.FanoutBegun(ctx, r.Team, r.Job, r.Run); err == nil && !t.IsZero() {
			// Replicas' clocks may differ a little.
			since = t.Add(-time.Minute)
		}
	}
	ch, ts, found, err := c.Finder.FindFanoutDM(ctx, r.Team, r.Job, r.Run, person, since)
	switch {
	case err != nil && slackapi.Classify(err) == slackapi.Permanent:
		c.Log.Error("cannot read a DM's history to check a fan-out DM that may be out already (is im:history granted?): sending it",
			"job", r.Job, "run", r.Run, "code", slackapi.Code(err))
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check whether a dm went out: %w", err)
	case !found:
		return false, nil
	}
	if err := c.recordSent(ctx, r, owner, person, ch, ts); err != nil {
		// Found, so not sent again; the claim expires and a later run
		// finds it again and records it.
		c.Log.Warn("could not record a DM found sent", "job", r.Job, "run", r.Run, "error", err.Error())
	} else if r.Sent != nil {
		r.Sent(ctx, person, ch, ts)
	}
	return true, nil
}

func (c *Fanout) release(bg context.Context, r FanoutRun, owner, person string) {
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if err := c.Store.FanoutRelease(ctx, r.Team, r.Job, r.Run, person, owner); err != nil {
		c.Log.Warn("could not release a fanout claim", "job", r.Job, "run", r.Run, "error", err.Error())
	}
}

// recordSent records a sent DM, retrying briefly: an unrecorded DM would be
// sent again by a run that takes the claim over.
func (c *Fanout) recordSent(ctx context.Context, r FanoutRun, owner, person, ch, ts string) error {
	var err error
	for i := range 4 {
		err = c.Store.FanoutSent(ctx, r.Team, r.Job, r.Run, person, owner, ch, ts)
		if err == nil || errors.Is(err, store.ErrLeaseHeld) {
			return err
		}
		t := time.NewTimer(time.Duration(50<<i) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}

// claims are the people whose DM a run is sending now: their claims are
// refreshed until the DM is recorded.
type claims struct {
	mu     sync.Mutex
	people map[string]bool // guarded by mu
}

func (h *claims) add(p string) {
	h.mu.Lock()
	h.people[p] = true
	h.mu.Unlock()
}

func (h *claims) remove(p string) {
	h.mu.Lock()
	delete(h.people, p)
	h.mu.Unlock()
}

func (h *claims) has(p string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.people[p]
}

func (h *claims) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.people))
	for p := range h.people {
		out = append(out, p)
	}
	return out
}

// heartbeat refreshes owner's claims in held every third of c.Heartbeat
// until ctx ends.
func (c *Fanout) heartbeat(ctx context.Context, r FanoutRun, owner string, held *claims, log *slog.Logger) {
	t := time.NewTicker(c.Heartbeat / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, p := range held.list() {
				hctx, cancel := context.WithTimeout(ctx, c.Heartbeat/3)
				ok, err := c.Store.FanoutRefresh(hctx, r.Team, r.Job, r.Run, p, owner, c.Heartbeat)
				cancel()
				switch {
				case err != nil:
					log.Warn("fanout heartbeat failed", "error", err.Error())
				case !ok && held.has(p):
					log.Warn("fanout claim lost while sending: another run may send the same DM")
				}
			}
		}
	}
}

func (c *Fanout) count(job, result string, k int) {
	if c.Metrics != nil && k > 0 {
		c.Metrics.Fanout.WithLabelValues(job, result).Add(float64(k))
	}
}

// dedupe returns ids without empty or repeated entries, sorted.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
