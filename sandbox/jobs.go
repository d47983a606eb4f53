package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/cronspec"
)

// A clock you can trust: each job is described in words with its next run
// in bot time, and one control moves the clock and runs what came due.

// jobAbout says what each scheduled job does, in a line for the page. A
// job added to the scheduler adds its line here.
var jobAbout = map[string]string{
	"feedback":             "Asks everyone the feedback questions by DM",
	"feedback_reminder":    "Reminds those who have not answered this round's feedback",
	"commitment_reminders": "Reminds leaders of commitments due soon or missed",
	"escalation_timeouts":  "Nudges a leader who has not answered, then moves the card up",
	"outcome_followups":    "Asks how a decision turned out, a few days after it",
	"digest":               "Posts the week in figures and a chart to the leaders' channels",
}

// dueOrder is the order "run what's due" starts with: what moves cards and
// asks people first; the other jobs follow by name, the digest (which counts
// it all) last.
var dueOrder = []string{"escalation_timeouts", "outcome_followups", "commitment_reminders", "feedback", "feedback_reminder"}

var weekdays = map[string]string{
	"0": "Sundays", "1": "Mondays", "2": "Tuesdays", "3": "Wednesdays", "4": "Thursdays", "5": "Fridays", "6": "Saturdays", "7": "Sundays",
	"SUN": "Sundays", "MON": "Mondays", "TUE": "Tuesdays", "WED": "Wednesdays", "THU": "Thursdays", "FRI": "Fridays", "SAT": "Saturdays",
}

// specWords writes a schedule spec in words: "Mondays at 9:00 AM", "every
// day at 8:00 AM", "every 5 minutes"; a spec it cannot say is given as it is.
func specWords(spec string) string {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return "not scheduled"
	}
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		return "every " + d
	}
	f := strings.Fields(spec)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return spec
	}
	if n, ok := strings.CutPrefix(f[0], "*/"); ok && f[1] == "*" && f[4] == "*" {
		return "every " + n + " minutes"
	}
	m, errM := strconv.Atoi(f[0])
	h, errH := strconv.Atoi(f[1])
	if errM != nil || errH != nil {
		return spec
	}
	if m < 0 || m > 59 || h < 0 || h > 23 {
		return spec
	}
	// a 12-hour clock, as the bot writes times (dates.ClockText)
	at := "at " + time.Date(2000, 1, 1, h, m, 0, 0, time.UTC).Format("3:04 PM")
	if f[4] == "*" {
		return "every day " + at
	}
	if d, ok := weekdays[strings.ToUpper(f[4])]; ok {
		return d + " " + at
	}
	return spec
}

// nextRun is the job's next tick after now in the policy's zone (zero when
// it has no schedule).
func (s *Sandbox) nextRun(name string, now time.Time) time.Time {
	sched, _, err := cronspec.Parse(s.specOf(name), s.cfg.Policy.Location)
	if err != nil {
		return time.Time{}
	}
	return sched.Next(now).In(s.cfg.Policy.Location)
}

// dueBetween reports whether the job has a tick in (from, to], in the
// policy's zone or, for a policy with local_time, in a person's own zone.
func (s *Sandbox) dueBetween(name string, from, to time.Time) bool {
	locs := []*time.Location{s.cfg.Policy.Location}
	if s.cfg.Policy.LocalTime {
		for _, u := range s.dir.users {
			if l, err := time.LoadLocation(u.TZ); err == nil {
				locs = append(locs, l)
			}
		}
	}
	for _, loc := range locs {
		sched, _, err := cronspec.Parse(s.specOf(name), loc)
		if err != nil {
			return false
		}
		if n := sched.Next(from); !n.IsZero() && !n.After(to) {
			return true
		}
	}
	return false
}

// JobRun is one job run by "run what's due".
type JobRun struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// runDue runs, in dueOrder then the others by name, every job with a tick
// in (from, to], one after the other.
func (s *Sandbox) runDue(ctx context.Context, from, to time.Time) []JobRun {
	names := s.App.Jobs.Names()
	order := slices.Clone(dueOrder)
	for _, n := range names {
		if !slices.Contains(order, n) && n != "digest" {
			order = append(order, n)
		}
	}
	order = append(order, "digest")
	var out []JobRun
	for _, n := range order {
		if !slices.Contains(names, n) || !s.dueBetween(n, from, to) {
			continue
		}
		start := time.Now()
		r := JobRun{Name: n}
		if err := s.runJob(ctx, n); err != nil {
			r.Error = err.Error()
		}
		r.DurationMS = time.Since(start).Milliseconds()
		out = append(out, r)
	}
	return out
}

// errRunning is the error for a job started while it runs.
var errRunning = errors.New("already running")

// runJob runs one job now unless it is running already.
func (s *Sandbox) runJob(ctx context.Context, name string) error {
	s.jobMu.Lock()
	if s.running[name] {
		s.jobMu.Unlock()
		return fmt.Errorf("%s is %w", name, errRunning)
	}
	s.running[name] = true
	s.jobMu.Unlock()
	defer func() {
		s.jobMu.Lock()
		delete(s.running, name)
		s.jobMu.Unlock()
	}()
	if err := s.App.Jobs.RunNow(ctx, name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
