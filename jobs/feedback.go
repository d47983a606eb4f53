package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/feedback"
)

// Job names of feedback (the policy's schedules keys).
const (
	JobFeedback         = feedback.JobRound
	JobFeedbackReminder = feedback.JobReminder
)

// FanoutTimeout bounds one run of a fan-out job: at the 20 DMs a second the
// Web API client allows, 6 hours reach over 400,000 people.
const FanoutTimeout = 6 * time.Hour

// FeedbackJobs returns the feedback job (the weekly question DM) and the
// feedback_reminder job on their schedules: the run bodies are the feedback
// service's, its DMs go out through a Fanout (Fanout.Deliver). With
// local_time each zone's tick DMs that zone's people, all of one round.
func FeedbackJobs(svc *feedback.Service, sch domain.Schedules) []Job {
	return []Job{
		{Name: JobFeedback, Spec: sch.Feedback, Run: svc.RunRound, Timeout: FanoutTimeout,
			Local: func(ctx context.Context, t LocalTick) error { return svc.RunRoundFor(ctx, t.Wall, t.In) }},
		{Name: JobFeedbackReminder, Spec: sch.FeedbackReminder, Run: svc.RunReminder, Timeout: FanoutTimeout,
			Local: func(ctx context.Context, t LocalTick) error { return svc.RunReminderFor(ctx, t.Wall, t.In) }},
	}
}

var _ feedback.Delivery = (*Fanout)(nil)

// Deliver runs d through the engine (feedback.Delivery): each of d's people
// is sent one DM per (job, run), and a run left unfinished stays pending
// until a later Deliver of it finishes it.
func (f *Fanout) Deliver(ctx context.Context, d feedback.Dispatch) error {
	_, err := f.Run(ctx, FanoutRun{
		Team: d.Team, Job: d.Job, Run: d.Run, People: d.People, Excluded: d.Excluded, Send: SendFunc(d.Send),
		Sent: d.Sent,
	})
	return err
}
