package handlers

import (
	"context"
	"fmt"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

// reminderBatch bounds how many open commitments one run of the reminder job
// reads.
const reminderBatch = 10_000

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
		won, err := h.Store.ClaimCommitmentReminder(ctx, cm, kind, today.String(), overdue)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !won {
			continue
		}
		if _, _, err := h.DM(ctx, cm.Team, cm.Leader, ReminderDM(cm, kind, today)...); err != nil {
			h.Log.Warn("could not send a commitment reminder", "commitment", cm.ID, "error", err.Error())
			if rerr := h.Store.ReleaseCommitmentReminder(context.WithoutCancel(ctx), cm, kind, today.String()); rerr != nil {
				h.Log.Warn("could not release a commitment reminder", "commitment", cm.ID, "error", rerr.Error())
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("remind %s: %w", cm.ID, err)
			}
			continue
		}
		sent++
	}
	return sent, firstErr
}
