package decisions

import (
	"context"
	"fmt"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Who approves what.
//
// A decision goes up its requester's policy team's chain (d.TeamName, set
// when it was logged): at each level the team's own approvers, or the
// top-level ones for a level the team leaves out (a shared manager), and
// the top-level chain for no team or a team the policy no longer has.
// Package roster resolves the policy's user groups once per policy, so none
// of this calls Slack.

// view returns who is who under p. A group that could not be listed counts
// as empty (logged); the next call tries it again.
func (s *Service) view(ctx context.Context, p *domain.Policy) *roster.View {
	v, err := s.roster.View(ctx, p)
	if err != nil {
		s.log.Warn("could not resolve every user group of the policy", "error", err.Error())
	}
	return v
}

// viewStrict is view for answers that need every group resolved: a
// group that could not be listed fails the caller, who asks to try again.
func (s *Service) viewStrict(ctx context.Context, p *domain.Policy) (*roster.View, error) {
	v, err := s.roster.View(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("resolve the policy's user groups: %w", err)
	}
	return v, nil
}

// ApproverIDs returns who approves d at level as the policy names them
// (users and user groups, for mentions): the approvers of d's policy team
// at that level, or the top-level ones.
func ApproverIDs(p *domain.Policy, d *domain.Decision, level int) []string {
	return p.ApproversOf(d.TeamName, level)
}

// Approvers returns the people who approve d at level, user groups
// resolved, sorted: the approvers of d's policy team at that level, or the
// top-level ones for a level the team leaves out, no team or a team the
// policy no longer has. Reminders (one DM per approver) and delegates hook
// in here.
func (s *Service) Approvers(ctx context.Context, d *domain.Decision, level int) ([]string, error) {
	v, err := s.viewStrict(ctx, s.policy())
	if err != nil {
		return nil, err
	}
	return v.Approvers(d.TeamName, level), nil
}

// TeamOf returns user's policy team under the policy in force ("" for
// none), as a decision they log now would record it.
func (s *Service) TeamOf(ctx context.Context, user string) string {
	return s.view(ctx, s.policy()).TeamOf(user)
}

// LevelsOf returns, lowest first, the indexes of the levels at which user
// approves for anyone: some policy team, or the top-level chain.
func (s *Service) LevelsOf(ctx context.Context, team, user string) ([]int, error) {
	v, err := s.viewStrict(ctx, s.policy())
	if err != nil {
		return nil, err
	}
	return v.LevelsOf(user), nil
}

// MayApprove reports whether user approves, in d's policy team's chain, at
// a level that may answer d now (box.MayAct decides on levels). It does not
// look at d's state or requester (see MayAct).
func (s *Service) MayApprove(ctx context.Context, d *domain.Decision, user string) (bool, error) {
	p := s.policy()
	v, err := s.roster.View(ctx, p)
	if ok := mayApprove(p, v, d, user); ok || err == nil {
		return ok, nil
	}
	return false, fmt.Errorf("resolve the policy's user groups: %w", err)
}

// mayApprove is MayApprove under p as v resolves it.
func mayApprove(p *domain.Policy, v *roster.View, d *domain.Decision, user string) bool {
	for _, l := range v.ApproverLevels(d.TeamName, user) {
		if box.MayAct(p, d.Activity, d.Amount, d.Level, l) {
			return true
		}
	}
	return false
}

// checkMayAct refuses, with a reason, anyone who may not answer d now.
func (s *Service) checkMayAct(ctx context.Context, p *domain.Policy, d *domain.DecisionRecord, user string) error {
	if d.State != domain.StatePending {
		return domain.Conflictf("%s", s.alreadyText(p, d))
	}
	if user == d.Requester {
		return domain.Forbiddenf("This call is yours, so someone else answers it: %s (`%s`).",
			LeadersText(p, &d.Decision, d.Level, "your"), d.ID)
	}
	v, err := s.roster.View(ctx, p)
	if !mayApprove(p, v, &d.Decision, user) && s.onBehalf(ctx, d, user) == "" { // or a delegate of an away leader (away.go)
		if err != nil {
			// Their group may not be listed yet: let them try again.
			return fmt.Errorf("resolve the policy's user groups: %w", err)
		}
		return domain.Forbiddenf("%s", notApproverText(p, v, d, user))
	}
	return nil
}

// notApproverText tells someone who may not answer d why, and who may.
func notApproverText(p *domain.Policy, v *roster.View, d *domain.DecisionRecord, user string) string {
	acting := box.ActingLevels(p, d.Activity, d.Amount, d.Level)
	answer := LeadersText(p, &d.Decision, d.Level, "the")
	if len(acting) > 0 {
		answer = LeadersText(p, &d.Decision, acting[0], "the")
	}
	if len(acting) > 1 {
		answer += ", or a leader above them"
	}
	levels := v.ApproverLevels(d.TeamName, user)
	if len(levels) > 0 {
		l := levels[len(levels)-1]
		if lim, ok := box.Limits(p, d.Activity); ok && l < len(lim.Levels) && !lim.Levels[l].NoLimit && lim.Levels[l].Limit < d.Amount {
			return fmt.Sprintf("You approve %s up to %s, and this one is %s, so it's for %s (`%s`).",
				slacktext.Escape(d.Activity), lim.Levels[l].Limit.Format(lim.Currency),
				d.Amount.Format(d.Currency), answer, d.ID)
		}
		return fmt.Sprintf("This one has moved up: it's for %s, now (`%s`).", answer, d.ID)
	}
	if _, ok := p.Team(d.TeamName); ok && len(v.LevelsOf(user)) > 0 {
		// A leader of another team.
		return fmt.Sprintf("This one is from team *%s*, so it's for %s (`%s`).",
			slacktext.Escape(d.TeamName), answer, d.ID)
	}
	return fmt.Sprintf("Only its leaders can answer this one: %s (`%s`).", answer, d.ID)
}

// alreadyText tells someone who acted too late what happened to d first.
func (s *Service) alreadyText(p *domain.Policy, d *domain.DecisionRecord) string {
	now, loc := s.clock.Now(), p.Location
	switch d.State {
	case domain.StateApproved:
		return fmt.Sprintf("%s already approved this one at %s (`%s`).", approvedByText(d), dates.ClockText(d.DecidedAt, now, loc), d.ID)
	case domain.StateDeclined:
		return fmt.Sprintf("%s already declined this one at %s (`%s`).", DecidedByText(&d.Decision), dates.ClockText(d.DecidedAt, now, loc), d.ID)
	case domain.StateAutonomous:
		return fmt.Sprintf("This one was inside the box: there's nothing to approve (`%s`).", d.ID)
	}
	if n := len(d.History); n > 0 {
		last := d.History[n-1]
		what := "It moved up on its own"
		if last.Actor != "" {
			what = slacktext.User(last.Actor) + " moved it up"
		}
		return fmt.Sprintf("%s at %s: it's with %s, now (`%s`).",
			what, dates.ClockText(last.At, now, loc), LeadersText(p, &d.Decision, d.Level, "the"), d.ID)
	}
	return fmt.Sprintf("This one changed a moment ago; have another look (`%s`).", d.ID)
}

// approvedByText names who approved d: the approver, or everyone who
// approved when the level needed several.
func approvedByText(d *domain.DecisionRecord) string {
	if len(d.Approvals) > 1 {
		return slacktext.Mentions(d.Approvers())
	}
	return DecidedByText(&d.Decision) // "@frank for @bob" (away.go)
}
