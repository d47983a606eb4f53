package commitments

import (
	"context"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
)

// reminderBatch bounds how many open commitments one run of Remind reads.
const reminderBatch = 10_000

// reminderLease is how long a claimed reminder is reserved for its sender,
// which has half of it to send the DM; a sender that died is taken over
// once it expires.
const reminderLease = 10 * time.Minute

// Remind is the work of the commitment_reminders job for team: each open
// commitment whose due date starts within commitments.remind_before gets
// one reminder to its leader, and one a day while it is overdue, each with
// Done and New date. Every reminder is leased per (commitment, day in the
// policy's timezone) under owner, the run's lease owner, so that replicas
// and repeated runs send it once; the first overdue reminder of a due date
// appends commitment.overdue; the overdue reminders skip the days that are
// not working_days. A reminder that could not be sent is given back, for a
// later run to send. Remind returns how many reminders it sent,
// and the first error it met (it goes on with the others).
func (s *Service) Remind(ctx context.Context, team, owner string) (int, error) {
	return s.RemindIn(ctx, team, owner, s.policy().Location, nil)
}

// RemindIn is Remind for the leaders only accepts (every leader when nil),
// whose day is the day in loc: with local_time, the commitment_reminders
// job runs each zone's tick for the leaders of that zone, so "today", the
// day a reminder is claimed for, and the working days are theirs. The
// overdue reminders skip days that are not working days (working_days).
func (s *Service) RemindIn(ctx context.Context, team, owner string, loc *time.Location, only func(leader string) bool) (int, error) {
	now, pol := s.clock.Now(), s.policy()
	today := dates.Of(now.In(loc))
	horizon := dates.Of(now.Add(pol.Commitments.RemindBefore).In(loc))
	if horizon.Before(today) {
		horizon = today
	}
	ids, err := s.store.OpenCommitmentsDueBy(ctx, team, horizon.String(), reminderBatch)
	if err != nil {
		return 0, err
	}
	list, err := s.store.GetCommitments(ctx, team, ids)
	if err != nil {
		return 0, err
	}
	away := s.awayNow(ctx, team, now)
	sent := 0
	var firstErr error
	for _, c := range list {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if c.State != domain.CommitmentOpen || (only != nil && !only(c.Leader)) || away.IsAway(c.Leader) {
			// A leader away gets no reminders; the first run after they
			// are back sends that day's.
			continue
		}
		due, err := dates.ParseISO(c.Due)
		if err != nil {
			s.log.Warn("commitment with a bad due date", "commitment", c.ID, "due", c.Due)
			continue
		}
		kind := domain.ReminderDueSoon
		var overdue *domain.Event
		if due.Before(today) {
			if !pol.IsWorkingDay(today.Weekday()) {
				continue // a daily nudge waits for the next working day
			}
			kind = domain.ReminderOverdue
			ev := event(c, domain.CommitmentOverdueData{CommitmentFacts: c.Facts(), DaysOverdue: due.DaysUntil(today)},
				"", string(domain.CommitmentOpen), string(domain.CommitmentOpen), now)
			overdue = &ev
		}
		claimed, err := s.store.ClaimCommitmentReminder(ctx, c, kind, today.String(), owner, reminderLease, overdue)
		if err == nil && claimed {
			if err = s.sendReminder(ctx, c, kind, today, owner); err == nil {
				sent++
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return sent, firstErr
}

// sendReminder sends owner's claimed reminder of c and records it, or gives
// the claim back when it could not be sent.
func (s *Service) sendReminder(ctx context.Context, c *domain.CommitmentRecord, kind domain.ReminderKind, today dates.Date, owner string) error {
	bg := context.WithoutCancel(ctx)
	dctx, cancel := context.WithTimeout(ctx, reminderLease/2)
	dm, err := s.notify.Remind(dctx, c, kind, today)
	cancel()
	if err != nil {
		s.log.Warn("could not send a commitment reminder", "commitment", c.ID, "error", err.Error())
		if rerr := s.store.ReleaseCommitmentReminder(bg, c, kind, today.String(), owner); rerr != nil {
			s.log.Warn("could not release a commitment reminder", "commitment", c.ID, "error", rerr.Error())
		}
		return fmt.Errorf("remind %s: %w", c.ID, err)
	}
	settled, err := s.store.CommitmentReminderSent(bg, c, today.String(), owner, dm)
	if err != nil {
		// The reminder is out; the claim expires and a later run of the
		// same day may send it again.
		s.log.Warn("could not record a sent commitment reminder", "commitment", c.ID, "error", err.Error())
		return nil
	}
	if settled {
		// Done or given a new date while the DM was on its way: the DM
		// says so at once, as the change showed the ones before it.
		s.showSettledLate(bg, c, dm)
	}
	return nil
}

// showSettledLate shows dm, a reminder of c recorded after c changed, as
// c is now.
func (s *Service) showSettledLate(ctx context.Context, c *domain.CommitmentRecord, dm domain.MessageRef) {
	cur, err := s.store.GetCommitment(ctx, c.Team, c.ID)
	if err != nil {
		s.log.Warn("could not show a late reminder settled", "commitment", c.ID, "error", err.Error())
		return
	}
	s.notify.ShowSettled(ctx, cur, nil, []domain.MessageRef{dm})
}

// takeReminders returns the reminder DMs of c sent before its change, for
// the change to show settled (read after the change is written: one
// recorded later finds c settled and shows itself). A failure is logged:
// the change is saved.
func (s *Service) takeReminders(ctx context.Context, c *domain.CommitmentRecord) []domain.MessageRef {
	dms, err := s.store.TakeCommitmentReminderDMs(ctx, c.Team, c.ID)
	if err != nil {
		s.log.Warn("could not read a commitment's reminder DMs", "commitment", c.ID, "error", err.Error())
	}
	return dms
}

// awayNow returns the leaders away in team at now; none when it cannot be
// read (logged: a reminder too many beats one missed).
func (s *Service) awayNow(ctx context.Context, team string, now time.Time) domain.Absences {
	if s.away == nil {
		return nil
	}
	as, err := s.away.Absences(ctx, team, now)
	if err != nil {
		s.log.Warn("could not read who is away; reminders go to every leader", "team", team, "error", err.Error())
		return nil
	}
	return as
}
