package recognition

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Follow-ups: outcomes.ask_after after a decision became autonomous or was
// approved, its requester is asked once, by DM, how it turned out. The
// store lists the decisions that are due; each is claimed before its DM
// and recorded (with outcome.asked) right after, so that replicas,
// restarts and catch-up runs never ask twice, and a DM that failed for a
// reason that may pass is asked again by a later run.

// followUpBatch bounds the follow-ups one run sends; the rest wait for the
// next run.
const followUpBatch = 1000

// followUpLease is how long a claimed follow-up is reserved for its
// sender, which has half of it to send the DM.
const followUpLease = 2 * time.Minute

// FollowUps is the work of the outcome_followups job for team: it DMs the
// requester of every decision whose follow-up is due, once each, under
// owner, the run's lease owner. It goes on past a failed follow-up (a
// later run tries it again) and returns the first error.
func (s *Service) FollowUps(ctx context.Context, team, owner string) error {
	return s.FollowUpsFor(ctx, team, owner, nil)
}

// FollowUpsFor is FollowUps for the requesters only accepts (everyone when
// nil): with local_time, the outcome_followups job runs each zone's tick
// for the people of that zone.
func (s *Service) FollowUpsFor(ctx context.Context, team, owner string, only func(requester string) bool) error {
	ids, err := s.store.DueFollowUps(ctx, team, s.clock.Now(), followUpBatch)
	if err != nil {
		return err
	}
	var firstErr error
	sent := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		if only != nil {
			d, err := s.store.Decision(ctx, team, id)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if !only(d.Requester) {
				continue
			}
		}
		ok, err := s.followUp(ctx, team, id, owner)
		if err != nil {
			s.log.Warn("follow-up not sent; the next run tries again", "team", team, "decision", id, "error", err.Error())
			if firstErr == nil {
				firstErr = err
			}
		}
		if ok {
			sent++
		}
	}
	s.log.Info("outcome follow-ups done", "team", team, "due", len(ids), "sent", sent)
	return firstErr
}

// followUp claims, sends and records one follow-up; sent is true when this
// call sent it.
func (s *Service) followUp(ctx context.Context, team, id, owner string) (sent bool, err error) {
	claimed, again, err := s.store.ClaimFollowUp(ctx, team, id, owner, followUpLease)
	if err != nil || !claimed {
		return false, err
	}
	// From here on, record what happened even when ctx ends.
	bg := context.WithoutCancel(ctx)
	d, err := s.store.Decision(ctx, team, id)
	if err != nil {
		s.release(bg, team, id, owner)
		return false, err
	}
	sctx, cancel := context.WithTimeout(bg, followUpLease/2)
	defer cancel()
	if again {
		// An earlier run may have sent it and stopped before recording
		// it: the DM is looked for before one is sent.
		sctx = domain.WithFinishing(sctx)
	}
	at, err := s.notify.SendFollowUp(sctx, d)
	var unreachable *UnreachableError
	if errors.As(err, &unreachable) {
		s.log.Warn("follow-up refused by slack", "team", team, "decision", id, "code", unreachable.Reason)
		return false, s.store.FollowUpRefused(sctx, team, id, owner, unreachable.Reason)
	}
	if err != nil {
		s.release(bg, team, id, owner)
		return false, err
	}
	ev := domain.Event{Subject: id, At: s.clock.Now(), Payload: domain.OutcomeAskedData{Requester: d.Requester}}
	var recorded *domain.Decision
	for i := range 4 {
		// Another run holding the claim now is an answer, not a failure
		// that may pass.
		if recorded, err = s.store.FollowUpSent(sctx, team, id, owner, at, ev); err == nil || domain.ErrorCode(err) == domain.Conflict {
			break
		}
		time.Sleep(time.Duration(50<<i) * time.Millisecond)
	}
	if err != nil {
		// The DM is out; the claim expires (or was taken over) and a later
		// run may ask again.
		return true, fmt.Errorf("record follow-up: %w", err)
	}
	if recorded != nil {
		// The outcome was recorded while the DM was on its way, before the
		// DM was known: the DM says so at once, as the record would have.
		s.showRecorded(bg, recorded, at)
	}
	s.notify.Touched(ctx, team, d.Requester)
	return true, nil
}

// release gives up owner's claim of a follow-up that was not sent, so that
// a later run sends it; when that fails too, the claim expires.
func (s *Service) release(ctx context.Context, team, id, owner string) {
	if err := s.store.ReleaseFollowUp(ctx, team, id, owner); err != nil {
		s.log.Warn("could not give back a follow-up; its claim expires", "team", team, "decision", id, "error", err.Error())
	}
}
