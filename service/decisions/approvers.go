package decisions

import (
	"context"
	"fmt"
	"strings"

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
		return domain.Forbiddenf("`%s` is your own decision, so someone else has to answer it: %s. Nothing changed.",
			d.ID, slacktext.Mentions(ApproverIDs(p, &d.Decision, d.Level)))
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
	var who []string
	for _, l := range box.ActingLevels(p, d.Activity, d.Amount, d.Level) {
		who = append(who, fmt.Sprintf("*%s* (%s)", slacktext.Escape(p.LevelName(l)), slacktext.Mentions(ApproverIDs(p, &d.Decision, l))))
	}
	answer := strings.Join(who, " or ")
	levels := v.ApproverLevels(d.TeamName, user)
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
	if _, ok := p.Team(d.TeamName); ok && len(v.LevelsOf(user)) > 0 {
		// A leader of another team.
		return fmt.Sprintf("`%s` comes from team *%s*, and you don't approve for that team, so it's for %s. Nothing changed.",
			d.ID, slacktext.Escape(d.TeamName), answer)
	}
	return fmt.Sprintf("Only the approvers of `%s` can answer it: %s. Nothing changed.", d.ID, answer)
}

// alreadyText tells someone who acted too late what happened to d first.
func (s *Service) alreadyText(p *domain.Policy, d *domain.DecisionRecord) string {
	now, loc := s.clock.Now(), p.Location
	switch d.State {
	case domain.StateApproved:
		return fmt.Sprintf("%s already approved `%s` at %s, so nothing changed.", approvedByText(d), d.ID, dates.ClockText(d.DecidedAt, now, loc))
	case domain.StateDeclined:
		return fmt.Sprintf("%s already declined `%s` at %s, so nothing changed.", DecidedByText(&d.Decision), d.ID, dates.ClockText(d.DecidedAt, now, loc))
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

// approvedByText names who approved d: the approver, or everyone who
// approved when the level needed several.
func approvedByText(d *domain.DecisionRecord) string {
	if len(d.Approvals) > 1 {
		return slacktext.Mentions(d.Approvers())
	}
	return DecidedByText(&d.Decision) // "@frank for @bob" (away.go)
}
