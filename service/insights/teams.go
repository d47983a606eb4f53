package insights

import (
	"context"
	"slices"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/stats"
)

// TeamView says who is who in the policy's teams (a roster.View is one):
// the views of stats, the digest and the Home are by policy team.
type TeamView interface {
	// TeamOf returns user's policy team, "" for none.
	TeamOf(user string) string
	// TeamsApprovedBy returns the teams, in file order, for which user
	// approves at some level.
	TeamsApprovedBy(user string) []string
	// ApproverLevels returns the levels of team's chain ("" for the
	// top-level chain) at which user approves.
	ApproverLevels(team, user string) []int
}

// Teams gives the TeamView of a policy (package roster does, with the
// user groups resolved).
type Teams interface {
	TeamView(ctx context.Context, p *domain.Policy) (TeamView, error)
}

// TeamsFunc is a Teams of a function.
type TeamsFunc func(ctx context.Context, p *domain.Policy) (TeamView, error)

// TeamView calls f.
func (f TeamsFunc) TeamView(ctx context.Context, p *domain.Policy) (TeamView, error) {
	return f(ctx, p)
}

// teamView returns the view of the policy in force: the configured Teams',
// or one of the users the policy names (no user groups) without it.
func (s *Service) teamView(ctx context.Context, p *domain.Policy) (TeamView, error) {
	if s.teams != nil {
		return s.teams.TeamView(ctx, p)
	}
	return policyView{p}, nil
}

// policyView is a TeamView of the user IDs the policy lists, user groups
// left out.
type policyView struct{ p *domain.Policy }

func (v policyView) TeamOf(user string) string {
	for _, t := range v.p.Teams {
		if slices.Contains(t.Members, user) {
			return t.Name
		}
	}
	return ""
}

func (v policyView) TeamsApprovedBy(user string) []string {
	var out []string
	for _, t := range v.p.Teams {
		if len(v.ApproverLevels(t.Name, user)) > 0 {
			out = append(out, t.Name)
		}
	}
	return out
}

func (v policyView) ApproverLevels(team, user string) []int {
	var out []int
	for i := range v.p.Levels {
		if slices.Contains(v.p.ApproversOf(team, i), user) {
			out = append(out, i)
		}
	}
	return out
}

// TeamFigures are the figures of one policy team; Name "" stands for the
// people in no team.
type TeamFigures struct {
	Name    string
	Figures stats.Figures
}

// NoTeam is how the people in no team are named in team views.
const NoTeam = "no team"

// Label is the team's name, or NoTeam.
func (t *TeamFigures) Label() string {
	if t.Name == "" {
		return NoTeam
	}
	return t.Name
}

// scopeOf returns the teams ("" for no team) whose figures leader user
// sees under p: the teams they approve for, and the people in no team when
// they approve in the top-level chain.
func scopeOf(v TeamView, user string) []string {
	scope := slices.Clone(v.TeamsApprovedBy(user))
	if len(v.ApproverLevels("", user)) > 0 {
		scope = append(scope, "")
	}
	if scope == nil {
		scope = []string{}
	}
	return scope
}

// perTeam computes the figures of each of names from evs with in; the
// people in no team ("") only when they decided something.
func perTeam(evs []domain.Event, in stats.Input, names []string) []TeamFigures {
	out := make([]TeamFigures, 0, len(names))
	for _, n := range names {
		in.Teams = []string{n}
		f := stats.Compute(evs, in)
		if n == "" && f.Decisions() == 0 {
			continue
		}
		out = append(out, TeamFigures{Name: n, Figures: f})
	}
	return out
}

// teamNames are the policy's team names, in file order, and "" (no team).
func teamNames(p *domain.Policy) []string {
	names := make([]string, 0, len(p.Teams)+1)
	for _, t := range p.Teams {
		names = append(names, t.Name)
	}
	return append(names, "")
}
