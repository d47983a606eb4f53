package feedback

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/empowerbot/empowerbot/domain"
)

// Answer is what a person submitted.
type Answer struct {
	// Round is the round the person answers: its ID, "" for the current
	// round, domain.NoRound for none (see Service.Round).
	Round string
	Text  string
	// Anonymous is set when the person asked not to be named; it is
	// honoured only when the policy allows anonymous answers.
	Anonymous bool
}

// Receipt says what became of an answer.
type Receipt struct {
	// Anonymous is set when the answer was kept without the person.
	Anonymous bool
	// Posted is unset when the answer is stored but could not be posted to
	// the leaders channel.
	Posted bool
}

// leadersChannel is where user's answers go: their policy team's leaders
// channel (the top-level one for no team or a team without its own).
func (s *Service) leadersChannel(ctx context.Context, user string) string {
	c := s.conf()
	if c.Policies == nil || c.Teams == nil {
		return c.LeadersChannel
	}
	return c.Policies.Current().LeadersChannel(c.Teams.TeamOf(ctx, user))
}

// Answer stores user's answer and posts it to its team's leaders channel: with
// the person's name, or, when anonymous, with nothing that points to them
// (not in the stored answer, the audit event, the post or the logs; only
// the set of people who answered, for the reminder, holds them). An empty
// or too long answer is a domain.Invalid error, with words for the person.
// Once stored, an answer stays stored: a post that fails is reported in the
// Receipt, not as an error.
func (s *Service) Answer(ctx context.Context, team, user string, in Answer) (Receipt, error) {
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		return Receipt{}, domain.Invalidf("Please write a few words: what would help you?")
	case utf8.RuneCountInString(text) > MaxAnswerRunes:
		return Receipt{}, domain.Invalidf("Please keep it under %d characters.", MaxAnswerRunes)
	}
	anonymous := in.Anonymous && s.conf().AnonymousAllowed
	round, err := s.Round(ctx, team, in.Round)
	if err != nil {
		return Receipt{}, err
	}
	now := s.clock.Now()
	a := domain.FeedbackAnswer{Round: round.ID, Question: round.Question, Text: text, Anonymous: anonymous, At: now}
	ev := domain.Event{Subject: round.ID, At: now, Payload: domain.FeedbackAnsweredData{Anonymous: anonymous}}
	if !anonymous {
		a.User, ev.Actor = user, user
	}
	if err := s.store.SaveFeedbackAnswer(ctx, team, user, a, ev); err != nil {
		return Receipt{}, err
	}
	rc := Receipt{Anonymous: anonymous, Posted: true}
	if ch := s.leadersChannel(ctx, user); ch != "" {
		if err := s.notify.PostAnswer(ctx, ch, a); err != nil {
			rc.Posted = false
			// Never the person: the answer may be anonymous.
			s.log.Warn("feedback answer not posted to the leaders channel", "round", round.ID, "error", err.Error())
		}
	}
	return rc, nil
}
