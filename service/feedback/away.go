package feedback

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// AbsenceDirectory tells which leaders are away at a moment (PRODUCT.md
// "Away and delegates"): they get no feedback DMs meanwhile. Package
// handlers implements it over the away service.
type AbsenceDirectory interface {
	Absences(ctx context.Context, team string, at time.Time) (domain.Absences, error)
}

// withoutAway returns people without those away now, and how many it left
// out. When absences cannot be read, everyone stays (logged): a DM too many
// beats a round missed.
func (s *Service) withoutAway(ctx context.Context, people []string) ([]string, int) {
	if s.cfg.Away == nil || len(people) == 0 {
		return people, 0
	}
	as, err := s.cfg.Away.Absences(ctx, s.cfg.Team, s.clock.Now())
	if err != nil {
		s.log.Warn("could not read who is away; the feedback DMs go to everyone", "error", err.Error())
		return people, 0
	}
	if len(as) == 0 {
		return people, 0
	}
	out := make([]string, 0, len(people))
	for _, p := range people {
		if !as.IsAway(p) {
			out = append(out, p)
		}
	}
	return out, len(people) - len(out)
}
