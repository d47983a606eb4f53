package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/recognition"
)

// EscalationTimeouts is the escalation_timeouts job of team, on spec:
// pending decisions whose level did not answer within its respond_within
// move to the next level, the top level is reminded once per
// respond_within, and missing cards are posted (decisions.Service.Timeouts);
// then the approvers of every level whose remind_after has passed get their
// one reminder DM (decisions.Service.Reminders). Each move is atomic and
// each reminder DM claimed, so a tick run by two replicas, or twice, moves a
// decision once and reminds each approver once. With rec set, it also posts
// the praise by reaction a stopped handler left unposted
// (recognition.Service.RepairReactionPraise), claimed the same way.
func EscalationTimeouts(s *decisions.Service, rec *recognition.Service, team, spec string) Job {
	return Job{
		Name: "escalation_timeouts",
		Spec: spec,
		Run: func(ctx context.Context, _ time.Time) error {
			// Timeouts first: a decision that moves up is reminded at
			// its new level, when that level's clock says so.
			terr := s.Timeouts(ctx, team)
			rerr := s.Reminders(ctx, team)
			var perr error
			if rec != nil {
				perr = rec.RepairReactionPraise(ctx, team)
			}
			return errors.Join(terr, rerr, perr)
		},
	}
}
