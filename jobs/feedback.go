package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
)

// Job names of feedback (the policy's schedules keys).
const (
	JobFeedback         = "feedback"
	JobFeedbackReminder = "feedback_reminder"
)

// FanoutTimeout bounds one run of a fan-out job: at the 20 DMs a second the
// Web API client allows, 6 hours reach over 400,000 people.
const FanoutTimeout = 6 * time.Hour

// Feedback runs the weekly feedback DM and its reminder.
type Feedback struct {
	H      *handlers.Handlers
	Fanout *Fanout
	// Directory resolves the frontline; nil means H.Slack.
	Directory Directory
	// ResumeWithin is how far back a round whose DMs were not all sent (the
	// bot stopped mid-run) is finished by the next run (default 24h, as
	// CATCHUP_GRACE).
	ResumeWithin time.Duration
}

func (f *Feedback) dir() Directory {
	if f.Directory != nil {
		return f.Directory
	}
	return f.H.Slack
}

// Jobs returns the feedback and feedback_reminder jobs on the policy's
// schedules.
func (f *Feedback) Jobs() []Job {
	return []Job{
		{Name: JobFeedback, Spec: f.H.Policy.Schedules.Feedback, Run: f.RunRound, Timeout: FanoutTimeout},
		{Name: JobFeedbackReminder, Spec: f.H.Policy.Schedules.FeedbackReminder, Run: f.RunReminder, Timeout: FanoutTimeout},
	}
}

// RunRound opens the round of tick (closing the previous one with its final
// response rate) and DMs this week's question to every frontline person
// once.
func (f *Feedback) RunRound(ctx context.Context, tick time.Time) error {
	h, team := f.H, f.H.TeamID
	q, i := handlers.QuestionOfWeek(h.Policy, tick)
	round := domain.FeedbackRound{ID: domain.RoundID(tick), Question: q, Index: i, Tick: tick}
	prev, err := h.Store.OpenFeedbackRound(ctx, team, round)
	if err != nil {
		return err
	}
	if prev != "" && prev != round.ID {
		if pr, err := h.Store.FeedbackRound(ctx, team, prev); err == nil && pr != nil && pr.Tick.Before(round.Tick) {
			if _, err := h.Store.AuditFeedbackRate(ctx, team, *pr, "closed", h.Clock.Now()); err != nil {
				h.Log.Warn("could not record a feedback round's response rate", "round", prev, "error", err.Error())
			}
		}
	}
	aud, err := ResolveAudience(ctx, f.dir(), h.Policy.Frontline)
	if err != nil {
		return fmt.Errorf("feedback audience: %w", err)
	}
	if len(aud.Unresolved) > 0 {
		h.Log.Warn("Slack does not list the members of these frontline user groups; check the policy", "groups", aud.Unresolved)
	}
	// Finish earlier rounds a stopped run left half sent.
	within := f.ResumeWithin
	if within <= 0 {
		within = 24 * time.Hour
	}
	pending, err := h.Store.FanoutPending(ctx, team, JobFeedback, h.Clock.Now().Add(-within))
	if err != nil {
		return err
	}
	for _, id := range pending {
		if id == round.ID {
			continue
		}
		old, err := h.Store.FeedbackRound(ctx, team, id)
		if err != nil {
			return err
		}
		if old == nil {
			continue
		}
		if err := f.fanRound(ctx, *old, aud); err != nil {
			return fmt.Errorf("resume feedback round %s: %w", id, err)
		}
	}
	if err := f.fanRound(ctx, round, aud); err != nil {
		return err
	}
	if _, err := h.Store.AuditFeedbackRate(ctx, team, round, "open", h.Clock.Now()); err != nil {
		h.Log.Warn("could not record a feedback round's response rate", "round", round.ID, "error", err.Error())
	}
	return nil
}

// fanRound DMs round's question to everyone of aud who has not got it.
func (f *Feedback) fanRound(ctx context.Context, round domain.FeedbackRound, aud Audience) error {
	h, team := f.H, f.H.TeamID
	msg := handlers.FeedbackDM(round, h.Policy.Feedback.AnonymousAllowed)
	_, err := f.Fanout.Run(ctx, FanoutRun{
		Team: team, Job: JobFeedback, Run: round.ID, People: aud.People, Excluded: aud.Excluded,
		Send: DMSend(ctx, h, team, aud.People, msg),
	})
	return err
}

// RunReminder DMs, once per round, the people who got the current round's
// question and have not answered it, and records the round's response rate.
func (f *Feedback) RunReminder(ctx context.Context, _ time.Time) error {
	h, team := f.H, f.H.TeamID
	round, err := h.Store.CurrentFeedbackRound(ctx, team)
	if err != nil {
		return err
	}
	if round == nil {
		h.Log.Info("no feedback round to remind of", "job", JobFeedbackReminder)
		return nil
	}
	ledger, err := h.Store.FanoutLedger(ctx, team, JobFeedback, round.ID)
	if err != nil {
		return err
	}
	answered, err := h.Store.FeedbackAnswered(ctx, team, round.ID)
	if err != nil {
		return err
	}
	var people []string
	for person, st := range ledger {
		if st.Sent() && !answered[person] {
			people = append(people, person)
		}
	}
	msg := handlers.FeedbackReminderDM(*round)
	_, err = f.Fanout.Run(ctx, FanoutRun{
		// The run is the round, not the tick: one reminder per person and
		// round, however often the reminder's schedule fires.
		Team: team, Job: JobFeedbackReminder, Run: round.ID, People: people,
		Send: DMSend(ctx, h, team, people, msg),
	})
	if err != nil {
		return err
	}
	if _, err := h.Store.AuditFeedbackRate(ctx, team, *round, "reminded", h.Clock.Now()); err != nil {
		h.Log.Warn("could not record a feedback round's response rate", "round", round.ID, "error", err.Error())
	}
	return nil
}
