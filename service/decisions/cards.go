package decisions

import (
	"context"

	"github.com/empowerbot/empowerbot/domain"
)

// postCard posts the card of d's current level and records it. When another
// replica recorded one first, ours is withdrawn; when d changed while the
// card was on its way, every card is brought up to date.
func (s *Service) postCard(ctx context.Context, d *domain.DecisionRecord) {
	m, err := s.notify.PostCard(ctx, d, d.Level)
	s.recordCard(ctx, d, m, err)
}

// repostCard is postCard for a card that is due and not recorded (the
// repair job): the card may be in the channel already (posted by a process
// that died before it recorded it), and then that one is recorded rather
// than a second one posted (Notifier.RepostCard).
func (s *Service) repostCard(ctx context.Context, d *domain.DecisionRecord) {
	m, err := s.notify.RepostCard(ctx, d, d.Level)
	s.recordCard(ctx, d, m, err)
}

// recordCard records m, the card of d's current level that PostCard or
// RepostCard answered (with err), as postCard says.
func (s *Service) recordCard(ctx context.Context, d *domain.DecisionRecord, m domain.DecisionMessage, err error) {
	if err != nil {
		s.log.Error("could not post escalation message", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	attached, ver, err := s.store.AttachMessage(ctx, d.Team, d.ID, m)
	if err != nil {
		s.log.Error("could not record escalation message", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	if !attached && s.recordedAlready(ctx, d, m) {
		attached = true // a click adopted our card before we recorded it
	}
	if !attached {
		// Another replica posted it first: withdraw ours.
		if err := s.notify.WithdrawCard(ctx, m); err != nil {
			s.log.Warn("could not delete a duplicate escalation message", "decision", d.ID, "error", err.Error())
		}
		return
	}
	d.Messages = append(d.Messages, m)
	if ver == d.Version {
		return
	}
	// Someone acted while the card was on its way: show the latest state.
	latest, err := s.store.GetDecision(ctx, d.Team, d.ID)
	if err != nil {
		s.log.Warn("could not reload decision", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	*d = *latest
	s.updateCards(ctx, d)
}

// updateCards brings every card of d up to its current state.
func (s *Service) updateCards(ctx context.Context, d *domain.DecisionRecord) {
	// Until the update succeeds, the repair job takes it (timeouts.go).
	if err := s.store.MarkCardsStale(ctx, d.Team, d.ID, s.clock.Now()); err != nil {
		s.log.Warn("could not mark cards stale", "team", d.Team, "decision", d.ID, "error", err.Error())
	}
	if err := s.notify.UpdateCards(ctx, d); err != nil {
		s.log.Warn("could not update escalation message", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	if err := s.store.CardsFresh(ctx, d.Team, d.ID); err != nil {
		s.log.Warn("could not mark cards fresh", "team", d.Team, "decision", d.ID, "error", err.Error())
	}
}

// recordedAlready reports whether m is the card recorded for its level (a
// click adopted it, adoptClickedCard).
func (s *Service) recordedAlready(ctx context.Context, d *domain.DecisionRecord, m domain.DecisionMessage) bool {
	cur, err := s.store.GetDecision(ctx, d.Team, d.ID)
	if err != nil {
		return false
	}
	rec, ok := cur.MessageFor(m.Level)
	return ok && rec.MessageRef == m.MessageRef
}
