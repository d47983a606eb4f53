package jobs

import (
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/service/recognition"
)

// Deps are what the scheduled jobs run: the services whose run bodies they
// call, and the policy's schedules.
type Deps struct {
	// Decisions runs the escalation_timeouts job (and Recognition the
	// repair of praise by reaction in it).
	Decisions *decisions.Service
	// Feedback runs the feedback and feedback_reminder jobs.
	Feedback *feedback.Service
	// Commitments runs the commitment_reminders job.
	Commitments *commitments.Service
	// Team is the workspace the jobs run for.
	Team string
	// Recognition runs the outcome_followups job.
	Recognition *recognition.Service
	// Insights runs the digest job.
	Insights *insights.Service
	// Schedules are the policy's schedules.
	Schedules domain.Schedules
	// Metrics, when set, show the fan-out counters from start-up.
	Metrics *metrics.Metrics
}

// Register adds every scheduled job of the product to s, with the specs of
// the policy's schedules. Each feature adds its job here.
func Register(s *Scheduler, d Deps) error {
	jobs := []Job{}
	jobs = append(jobs, EscalationTimeouts(d.Decisions, d.Recognition, d.Team, d.Schedules.EscalationTimeouts))
	jobs = append(jobs, FeedbackJobs(d.Feedback, d.Schedules)...)
	jobs = append(jobs, Digest(d.Insights, d.Schedules.Digest))
	jobs = append(jobs, OutcomeFollowups(d.Recognition, d.Team, d.Schedules.OutcomeFollowups))
	jobs = append(jobs, CommitmentReminders(d.Commitments, d.Team, d.Schedules.CommitmentReminders))
	if d.Metrics != nil {
		d.Metrics.Fanout.WithLabelValues(JobFeedback, "sent") // on /metrics from start-up
	}
	for _, j := range jobs {
		if err := s.Add(j); err != nil {
			return err
		}
	}
	return nil
}
