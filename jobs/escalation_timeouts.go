package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/service/decisions"
)

// EscalationTimeouts is the escalation_timeouts job of team, on spec:
// pending decisions whose level did not answer within its respond_within
// move to the next level, the top level is reminded once per
// respond_within, and missing cards are posted (decisions.Service.Timeouts).
// Each move is atomic, so a tick run by two replicas, or twice, moves a
// decision once.
func EscalationTimeouts(s *decisions.Service, team, spec string) Job {
	return Job{
		Name: "escalation_timeouts",
		Spec: spec,
		Run: func(ctx context.Context, _ time.Time) error {
			return s.Timeouts(ctx, team)
		},
	}
}
