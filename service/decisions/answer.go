package decisions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// MaxDeclineReason is the longest reason a decline may carry, in runes.
const MaxDeclineReason = 2000

// approveAttempts bounds how often Approve counts again on a decision that
// changed while it was saving (another approval landed first). Each retry
// follows someone else's saved change, and a level has few approvers, so
// this is never reached in practice.
const approveAttempts = 8

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
// that may answer it in its policy team's chain. Otherwise it is a refusal
// that says why and who may.
func (s *Service) MayAct(ctx context.Context, team, id, user string) (*domain.DecisionRecord, error) {
	p := s.policy()
	d, err := s.clicked(ctx, team, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkMayAct(ctx, p, d, user); err != nil {
		return nil, err
	}
	return d, nil
}

// Approve has user approve decision id: an approver of its level, or of a
// level above whose limit covers the amount, in its policy team's chain.
// When the level needs several approvals (approvals_needed), each distinct
// approver counts once and the decision is approved with the last one;
// until then the approval is recorded and the cards show the progress.
// Every count is one change guarded by the decision's version, so
// concurrent clicks count each approver once and approve it once. Its cards
// are updated and, once approved, the requester is told. A redelivery of
// the click whose change is saved finishes what followed it (finishOwn).
func (s *Service) Approve(ctx context.Context, team, id, user string) (*domain.DecisionRecord, error) {
	p := s.policy()
	d, err := s.clicked(ctx, team, id)
	if err != nil {
		return nil, err
	}
	if s.finishOwn(ctx, p, d) {
		return d, nil
	}
	for attempt := 1; ; attempt++ {
		if err := s.checkMayAct(ctx, p, d, user); err != nil {
			return nil, err
		}
		needed := p.ApprovalsNeeded(d.Level)
		if d.ApprovedBy(user) {
			return nil, domain.Conflictf("You've approved this one already; it's waiting for %s (`%s`).",
				moreApprovals(needed-len(d.Approvals)), d.ID)
		}
		e, ev := s.approval(p, d, user, s.onBehalf(ctx, d, user), needed, domain.RequestKey(ctx)) // a delegate approves for an away leader (away.go)
		err := s.store.UpdateDecision(ctx, d, domain.StatePending, &ev)
		var ce *domain.DecisionConflictError
		if errors.As(err, &ce) && ce.Current.State == domain.StatePending && attempt < approveAttempts {
			// Someone else's change landed first (another approval): count
			// again on the decision as it is now.
			d = ce.Current
			continue
		}
		if err != nil {
			return nil, s.raceLost(p, err)
		}
		s.afterChange(ctx, p, d, e)
		return d, nil
	}
}

// approval applies user's approval to the pending d, whose level needs
// needed approvals, and returns its history entry and audit event: the
// final approval approves it, an earlier one is counted. forWho is the
// away leader user approves for, as their delegate ("" for none); request
// is the click's (domain.RequestKey), kept in the entry.
func (s *Service) approval(p *domain.Policy, d *domain.DecisionRecord, user, forWho string, needed int, request string) (domain.HistoryEntry, domain.Event) {
	now := s.clock.Now()
	from := string(d.State)
	n := 1
	if needed > 1 {
		d.Approvals = append(d.Approvals, domain.Approval{By: user, At: now, For: forWho})
		n = len(d.Approvals)
	}
	if n < needed {
		note := fmt.Sprintf("%d of %d", n, needed)
		e := domain.HistoryEntry{Action: "approval", Actor: user, From: from, To: d.LevelName, At: now, Note: note, For: forWho, Request: request}
		d.History = append(d.History, e)
		return e, event(d, domain.DecisionApprovalData{DecisionFacts: d.Facts(), Approvals: n, Needed: needed, For: forWho},
			user, from, from, now)
	}
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline, d.DecidedFor = domain.StateApproved, user, now, time.Time{}, forWho
	d.OutcomeDue = s.outcomeDue(p, now)
	e := domain.HistoryEntry{Action: "approved", Actor: user, From: from, To: string(domain.StateApproved), At: now, For: forWho, Request: request}
	d.History = append(d.History, e)
	data := domain.DecisionApprovedData{DecisionFacts: d.Facts(), For: forWho}
	if needed > 1 {
		data.Approvers = d.Approvers()
	}
	return e, event(d, data, user, from, string(domain.StateApproved), now)
}

// moreApprovals is "1 more approval", "2 more approvals".
func moreApprovals(n int) string {
	if n == 1 {
		return "1 more approval"
	}
	return fmt.Sprintf("%d more approvals", max(n, 0))
}

// Escalate has user pass decision id, from its card of level, up to the
// next level: its cards are updated, the next level gets a card of its own
// (approvals given so far do not carry over) and the requester is told. At
// the top level there is no next one. A redelivery of the click whose
// change is saved finishes what followed it (finishOwn).
func (s *Service) Escalate(ctx context.Context, team, id string, level int, user string) (*domain.DecisionRecord, error) {
	p := s.policy()
	d, err := s.clicked(ctx, team, id)
	if err != nil {
		return nil, err
	}
	if s.finishOwn(ctx, p, d) {
		return d, nil
	}
	if err := s.checkMayAct(ctx, p, d, user); err != nil {
		return nil, err
	}
	if d.Level != level {
		return nil, domain.Conflictf("%s", s.alreadyText(p, d))
	}
	if d.Level >= len(p.Levels)-1 {
		return nil, domain.Conflictf("There's no one higher to pass this to: it's yours to approve or decline (`%s`).", d.ID)
	}
	now := s.clock.Now()
	forWho := s.onBehalf(ctx, d, user) // a delegate answers for an away leader (away.go)
	e := moveUp(p, d, "escalated", user, now)
	e.For, e.Request = forWho, domain.RequestKey(ctx)
	d.History[len(d.History)-1] = e
	if s.skipAway(ctx, d, now) { // nobody is here at the next level (away.go)
		e.To = d.LevelName
	}
	ev := event(d, domain.DecisionEscalatedData{DecisionFacts: d.Facts(), For: forWho}, user, e.From, e.To, now)
	if err := s.store.UpdateDecision(ctx, d, domain.StatePending, &ev); err != nil {
		return nil, s.raceLost(p, err)
	}
	s.afterChange(ctx, p, d, e)
	return d, nil
}

// Decline has user decline decision id with an optional reason (at most
// MaxDeclineReason runes), which the requester is told. One decline is
// final, whatever approvals the level had. A refusal of the reason, or a
// race lost as it is saved, is a *FormError. A redelivery of the
// submission whose change is saved finishes what followed it (finishOwn).
func (s *Service) Decline(ctx context.Context, team, id, user, reason string) (*domain.DecisionRecord, error) {
	p := s.policy()
	d, err := s.store.GetDecision(ctx, team, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil, domain.NotFoundf("I can't find that decision any more.")
	}
	if err != nil {
		return nil, err
	}
	if s.finishOwn(ctx, p, d) {
		return d, nil
	}
	if err := s.checkMayAct(ctx, p, d, user); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n > MaxDeclineReason {
		return nil, &FormError{Err: domain.Invalidf("Please keep the reason to %d characters (it has %d).", MaxDeclineReason, n)}
	}
	now := s.clock.Now()
	from := d.State
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline, d.DeclineReason = domain.StateDeclined, user, now, time.Time{}, reason
	d.DecidedFor = s.onBehalf(ctx, d, user) // a delegate answers for an away leader (away.go)
	e := domain.HistoryEntry{Action: "declined", Actor: user, From: string(from), To: string(domain.StateDeclined), At: now,
		For: d.DecidedFor, Request: domain.RequestKey(ctx)}
	d.History = append(d.History, e)
	ev := event(d, domain.DecisionDeclinedData{DecisionFacts: d.Facts(), Reason: reason, For: d.DecidedFor},
		user, string(from), string(domain.StateDeclined), now)
	if err := s.store.UpdateDecision(ctx, d, from, &ev); err != nil {
		err = s.raceLost(p, err)
		if domain.IsRefusal(err) {
			return nil, &FormError{Err: err}
		}
		return nil, err
	}
	s.afterChange(ctx, p, d, e)
	return d, nil
}

// finishOwn reports whether the request of ctx (domain.RequestKey: a click
// or a submission) changed d already: Slack delivered it again after the
// process handling it died, its change saved. When that change is still
// d's latest, what follows it is done again, each step safe to repeat:
// every card updated, a card the new level lacks posted, the requester
// told, and each message looked for before it is posted
// (domain.WithFinishing), so that what went out before the crash is not
// sent twice. A change made since did the same for itself. Anyone else's
// request (another click, even the same person's) is not recognised: it is
// told the decision was answered already.
func (s *Service) finishOwn(ctx context.Context, p *domain.Policy, d *domain.DecisionRecord) bool {
	i, latest := d.ChangeBy(domain.RequestKey(ctx))
	if i < 0 {
		return false
	}
	if latest {
		s.afterChange(domain.WithFinishing(ctx), p, d, d.History[i])
	}
	return true
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
	s.adoptClickedCard(ctx, d)
	return d, nil
}

// adoptClickedCard records the card clicked on (domain.ClickedCard) as the
// card of d's level when d has none recorded: it was posted after the ack of
// the command that logged d and the process died before recording it. Its
// poster, if alive, sees its own card recorded (postCard).
func (s *Service) adoptClickedCard(ctx context.Context, d *domain.DecisionRecord) {
	card, ok := domain.ClickedCard(ctx)
	if !ok || card.Level != d.Level || d.State != domain.StatePending {
		return
	}
	if _, has := d.MessageFor(d.Level); has {
		return
	}
	attached, _, err := s.store.AttachMessage(ctx, d.Team, d.ID, card)
	if err != nil {
		s.log.Warn("could not record a clicked card", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	if attached {
		d.Messages = append(d.Messages, card)
	}
}

// moveUp moves a pending d to the next level of p with a fresh deadline
// and no approvals yet, and returns the history entry it added.
func moveUp(p *domain.Policy, d *domain.DecisionRecord, action, actor string, now time.Time) domain.HistoryEntry {
	from := d.LevelName
	d.Level++
	d.LevelName = p.LevelName(d.Level)
	d.Deadline = deadline(now, p.RespondWithin(d.Level))
	d.Approvals = nil
	e := domain.HistoryEntry{Action: action, Actor: actor, From: from, To: d.LevelName, At: now}
	d.History = append(d.History, e)
	return e
}

// raceLost turns a lost race into a refusal that says who was first.
func (s *Service) raceLost(p *domain.Policy, err error) error {
	var ce *domain.DecisionConflictError
	if errors.As(err, &ce) {
		return domain.Conflictf("%s", s.alreadyText(p, ce.Current))
	}
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return domain.NotFoundf("I can't find that decision any more; nothing changed.")
	}
	return err
}

// afterChange brings Slack in line with a saved change e of d: every card
// is updated, a new level gets its own card, the requester is told (not of
// an approval that is not yet the last) and the views of the people it
// concerns are refreshed. Failures are logged: the
// change itself is saved.
func (s *Service) afterChange(ctx context.Context, p *domain.Policy, d *domain.DecisionRecord, e domain.HistoryEntry) {
	if len(d.Messages) == 0 {
		// The first card is posted after the ack of the command that logged
		// d, then recorded: it may have been recorded since d was read. (If
		// it is recorded after this change, its poster sees the newer
		// version and updates it.)
		if latest, err := s.store.GetDecision(ctx, d.Team, d.ID); err == nil {
			d.Messages = latest.Messages
		}
	}
	s.updateCards(ctx, d)
	// An approval leaves the level as it was: a card it has not got yet is
	// on its way (or Repair posts it), never posted twice from here.
	if d.State == domain.StatePending && e.Action != "approval" {
		if _, ok := d.MessageFor(d.Level); !ok {
			s.postCard(ctx, d)
		}
	}
	// One approval of several is news for the cards, not yet for the
	// requester.
	if e.Action != "approval" {
		if err := s.notify.TellRequester(ctx, d, e); err != nil {
			s.log.Warn("could not DM the requester", "team", d.Team, "decision", d.ID, "error", err.Error())
		}
	}
	s.notify.Changed(ctx, d)
}
