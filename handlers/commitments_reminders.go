package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

// reminderBatch bounds how many open commitments one run of the reminder job
// reads.
const reminderBatch = 10_000

// reminderLease is how long a claimed reminder is reserved for its sender,
// which has half of it to send the DM; a sender that died is taken over
// once it expires.
const reminderLease = 10 * time.Minute

// CommitmentReminders is the work of the commitment_reminders job: each open
// commitment whose due date starts within commitments.remind_before gets one
// reminder DM to its leader, and one a day while it is overdue, each with
// Done and New date. Every reminder is claimed per (commitment, day in the
// policy's timezone) in Redis, so replicas and repeated runs send it once;
// the first overdue reminder of a due date appends commitment.overdue. It
// returns how many reminders it sent.
func (h *Handlers) CommitmentReminders(ctx context.Context) (int, error) {
	now := h.Clock.Now()
	loc := h.Policy.Location
	today := dates.Of(now.In(loc))
	horizon := dates.Of(now.Add(h.Policy.Commitments.RemindBefore).In(loc))
	if horizon.Before(today) {
		horizon = today
	}
	ids, err := h.Store.OpenCommitmentsDueBy(ctx, h.TeamID, horizon.String(), reminderBatch)
	if err != nil {
		return 0, err
	}
	list, err := h.Store.GetCommitments(ctx, h.TeamID, ids)
	if err != nil {
		return 0, err
	}
	owner := store.NewOwner()
	sent := 0
	var firstErr error
	for _, cm := range list {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if cm.State != domain.CommitmentOpen {
			continue
		}
		due, err := dates.ParseISO(cm.Due)
		if err != nil {
			h.Log.Warn("commitment with a bad due date", "commitment", cm.ID, "due", cm.Due)
			continue
		}
		kind := store.ReminderDueSoon
		var overdue *domain.Event
		if due.Before(today) {
			kind = store.ReminderOverdue
			ev := commitmentEvent(cm, domain.CommitmentOverdueData{CommitmentFacts: cm.Facts(), DaysOverdue: due.DaysUntil(today)},
				"", string(domain.CommitmentOpen), string(domain.CommitmentOpen), now)
			overdue = &ev
		}
		st, err := h.Store.ClaimCommitmentReminder(ctx, cm, kind, today.String(), owner, reminderLease, overdue)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if st != store.LeaseClaimed {
			continue
		}
		if err := h.sendReminder(ctx, cm, kind, today, owner); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sent++
	}
	return sent, firstErr
}

// sendReminder sends owner's claimed reminder of cm and records it, or
// gives the claim back when the DM could not be sent.
func (h *Handlers) sendReminder(ctx context.Context, cm *store.CommitmentRecord, kind string, today dates.Date, owner string) error {
	bg := context.WithoutCancel(ctx)
	dctx, cancel := context.WithTimeout(ctx, reminderLease/2)
	_, _, err := h.DM(dctx, cm.Team, cm.Leader, ReminderDM(cm, kind, today)...)
	cancel()
	if err != nil {
		h.Log.Warn("could not send a commitment reminder", "commitment", cm.ID, "error", err.Error())
		if rerr := h.Store.ReleaseCommitmentReminder(bg, cm, kind, today.String(), owner); rerr != nil {
			h.Log.Warn("could not release a commitment reminder", "commitment", cm.ID, "error", rerr.Error())
		}
		return fmt.Errorf("remind %s: %w", cm.ID, err)
	}
	if err := h.Store.CommitmentReminderSent(bg, cm, today.String(), owner); err != nil {
		// The DM is out; the claim expires and a later run of the same day
		// may send it again.
		h.Log.Warn("could not record a sent commitment reminder", "commitment", cm.ID, "error", err.Error())
	}
	return nil
}
