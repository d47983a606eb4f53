package insights

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/stats"
)

// Stats is the answer to `/empower stats`: the figures of the last Days
// days, of the person's team when Team is set (they approve escalations),
// else their own.
type Stats struct {
	Days    int
	Team    bool
	Figures stats.Figures
}

// Stats gathers the figures user may see for the last days days: leaders
// (approvers of any level) see their team's, everyone else their own.
func (s *Service) Stats(ctx context.Context, team, user string, days int) (*Stats, error) {
	levels, err := s.appr.LevelsOf(ctx, team, user)
	if err != nil {
		return nil, err
	}
	leader := len(levels) > 0
	now := s.now()
	in := stats.Input{From: now.AddDate(0, 0, -days), To: now.Add(time.Millisecond), Now: now, Loc: s.policy().Location}
	if !leader {
		in.User = user
	}
	f, err := stats.Read(ctx, s.store, team, in)
	if err != nil {
		return nil, err
	}
	return &Stats{Days: days, Team: leader, Figures: f}, nil
}
