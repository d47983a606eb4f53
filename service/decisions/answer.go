package decisions

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// MaxDeclineReason is the longest reason a decline may carry, in runes.
const MaxDeclineReason = 2000

// FormError is a refusal of Decline that belongs next to the reason in the
// form that asked for it, which stays open: a reason that is too long, or
// an answer that lost the race as it was saved. Decline's other refusals
// (the decision is gone, or not the person's to answer) are returned as
// they are.
type FormError struct {
	Err error
}

func (e *FormError) Error() string { return e.Err.Error() }

// Unwrap returns the refusal.
func (e *FormError) Unwrap() error { return e.Err }

// MayAct returns decision id when user may answer it now (approve, escalate
// or decline it): it is pending, not theirs, and they approve at a level
// that may answer it. Otherwise it is a refusal that says why and who may.
func (s *Service) MayAct(ctx context.Context, team, id, user string) (*domain.DecisionRecord, error) {
	d, err := s.clicked(ctx, team, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkMayAct(ctx, d, user); err != nil {
		return nil, err
	}
	return d, nil
}

// Approve has user approve decision id: an approver of its level, or of a
// level above whose limit covers the amount. Its cards are updated and the
// requester is told.
func (s *Service) Approve(ctx context.Context, team, id, user string) (*domain.DecisionRecord, error) {
	d, err := s.MayAct(ctx, team, id, user)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	from := d.State
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline = domain.StateApproved, user, now, time.Time{}
	d.OutcomeDue = s.outcomeDue(now)
	e := domain.HistoryEntry{Action: "approved", Actor: user, From: string(from), To: string(domain.StateApproved), At: now}
	d.History = append(d.History, e)
	ev := event(d, domain.DecisionApprovedData{DecisionFacts: d.Facts()}, user, string(from), string(domain.StateApproved), now)
	if err := s.store.UpdateDecision(ctx, d, from, &ev); err != nil {
		return nil, s.raceLost(err)
	}
	s.afterChange(ctx, d, e)
	return d, nil
}

// Escalate has user pass decision id, from its card of level, up to the
// next level: its cards are updated, the next level gets a card of its own
// and the requester is told. At the top level there is no next one.
func (s *Service) Escalate(ctx context.Context, team, id string, level int, user string) (*domain.DecisionRecord, error) {
	d, err := s.MayAct(ctx, team, id, user)
	if err != nil {
		return nil, err
	}
	if d.Level != level {
		return nil, domain.Conflictf("%s", s.alreadyText(d))
	}
	if d.Level >= len(s.policy().Levels)-1 {
		return nil, domain.Conflictf("`%s` is already with the top level, *%s*: approve or decline it.", d.ID, slacktext.Escape(d.LevelName))
	}
	now := s.clock.Now()
	e := s.moveUp(d, "escalated", user, now)
	ev := event(d, domain.DecisionEscalatedData{DecisionFacts: d.Facts()}, user, e.From, e.To, now)
	if err := s.store.UpdateDecision(ctx, d, domain.StatePending, &ev); err != nil {
		return nil, s.raceLost(err)
	}
	s.afterChange(ctx, d, e)
	return d, nil
}

// Decline has user decline decision id with an optional reason (at most
// MaxDeclineReason runes), which the requester is told. A refusal of the
// reason, or a race lost as it is saved, is a *FormError.
func (s *Service) Decline(ctx context.Context, team, id, user, reason string) (*domain.DecisionRecord, error) {
	d, err := s.store.GetDecision(ctx, team, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil, domain.NotFoundf("I can't find that decision any more.")
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkMayAct(ctx, d, user); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n > MaxDeclineReason {
		return nil, &FormError{Err: domain.Invalidf("Please keep the reason to %d characters (it has %d).", MaxDeclineReason, n)}
	}
	now := s.clock.Now()
	from := d.State
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline, d.DeclineReason = domain.StateDeclined, user, now, time.Time{}, reason
	e := domain.HistoryEntry{Action: "declined", Actor: user, From: string(from), To: string(domain.StateDeclined), At: now}
	d.History = append(d.History, e)
	ev := event(d, domain.DecisionDeclinedData{DecisionFacts: d.Facts(), Reason: reason},
		user, string(from), string(domain.StateDeclined), now)
	if err := s.store.UpdateDecision(ctx, d, from, &ev); err != nil {
		err = s.raceLost(err)
		if domain.IsRefusal(err) {
			return nil, &FormError{Err: err}
		}
		return nil, err
	}
	s.afterChange(ctx, d, e)
	return d, nil
}

// clicked loads the decision a button acts on.
func (s *Service) clicked(ctx context.Context, team, id string) (*domain.DecisionRecord, error) {
	d, err := s.store.GetDecision(ctx, team, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil, domain.NotFoundf("I can't find decision `%s`; nothing changed.", slacktext.Code(id))
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// moveUp moves a pending d to the next level with a fresh deadline and
// returns the history entry it added.
func (s *Service) moveUp(d *domain.DecisionRecord, action, actor string, now time.Time) domain.HistoryEntry {
	from := d.LevelName
	d.Level++
	d.LevelName = s.policy().LevelName(d.Level)
	d.Deadline = deadline(now, s.policy().RespondWithin(d.Level))
	e := domain.HistoryEntry{Action: action, Actor: actor, From: from, To: d.LevelName, At: now}
	d.History = append(d.History, e)
	return e
}

// raceLost turns a lost race into a refusal that says who was first.
func (s *Service) raceLost(err error) error {
	var ce *domain.DecisionConflictError
	if errors.As(err, &ce) {
		return domain.Conflictf("%s", s.alreadyText(ce.Current))
	}
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return domain.NotFoundf("I can't find that decision any more; nothing changed.")
	}
	return err
}

// afterChange brings Slack in line with a saved change e of d: every card
// is updated, a new level gets its own card, the requester is told and the
// views of the people it concerns are refreshed. Failures are logged: the
// change itself is saved.
func (s *Service) afterChange(ctx context.Context, d *domain.DecisionRecord, e domain.HistoryEntry) {
	s.updateCards(ctx, d)
	if d.State == domain.StatePending {
		if _, ok := d.MessageFor(d.Level); !ok {
			s.postCard(ctx, d)
		}
	}
	if err := s.notify.TellRequester(ctx, d, e); err != nil {
		s.log.Warn("could not DM the requester", "team", d.Team, "decision", d.ID, "error", err.Error())
	}
	s.notify.Changed(ctx, d)
}
