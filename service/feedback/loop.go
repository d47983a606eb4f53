package feedback

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/empowerbot/empowerbot/domain"
)

// Closing the loop (PRODUCT.md "Beyond the box"): a leader replies to an
// answer, relayed to its author by DM (for an anonymous answer without the
// leader ever learning who), or commits to it (to the person, or to the
// team for an anonymous answer); what was done reaches the person, and the
// next round's DM opens with it. Answers are named by their opaque ID only.

// MaxReplyRunes bounds a leader's reply.
const MaxReplyRunes = 3000

// Reply is a leader's reply to one answer.
type Reply struct {
	Team   string
	Leader string
	// Answer is the answer's ID.
	Answer string
	Text   string
	// Op names this one reply (the form's submission): sent again, it is
	// relayed once.
	Op string
}

// Target is an answer a leader may reply or commit to.
type Target struct {
	Answer domain.FeedbackAnswer
	Status domain.AnswerStatus
}

// Answerable returns answer id for leader to reply or commit to: refused
// (domain.Forbidden) unless leader is one of the policy's leaders, and
// domain.NotFound when the answer is unknown or expired.
func (s *Service) Answerable(ctx context.Context, team, leader, id string) (Target, error) {
	if s.cfg.Leaders != nil {
		ok, err := s.cfg.Leaders.IsLeader(ctx, team, leader)
		if err != nil {
			return Target{}, err
		}
		if !ok {
			return Target{}, domain.Forbiddenf("Replying to feedback and committing to it are for leaders; nothing was sent.")
		}
	}
	if _, ok := domain.NormalizeAnswerID(id); !ok {
		return Target{}, domain.Invalidf("That button is out of date; nothing was sent.")
	}
	a, st, err := s.store.FeedbackAnswer(ctx, team, id)
	if errors.Is(err, domain.ErrAnswerNotFound) {
		return Target{}, domain.NotFoundf("That answer is no longer kept (answers are kept %d days); nothing was sent.", int(feedbackKept.Hours()/24))
	}
	if err != nil {
		return Target{}, err
	}
	return Target{Answer: a, Status: st}, nil
}

// feedbackKept is how long answers are kept (store.FeedbackTTL).
const feedbackKept = 90 * 24 * time.Hour

// SendReply relays r to the author of its answer by DM, once per r.Op, and
// shows on the answer's post that r.Leader replied. The leader learns
// nothing of an anonymous answer's author: not the name, not the ID, not
// whether they still work here. An empty or too long reply is
// domain.Invalid.
func (s *Service) SendReply(ctx context.Context, r Reply) error {
	text := strings.TrimSpace(r.Text)
	switch {
	case text == "":
		return domain.Invalidf("Write what you'd like to tell them.")
	case utf8.RuneCountInString(text) > MaxReplyRunes:
		return domain.Invalidf("Please keep your reply under %d characters (it has %d).", MaxReplyRunes, utf8.RuneCountInString(text))
	}
	t, err := s.Answerable(ctx, r.Team, r.Leader, r.Answer)
	if err != nil {
		return err
	}
	author := t.Answer.User
	if author == "" {
		if author, err = s.store.FeedbackAuthor(ctx, r.Team, r.Answer); err != nil {
			return err
		}
	}
	if author == "" {
		return domain.NotFoundf("I no longer know who wrote that answer; nothing was sent.")
	}
	claimed, err := s.store.ClaimFeedbackReply(ctx, r.Team, r.Op)
	if err != nil {
		return err
	}
	if !claimed {
		return nil // this very reply was sent (or is being sent) already
	}
	if err := s.notify.RelayReply(ctx, r.Team, author, t.Answer, r.Leader, text); err != nil {
		if rerr := s.store.ReleaseFeedbackReply(context.WithoutCancel(ctx), r.Team, r.Op); rerr != nil {
			s.log.Warn("could not release a feedback reply", "answer", r.Answer, "error", rerr.Error())
		}
		// Never the person: the answer may be anonymous.
		s.log.Warn("could not relay a reply to feedback", "answer", r.Answer, "error", err.Error())
		return domain.Unavailablef("I couldn't deliver your reply just now; nothing was sent. Please try again.")
	}
	ev := domain.Event{Actor: r.Leader, Subject: r.Answer, At: s.clock.Now(), Payload: domain.FeedbackRepliedData{Anonymous: t.Answer.Anonymous, TeamName: t.Answer.TeamName}}
	if err := s.store.FeedbackReplySent(ctx, r.Team, r.Op, ev); err != nil {
		s.log.Warn("could not record a reply to feedback", "answer", r.Answer, "error", err.Error())
	}
	s.Refresh(ctx, r.Team, r.Answer)
	return nil
}

