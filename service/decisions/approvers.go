package decisions

import (
	"context"
	"fmt"
	"strings"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// LevelsOf returns, lowest first, the indexes of the levels whose approvers
// include user.
func (s *Service) LevelsOf(ctx context.Context, team, user string) ([]int, error) {
	var out []int
	for i, l := range s.policy().Levels {
		ok, err := s.dir.IsMember(ctx, team, user, l.Approvers)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// MayApprove reports whether user approves at a level that may answer d
// now (box.MayAct decides on levels; this resolves who is at which level).
// It does not look at d's state or requester (see MayAct).
func (s *Service) MayApprove(ctx context.Context, d *domain.Decision, user string) (bool, error) {
	levels, err := s.LevelsOf(ctx, d.Team, user)
	if err != nil {
		return false, err
	}
	for _, l := range levels {
		if box.MayAct(s.policy(), d.Activity, d.Amount, d.Level, l) {
			return true, nil
		}
	}
	return false, nil
}

// checkMayAct refuses, with a reason, anyone who may not answer d now.
func (s *Service) checkMayAct(ctx context.Context, d *domain.DecisionRecord, user string) error {
	if d.State != domain.StatePending {
		return domain.Conflictf("%s", s.alreadyText(d))
	}
	if user == d.Requester {
		return domain.Forbiddenf("`%s` is your own decision, so someone else has to answer it: %s. Nothing changed.",
			d.ID, slacktext.Mentions(s.policy().LevelApprovers(d.Level)))
	}
	ok, err := s.MayApprove(ctx, &d.Decision, user)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Forbiddenf("%s", s.notApproverText(ctx, d, user))
	}
	return nil
}

// notApproverText tells someone who may not answer d why, and who may.
func (s *Service) notApproverText(ctx context.Context, d *domain.DecisionRecord, user string) string {
	p := s.policy()
	var who []string
	for _, l := range box.ActingLevels(p, d.Activity, d.Amount, d.Level) {
		who = append(who, fmt.Sprintf("*%s* (%s)", slacktext.Escape(p.LevelName(l)), slacktext.Mentions(p.LevelApprovers(l))))
	}
	answer := strings.Join(who, " or ")
	levels, _ := s.LevelsOf(ctx, d.Team, user)
	if len(levels) > 0 {
		l := levels[len(levels)-1]
		name := p.LevelName(l)
		if lim, ok := box.Limits(p, d.Activity); ok && l < len(lim.Levels) && !lim.Levels[l].NoLimit && lim.Levels[l].Limit < d.Amount {
			return fmt.Sprintf("As *%s* you can approve %s up to %s; `%s` is %s, so it's for %s. Nothing changed.",
				slacktext.Escape(name), slacktext.Escape(d.Activity), lim.Levels[l].Limit.Format(lim.Currency), d.ID,
				d.Amount.Format(d.Currency), answer)
		}
		return fmt.Sprintf("`%s` now waits for *%s*, above *%s*, so it's for %s. Nothing changed.",
			d.ID, slacktext.Escape(d.LevelName), slacktext.Escape(name), answer)
	}
	return fmt.Sprintf("Only the approvers of `%s` can answer it: %s. Nothing changed.", d.ID, answer)
}

// alreadyText tells someone who acted too late what happened to d first.
func (s *Service) alreadyText(d *domain.DecisionRecord) string {
	now, loc := s.clock.Now(), s.policy().Location
	switch d.State {
	case domain.StateApproved:
		return fmt.Sprintf("%s already approved `%s` at %s, so nothing changed.", slacktext.User(d.DecidedBy), d.ID, dates.ClockText(d.DecidedAt, now, loc))
	case domain.StateDeclined:
		return fmt.Sprintf("%s already declined `%s` at %s, so nothing changed.", slacktext.User(d.DecidedBy), d.ID, dates.ClockText(d.DecidedAt, now, loc))
	case domain.StateAutonomous:
		return fmt.Sprintf("`%s` was inside the box: there is nothing to approve.", d.ID)
	}
	if n := len(d.History); n > 0 {
		last := d.History[n-1]
		who := "the bot"
		if last.Actor != "" {
			who = slacktext.User(last.Actor)
		}
		return fmt.Sprintf("%s got there first (%s at %s): `%s` is now with *%s*, so nothing changed.",
			who, last.Action, dates.ClockText(last.At, now, loc), d.ID, slacktext.Escape(d.LevelName))
	}
	return fmt.Sprintf("`%s` changed meanwhile, so nothing changed.", d.ID)
}
