package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/handlers"
)

// JobOutcomeFollowups is the outcome follow-up job (the policy's schedules key).
const JobOutcomeFollowups = "outcome_followups"

// OutcomeFollowups is the outcome_followups job: every autonomous or
// approved decision whose outcomes.ask_after has passed gets its follow-up
// DM, once (see handlers.OutcomeFollowups). Each decision is claimed and
// recorded atomically, so a tick run by two replicas, a rerun after a
// restart or a catch-up run asks each requester once.
func OutcomeFollowups(h *handlers.Handlers) Job {
	return Job{
		Name: JobOutcomeFollowups,
		Spec: h.Policy.Schedules.OutcomeFollowups,
		Run: func(ctx context.Context, _ time.Time) error {
			return h.OutcomeFollowups(ctx)
		},
	}
}
