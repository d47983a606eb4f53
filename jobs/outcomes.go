package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/store"
)

// JobOutcomeFollowups is the outcome follow-up job (the policy's schedules key).
const JobOutcomeFollowups = "outcome_followups"

// OutcomeFollowups is the outcome_followups job of team, on spec: every
// autonomous or approved decision whose outcomes.ask_after has passed gets
// its follow-up DM, once (recognition.Service.FollowUps). Each decision is
// claimed and recorded atomically, so a tick run by two replicas, a rerun
// after a restart or a catch-up run asks each requester once.
func OutcomeFollowups(r *recognition.Service, team, spec string) Job {
	return Job{
		Name: JobOutcomeFollowups,
		Spec: spec,
		Run: func(ctx context.Context, _ time.Time) error {
			return r.FollowUps(ctx, team, store.NewOwner())
		},
		Local: func(ctx context.Context, t LocalTick) error {
			return r.FollowUpsFor(ctx, team, store.NewOwner(), t.In)
		},
	}
}
