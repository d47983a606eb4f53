package insights

import (
	"context"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/stats"
)

// Stats is the answer to `/empower stats`: the figures of the last Days
// days, of the person's team when Team is set (they approve escalations),
// else their own.
type Stats struct {
	Days int
	Team bool
	// Figures are the person's own, or, for a leader, those of everyone
	// they approve for together.
	Figures stats.Figures
	// Teams are the figures of each policy team the leader approves for,
	// in file order (the people in no team last, when they decided
	// something); none when the policy has no teams.
	Teams []TeamFigures
}

// Stats gathers the figures user may see for the last days days: leaders
// (approvers of any level) see their team's, everyone else their own.
// Under a policy with teams a leader sees only the teams they approve for,
// each by name.
func (s *Service) Stats(ctx context.Context, team, user string, days int) (*Stats, error) {
	levels, err := s.appr.LevelsOf(ctx, team, user)
	if err != nil {
		return nil, err
	}
	leader := len(levels) > 0
	p := s.policy()
	now := s.now()
	in := stats.Input{From: now.AddDate(0, 0, -days), To: now.Add(time.Millisecond), Now: now, Loc: p.Location, Floor: p.Feedback.AnonymityFloor}
	if !leader || len(p.Teams) == 0 {
		if !leader {
			in.User = user
		}
		f, err := stats.Read(ctx, s.store, team, in)
		if err != nil {
			return nil, err
		}
		return &Stats{Days: days, Team: leader, Figures: f}, nil
	}
	v, err := s.teamView(ctx, p)
	if err != nil {
		return nil, err
	}
	scope := scopeOf(v, user)
	evs, err := s.store.ReadAudit(ctx, team, in.From.Add(-stats.Lookback), in.To)
	if err != nil {
		return nil, fmt.Errorf("stats for %s: %w", team, err)
	}
	in.TeamOf = v.TeamOf
	st := &Stats{Days: days, Team: true, Teams: perTeam(evs, in, scope)}
	rounds := stats.Compute(evs, in).Rounds // the organisation's rounds
	in.Teams = scope
	st.Figures = stats.Compute(evs, in)
	figs := []*stats.Figures{&st.Figures}
	for i := range st.Teams {
		figs = append(figs, &st.Teams[i].Figures)
	}
	if err := s.teamRates(ctx, team, rounds, v.TeamOf, figs...); err != nil {
		return nil, fmt.Errorf("stats for %s: %w", team, err)
	}
	return st, nil
}
