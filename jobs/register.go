package jobs

import (
	"github.com/empowerbot/empowerbot/handlers"
)

// Register adds every scheduled job of the product to s, with the specs of
// the policy's schedules. Each feature adds its job here.
func Register(s *Scheduler, h *handlers.Handlers) error {
	fanout := &Fanout{Store: h.Store, Metrics: h.Metrics, Log: h.Log, Now: h.Clock.Now}
	jobs := []Job{}
	jobs = append(jobs, EscalationTimeouts(h))
	jobs = append(jobs, (&Feedback{H: h, Fanout: fanout}).Jobs()...)
	jobs = append(jobs, Digest(h))
	jobs = append(jobs, OutcomeFollowups(h))
	jobs = append(jobs, CommitmentReminders(h))
	if h.Metrics != nil {
		h.Metrics.Fanout.WithLabelValues(JobFeedback, "sent") // on /metrics from start-up
	}
	for _, j := range jobs {
		if err := s.Add(j); err != nil {
			return err
		}
	}
	return nil
}