// Refresh shows answer id's post as it stands now (who replied, who
// committed). Failures are logged.
func (s *Service) Refresh(ctx context.Context, team, id string) {
	a, st, err := s.store.FeedbackAnswer(ctx, team, id)
	if err != nil {
		s.log.Warn("could not read a feedback answer to refresh its post", "answer", id, "error", err.Error())
		return
	}
	if st.Post.Channel != "" {
		s.notify.ShowAnswer(ctx, a, st)
	}
}

// ReserveCommitment reserves answer id for leader's commitment cid, so that
// leaders commit to one answer once: a commitment made to it first is
// domain.Conflict, with who made it.
func (s *Service) ReserveCommitment(ctx context.Context, team, id, cid, leader string) error {
	ok, first, by, err := s.store.ClaimFeedbackCommitment(ctx, team, id, cid, leader)
	if errors.Is(err, domain.ErrAnswerNotFound) {
		return domain.NotFoundf("That answer is no longer kept; nothing was committed.")
	}
	if err != nil {
		return err
	}
	if !ok {
		if by == leader {
			return domain.Conflictf("You already committed to this answer (`%s`); `/empower commitments` lists it.", first)
		}
		return domain.Conflictf("<@%s> already committed to this answer (`%s`): nothing was committed twice.", by, first)
	}
	return nil
}

// ReleaseCommitment gives back answer id's reservation for cid, when the
// commitment could not be made.
func (s *Service) ReleaseCommitment(ctx context.Context, team, id, cid string) {
	if err := s.store.ReleaseFeedbackCommitment(context.WithoutCancel(ctx), team, id, cid); err != nil {
		s.log.Warn("could not release a feedback commitment", "answer", id, "error", err.Error())
	}
}

// TeamPeople returns the people of policy team teamName ("" for the
// frontline in no team) a commitment to the team is told to: the
// frontline audience of that team, sorted.
func (s *Service) TeamPeople(ctx context.Context, teamName string) ([]string, error) {
	aud, err := s.Audience(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(aud.People))
	for _, p := range aud.People {
		if s.teamOf(ctx, p) == teamName {
			out = append(out, p)
		}
	}
	return out, nil
}

// Done is one thing a leader did about feedback: what the person (or the
// team) said, and what was done.
type Done struct {
	Said, Did, Leader string
	// ToTeam is set when it was done for the whole team (an anonymous
	// answer).
	ToTeam bool
}

// News is what was done about feedback since the last round, per person
// and per team.
type News struct {
	person map[string][]Done
	team   map[string][]Done
	teamOf func(string) string
}

// For returns what was done for person: for them, then for their team.
func (n News) For(person string) []Done {
	out := append([]Done(nil), n.person[person]...)
	if n.teamOf != nil {
		out = append(out, n.team[n.teamOf(person)]...)
	}
	return out
}

// Empty reports whether nothing was done.
func (n News) Empty() bool { return len(n.person) == 0 && len(n.team) == 0 }

// newsSince gathers the commitments made to feedback and done in [from,
// to). A failure is logged: the round goes out without news.
func (s *Service) newsSince(ctx context.Context, from, to time.Time) News {
	n := News{person: map[string][]Done{}, team: map[string][]Done{}, teamOf: func(p string) string { return s.teamOf(ctx, p) }}
	evs, err := s.store.ReadAudit(ctx, s.cfg.Team, from, to)
	if err != nil {
		s.log.Warn("could not read what was done about feedback", "error", err.Error())
		return n
	}
	for _, ev := range evs {
		p, ok := ev.Payload.(domain.CommitmentDoneData)
		if !ok || p.Answer == "" {
			continue
		}
		a, _, err := s.store.FeedbackAnswer(ctx, s.cfg.Team, p.Answer)
		if err != nil {
			continue // expired: nothing to quote
		}
		d := Done{Said: a.Text, Did: p.Text, Leader: p.Leader, ToTeam: p.ToTeam}
		if p.ToTeam {
			n.team[p.TeamName] = append(n.team[p.TeamName], d)
		} else if p.Employee != "" {
			n.person[p.Employee] = append(n.person[p.Employee], d)
		}
	}
	return n
}
