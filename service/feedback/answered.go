package feedback

import (
	"context"

	"github.com/empowerbot/empowerbot/domain"
)

// Answered DMs: once a person answered a round, its question DM and its
// reminder (the DMs the fan-out ledgers record for them) say so and lose
// their Answer button, wherever the answer came from (the DM's button or
// `/empower feedback`). A DM recorded after the answer (a reminder on its
// way while they answered) is shown answered by the run that records it.
//
// Nothing new is stored: the ledgers already hold each person's DM, and the
// set of people who answered holds who answered. The updated DM thanks the
// person in their own DM only; it carries nothing of the answer (not its
// text, not its ID), and failures are logged without the person or the DM,
// so an anonymous answer stays without a trace of its author.

// dmJobs are the jobs whose DMs carry a round's Answer button.
var dmJobs = []string{JobRound, JobReminder}

// showAnswered shows round's DMs to user as answered.
func (s *Service) showAnswered(ctx context.Context, team, user string, round domain.FeedbackRound) {
	if round.ID == "" || round.ID == domain.NoRound {
		return
	}
	for _, job := range dmJobs {
		dm, err := s.store.FanoutDM(ctx, team, job, round.ID, user)
		if err != nil {
			s.log.Warn("could not read a feedback DM to show it answered", "round", round.ID, "job", job, "error", err.Error())
			continue
		}
		if dm.IsZero() {
			continue
		}
		s.showDM(ctx, round, job, user, dm)
	}
}

// showDM updates person's DM of round's job as answered (the question DM
// keeps what it opened with: what was done since the round before),
// logging a failure without the person.
func (s *Service) showDM(ctx context.Context, round domain.FeedbackRound, job, person string, dm domain.MessageRef) {
	var done []Done
	if job == JobRound {
		done = s.roundNews(ctx, round).For(person)
	}
	if err := s.notify.ShowAnswered(ctx, round, job, dm, done); err != nil {
		s.log.Warn("could not show a feedback DM as answered", "round", round.ID, "job", job, "error", err.Error())
	}
}

// sentHook is the Dispatch.Sent of round's job: a DM recorded for someone
// who answered round meanwhile is shown answered at once.
func (s *Service) sentHook(team, job string, round domain.FeedbackRound) func(ctx context.Context, person, channel, ts string) {
	return func(ctx context.Context, person, channel, ts string) {
		answered, err := s.store.FeedbackHasAnswered(ctx, team, round.ID, person)
		if err != nil {
			s.log.Warn("could not check a feedback DM against the answers", "round", round.ID, "job", job, "error", err.Error())
			return
		}
		if answered {
			s.showDM(ctx, round, job, person, domain.MessageRef{Channel: channel, TS: ts})
		}
	}
}
