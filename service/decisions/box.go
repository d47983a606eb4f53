package decisions

import (
	"context"

	"github.com/empowerbot/empowerbot/box"
)

// Box is what `/empower box` shows a person: the box of every activity, the
// tags that always go to a leader, and the levels they answer escalations
// at themselves.
type Box struct {
	// Limits is every activity's box, in the policy's order.
	Limits []box.ActivityLimits
	// Tags are the always_escalate tags, sorted.
	Tags []box.TagRule
	// Approves names, lowest first, the levels the person approves at
	// (empty for no one's approver, or when their groups could not be
	// resolved).
	Approves []string
	// Escalations is the channel where they answer escalations ("" when
	// the policy names none).
	Escalations string
}

// Box returns the box of user. It does not fail: when the person's user
// groups cannot be resolved, the levels they approve at are left out.
func (s *Service) Box(ctx context.Context, team, user string) Box {
	p := s.policy()
	b := Box{Limits: box.AllLimits(p), Tags: box.EscalationTags(p), Escalations: p.Channels.Escalations}
	levels, err := s.LevelsOf(ctx, team, user)
	if err != nil {
		s.log.Warn("could not resolve approver levels", "team", team, "user", user, "error", err.Error())
	}
	for _, l := range levels {
		b.Approves = append(b.Approves, p.LevelName(l))
	}
	return b
}
