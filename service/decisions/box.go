package decisions

import (
	"context"
	"fmt"
	"slices"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Box is what `/empower box` shows a person: the box of every activity with
// who approves above it in their policy team's chain, the tags that always
// go to a leader, and the levels they answer escalations at themselves.
type Box struct {
	// User is whose box it is; Viewer who asked (the same person, or a
	// leader looking at one of their people's box).
	User, Viewer string
	// Limits is every activity's box, in the policy's order, with the
	// person's own limits (box.LimitsFor); each level's
	// approvers are the person's team's (the top-level ones for a level the
	// team leaves out, or for no team).
	Limits []box.ActivityLimits
	// Tags are the always_escalate tags, sorted.
	Tags []box.TagRule
	// Team is the person's policy team ("" for none).
	Team string
	// Approves names, lowest first, the levels the person approves at
	// (empty for no one's approver, or when their groups could not be
	// resolved).
	Approves []string
	// ApprovesFor names, in file order, the teams the person approves for.
	ApprovesFor []string
	// Escalations is the channel where they answer escalations ("" when
	// the policy names none): their own team's escalations channel when
	// they approve for it, else the top-level one.
	Escalations string
}

// Box returns the box of user. It does not fail: when the person's user
// groups cannot be resolved, the levels they approve at are left out.
func (s *Service) Box(ctx context.Context, team, user string) Box {
	p := s.policy()
	v, err := s.roster.View(ctx, p)
	if err != nil {
		s.log.Warn("could not resolve approver levels", "team", team, "user", user, "error", err.Error())
	}
	b := Box{User: user, Viewer: user, Limits: box.LimitsFor(p, s.ownLimits(ctx, team, user)), Tags: box.EscalationTags(p), Team: v.TeamOf(user)}
	for i := range b.Limits {
		for j, l := range b.Limits[i].Levels {
			b.Limits[i].Levels[j].Approvers = slices.Clone(p.ApproversOf(b.Team, l.Level))
		}
	}
	if err == nil {
		for _, l := range v.LevelsOf(user) {
			b.Approves = append(b.Approves, p.LevelName(l))
		}
		b.ApprovesFor = v.TeamsApprovedBy(user)
	}
	b.Escalations = escalationsFor(p, b.ApprovesFor)
	return b
}

// limitStore reads people's own limits (earned autonomy); *store.Store
// implements it.
type limitStore interface {
	PersonalLimits(ctx context.Context, team, user string) (domain.PersonalLimits, error)
}

// ownLimits returns user's own limits; none when the store keeps none or
// cannot be read (logged: the box then shows the policy's limits).
func (s *Service) ownLimits(ctx context.Context, team, user string) domain.PersonalLimits {
	ls, ok := s.store.(limitStore)
	if !ok {
		return nil
	}
	own, err := ls.PersonalLimits(ctx, team, user)
	if err != nil {
		s.log.Warn("could not read own limits", "team", team, "user", user, "error", err.Error())
	}
	return own
}

// escalationsFor is where an approver for teams answers: the first such
// team's escalations channel, or the top-level one.
func escalationsFor(p *domain.Policy, teams []string) string {
	if len(teams) > 0 {
		return p.EscalationsChannel(teams[0])
	}
	return p.Channels.Escalations
}

// BoxOf returns user's box as viewer may see it: their own, or one of their
// people's when viewer approves, at some level, for the chain user's
// decisions go up (user's policy team, or the top-level chain). Anyone else
// is refused, with what they may do instead.
func (s *Service) BoxOf(ctx context.Context, team, viewer, user string) (Box, error) {
	if viewer == user {
		return s.Box(ctx, team, user), nil
	}
	p := s.policy()
	v, err := s.roster.View(ctx, p)
	if err == nil && !v.IsFrontline(user) {
		return Box{}, domain.NotFoundf("%s doesn't log decisions on the front line, so they have no box to look at. `/empower box` shows yours.",
			slacktext.User(user))
	}
	if len(v.ApproverLevels(v.TeamOf(user), viewer)) == 0 {
		if err != nil {
			return Box{}, fmt.Errorf("resolve the policy's user groups: %w", err)
		}
		return Box{}, domain.Forbiddenf("%s's box is for them and their leaders to see; `/empower box` shows yours.",
			slacktext.User(user))
	}
	b := s.Box(ctx, team, user)
	b.Viewer = viewer
	return b, nil
}
