package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/handlers"
)

// EscalationTimeouts is the escalation_timeouts job: pending decisions whose
// level did not answer within its respond_within move to the next level, and
// the top level is reminded once per respond_within (see
// handlers.EscalationTimeouts). Each move is atomic, so a tick run by two
// replicas, or twice, moves a decision once.
func EscalationTimeouts(h *handlers.Handlers) Job {
	return Job{
		Name: "escalation_timeouts",
		Spec: h.Policy.Schedules.EscalationTimeouts,
		Run: func(ctx context.Context, _ time.Time) error {
			return h.EscalationTimeouts(ctx)
		},
	}
}
