package insights

import (
	"context"
	"fmt"
	"slices"

	"github.com/empowerbot/empowerbot/stats"
)

// feedbackJob names the feedback DMs' ledger (feedback.JobRound).
const feedbackJob = "feedback"

// teamRates gives each of figs (the figures of some policy teams) the
// response rates of rounds (the organisation's rounds of the window)
// counted among its teams' people only: who of them the round's DM
// reached, and who of those answered. Rates of fewer people than the
// anonymity floor are then hidden where they are shown.
func (s *Service) teamRates(ctx context.Context, team string, rounds []stats.Round, teamOf func(string) string, figs ...*stats.Figures) error {
	for _, f := range figs {
		f.Rounds = nil
	}
	for _, r := range rounds {
		reached, err := s.store.FanoutDelivered(ctx, team, feedbackJob, r.ID)
		if err != nil {
			return fmt.Errorf("feedback round %s: %w", r.ID, err)
		}
		answered, err := s.store.FeedbackAnswered(ctx, team, r.ID)
		if err != nil {
			return fmt.Errorf("feedback round %s: %w", r.ID, err)
		}
		for _, f := range figs {
			tr := stats.Round{ID: r.ID, Question: r.Question}
			for _, p := range reached {
				if teamOf != nil && !slices.Contains(f.Teams, teamOf(p)) {
					continue
				}
				tr.Sent++
				if answered[p] {
					tr.Answered++
				}
			}
			if tr.Sent > 0 {
				tr.RatePct = tr.Answered * 100 / tr.Sent
			}
			f.Rounds = append(f.Rounds, tr)
		}
	}
	return nil
}
