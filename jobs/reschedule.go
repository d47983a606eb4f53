package jobs

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/cronspec"
	"github.com/empowerbot/empowerbot/domain"
)

// Specs maps each scheduled job's name to its spec in sch, as Register
// schedules them.
func Specs(sch domain.Schedules) map[string]string {
	return map[string]string{
		"escalation_timeouts":  sch.EscalationTimeouts,
		JobFeedback:            sch.Feedback,
		JobFeedbackReminder:    sch.FeedbackReminder,
		JobDigest:              sch.Digest,
		JobOutcomeFollowups:    sch.OutcomeFollowups,
		JobCommitmentReminders: sch.CommitmentReminders,
	}
}

// Reschedule gives the registered jobs new specs (a reloaded policy's) in
// loc, the policy's time zone: a job whose spec and zone are unchanged keeps
// its schedule; a changed one is taken off the cron and put back with the
// new spec, from the next tick on. A running tick is not interrupted. Every
// spec is checked first: on an error nothing changes. It returns the names
// of the jobs it rescheduled, sorted.
func (s *Scheduler) Reschedule(specs map[string]string, loc *time.Location) ([]string, error) {
	if loc == nil {
		loc = time.UTC
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]*entry{}
	for name, spec := range specs {
		old, ok := s.entries[name]
		if !ok || (old.job.Spec == spec && s.cfg.Location.String() == loc.String()) {
			continue
		}
		e := &entry{job: old.job}
		e.job.Spec = spec
		if strings.TrimSpace(spec) != "" {
			sched, every, err := cronspec.Parse(spec, loc)
			if err != nil {
				return nil, fmt.Errorf("schedule %s: %w", name, err)
			}
			e.sched, e.every = sched, every
		}
		next[name] = e
	}
	s.cfg.Location = loc
	changed := make([]string, 0, len(next))
	for name, e := range next {
		s.entries[name] = e
		changed = append(changed, name)
		if s.cron == nil { // not running yet: Run schedules the entries
			continue
		}
		if id, ok := s.ids[name]; ok {
			s.cron.Remove(id)
			delete(s.ids, name)
		}
		s.schedule(e)
	}
	sort.Strings(changed)
	return changed, nil
}
