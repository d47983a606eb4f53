package feedback

import (
	"context"
	"math/rand/v2"
	"slices"
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
	// the leaders channel, or is held.
	Posted bool
	// Held is set for an anonymous answer waiting for Floor anonymous
	// answers of its team, to reach the leaders together with them.
	Held  bool
	Floor int
}

// teamOf is user's policy team ("" for none, or without Teams).
func (s *Service) teamOf(ctx context.Context, user string) string {
	if s.cfg.Teams == nil {
		return ""
	}
	return s.cfg.Teams.TeamOf(ctx, user)
}

// leadersChannelOf is where the answers of policy team teamName go: its
// leaders channel (the top-level one for no team or a team without its
// own).
func (s *Service) leadersChannelOf(teamName string) string {
	c := s.conf()
	if c.Policies == nil || c.Teams == nil {
		return c.LeadersChannel
	}
	return c.Policies.Current().LeadersChannel(teamName)
}

// Answer stores user's answer and posts it to its team's leaders channel:
// with the person's name, or, when anonymous, with nothing that points to
// them (not in the stored answer, the audit event, the post or the logs;
// only the set of people who answered, for the reminder, and the answer's
// author key, to relay a reply, hold them). An anonymous answer is held
// until feedback.anonymity_floor anonymous answers of the team wait, then
// they are all posted together, in random order and without times (the
// hold and the release are one atomic step in the store, so replicas never
// post one alone). An empty or too long answer is a domain.Invalid error,
// with words for the person. Once stored, an answer stays stored: a post
// that fails is reported in the Receipt, not as an error.
func (s *Service) Answer(ctx context.Context, team, user string, in Answer) (Receipt, error) {
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		return Receipt{}, domain.Invalidf("Please write a few words: what would help you?")
	case utf8.RuneCountInString(text) > MaxAnswerRunes:
		return Receipt{}, domain.Invalidf("Please keep it under %d characters.", MaxAnswerRunes)
	}
	c := s.conf()
	anonymous := in.Anonymous && c.AnonymousAllowed
	round, err := s.Round(ctx, team, in.Round)
	if err != nil {
		return Receipt{}, err
	}
	now := s.clock.Now()
	id := domain.NewAnswerID()
	if key := domain.RequestKey(ctx); key != "" {
		// The same submission handled again (a redelivery after a crash)
		// is the same answer: the store answers what it answered the first
		// time and writes nothing; what may have gone out already is
		// looked for before it is posted.
		id = domain.AnswerIDFor(team, key)
		if _, _, err := s.store.FeedbackAnswer(ctx, team, id); err == nil {
			ctx = domain.WithFinishing(ctx)
		}
	}
	a := domain.FeedbackAnswer{
		ID: id, Round: round.ID, Question: round.Question, Text: text, Anonymous: anonymous, At: now,
		TeamName: s.teamOf(ctx, user),
	}
	ev := domain.Event{Subject: round.ID, At: now, Payload: domain.FeedbackAnsweredData{Anonymous: anonymous}}
	if !anonymous {
		a.User, ev.Actor = user, user
	}
	floor := 1
	if anonymous && c.AnonymityFloor > 1 {
		floor = c.AnonymityFloor
	}
	ids, err := s.store.KeepFeedbackAnswer(ctx, team, user, a, ev, floor)
	if err != nil {
		return Receipt{}, err
	}
	// The person's own DMs of the round say it is answered, after the
	// reply to the submission.
	domain.Later(ctx, func(ctx context.Context) { s.showAnswered(ctx, team, user, round) })
	rc := Receipt{Anonymous: anonymous}
	if len(ids) == 0 {
		rc.Held, rc.Floor = true, floor
		return rc, nil
	}
	rc.Posted = s.post(ctx, team, ids, anonymous)
	return rc, nil
}

// post posts answers ids (a named answer, or a released batch of anonymous
// ones, shuffled) to their team's leaders channel, and reports whether all
// of them went out; an answer whose post is recorded already (its
// submission handled again) is not posted again. Failures are logged
// without the person.
func (s *Service) post(ctx context.Context, team string, ids []string, anonymous bool) bool {
	ids = slices.Clone(ids)
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	batch := 0
	if anonymous {
		batch = len(ids)
	}
	ok := true
	for _, id := range ids {
		a, st, err := s.store.FeedbackAnswer(ctx, team, id)
		if err != nil {
			ok = false
			s.log.Warn("feedback answer to post not found", "answer", id, "error", err.Error())
			continue
		}
		if !st.Post.IsZero() {
			continue
		}
		ch := s.leadersChannelOf(a.TeamName)
		if ch == "" {
			continue
		}
		st.Batch = batch
		ref, err := s.notify.PostAnswer(ctx, ch, a, st)
		if err != nil {
			ok = false
			// Never the person: the answer may be anonymous.
			s.log.Warn("feedback answer not posted to the leaders channel", "answer", id, "error", err.Error())
			continue
		}
		if err := s.store.FeedbackAnswerPosted(ctx, team, id, ref, batch); err != nil {
			s.log.Warn("could not record a feedback answer's post", "answer", id, "error", err.Error())
		}
	}
	return ok
}
