package decisions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// timeoutBatch bounds how many due decisions one run handles.
const timeoutBatch = 500

// repairAfter is how long a pending decision may go without the card of its
// level before Repair posts it.
const repairAfter = time.Minute

// Timeouts is the body of the escalation_timeouts job for team: every
// pending decision whose level did not answer within its respond_within
// moves to the next level (the requester is told, the next level gets its
// card); at the top level the approvers get one reminder per
// respond_within. Each move is one atomic change guarded by the decision's
// version, so two replicas or two runs never move a decision twice. Then it
// repairs missing cards (Repair).
func (s *Service) Timeouts(ctx context.Context, team string) error {
	ids, err := s.store.DueDecisions(ctx, team, s.clock.Now(), timeoutBatch)
	if err != nil {
		return fmt.Errorf("timeouts: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if err := s.timeoutOne(ctx, team, id); err != nil {
			errs = append(errs, fmt.Errorf("decision %s: %w", id, err))
		}
	}
	if err := s.Repair(ctx, team); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// timeoutOne moves decision id up, or reminds the top level, when its
// deadline has passed.
func (s *Service) timeoutOne(ctx context.Context, team, id string) error {
	d, err := s.store.GetDecision(ctx, team, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	p := s.policy()
	now := s.clock.Now()
	if d.State != domain.StatePending || d.Deadline.IsZero() || d.Deadline.After(now) {
		return nil
	}
	top := d.Level >= len(p.Levels)-1
	var e domain.HistoryEntry
	var ev domain.Event
	if top {
		d.Reminders++
		d.Deadline = deadline(now, p.RespondWithin(d.Level))
		e = domain.HistoryEntry{Action: "reminded", To: d.LevelName, At: now}
		d.History = append(d.History, e)
		ev = event(d, domain.DecisionRemindedData{DecisionFacts: d.Facts(), Reminders: d.Reminders}, "", d.LevelName, d.LevelName, now)
	} else {
		e = moveUp(p, d, "timeout", "", now)
		if s.skipAway(ctx, d, now) { // nobody is here at the next level (away.go)
			e.To = d.LevelName
		}
		ev = event(d, domain.DecisionTimeoutData{DecisionFacts: d.Facts()}, "", e.From, e.To, now)
	}
	err = s.store.UpdateDecision(ctx, d, domain.StatePending, &ev)
	var ce *domain.DecisionConflictError
	if errors.As(err, &ce) {
		return nil // someone answered or another run moved it first
	}
	if err != nil {
		return err
	}
	if top {
		s.updateCards(ctx, d)
		if err := s.notify.Remind(ctx, d); err != nil {
			s.log.Warn("could not post reminder", "team", d.Team, "decision", d.ID, "error", err.Error())
		}
		return nil
	}
	s.afterChange(ctx, p, d, e)
	return nil
}

// Repair posts the card of every pending decision of team that has none for
// its level (Slack failed when it was due, or the process died before it
// recorded it), once the change that needed it is repairAfter old: a card
// that reached Slack is found in the channel and recorded, not posted
// twice (repostCard). It also updates the cards of decisions whose last card
// update failed (a decided decision's card still showing its buttons), a
// bounded number a run (repairStaleCards).
func (s *Service) Repair(ctx context.Context, team string) error {
	ids, err := s.store.PendingDecisions(ctx, team, timeoutBatch)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	ds, err := s.store.GetDecisions(ctx, team, ids)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	now := s.clock.Now()
	for _, d := range ds {
		if d.State != domain.StatePending {
			continue
		}
		if _, ok := d.MessageFor(d.Level); ok {
			continue
		}
		// Give the caller that created or moved it time to post first.
		if n := len(d.History); n > 0 && now.Sub(d.History[n-1].At) < repairAfter {
			continue
		}
		s.repostCard(ctx, d)
	}
	return s.repairStaleCards(ctx, team, now)
}

// staleCardsBatch bounds how many decisions' cards one repair run updates
// (a few chat.update calls each), so that a long Slack outage is caught up
// at a bounded rate.
const staleCardsBatch = 20

// repairStaleCards updates the cards of decisions whose card update failed
// (a decided decision's card still showing its buttons), once the update is
// repairAfter late, at most staleCardsBatch a run; one still failing stays
// for the next run.
func (s *Service) repairStaleCards(ctx context.Context, team string, now time.Time) error {
	ids, err := s.store.StaleCards(ctx, team, now.Add(-repairAfter), staleCardsBatch)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	ds, err := s.store.GetDecisions(ctx, team, ids)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	found := make(map[string]bool, len(ds))
	for _, d := range ds {
		found[d.ID] = true
		if err := s.notify.UpdateCards(ctx, d); err != nil {
			s.log.Warn("could not repair escalation messages", "team", team, "decision", d.ID, "error", err.Error())
			continue
		}
		if err := s.store.CardsFresh(ctx, team, d.ID); err != nil {
			return fmt.Errorf("repair: %w", err)
		}
	}
	for _, id := range ids {
		if !found[id] { // deleted (retention): nothing to show
			if err := s.store.CardsFresh(ctx, team, id); err != nil {
				return fmt.Errorf("repair: %w", err)
			}
		}
	}
	return nil
}
