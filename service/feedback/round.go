package feedback

import (
	"context"
	"fmt"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// The stages of a round whose response rate is recorded (the To of its
// feedback.round events).
const (
	stageOpen     = "open"     // the round's DMs went out
	stageReminded = "reminded" // its reminders went out
	stageClosed   = "closed"   // the next round opened
)

// epoch is a Monday: weeks are counted from it to rotate the questions.
var epoch = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// QuestionOfWeek returns the question of the week holding t in loc (UTC when
// nil) and its index in questions (domain.DefaultQuestions when empty): the
// questions rotate one a week, in order, the same on every replica.
func QuestionOfWeek(questions []string, loc *time.Location, t time.Time) (string, int) {
	if len(questions) == 0 {
		questions = domain.DefaultQuestions()
	}
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)
	week := days / 7
	if days < 0 {
		week = (days - 6) / 7
	}
	n := len(questions)
	i := ((week % n) + n) % n
	return questions[i], i
}

// Round returns round id of team; for "" the current round; and, for an
// unknown round (domain.NoRound, expired, or "" before the first round),
// this week's question outside any round (ID domain.NoRound).
func (s *Service) Round(ctx context.Context, team, id string) (domain.FeedbackRound, error) {
	if id != "" && id != domain.NoRound {
		r, err := s.store.FeedbackRound(ctx, team, id)
		if err != nil {
			return domain.FeedbackRound{}, err
		}
		if r != nil {
			return *r, nil
		}
	}
	if id == "" {
		r, err := s.store.CurrentFeedbackRound(ctx, team)
		if err != nil {
			return domain.FeedbackRound{}, err
		}
		if r != nil {
			return *r, nil
		}
	}
	q, i := QuestionOfWeek(s.conf().Questions, s.conf().Location, s.clock.Now())
	return domain.FeedbackRound{ID: domain.NoRound, Question: q, Index: i}, nil
}

// RunRound is the feedback job's run of tick: it opens the round of tick
// (closing the one before with its final response rate), finishes the
// rounds of the last ResumeWithin a stopped run left half sent, and DMs this
// week's question to every frontline person once.
func (s *Service) RunRound(ctx context.Context, tick time.Time) error {
	return s.RunRoundFor(ctx, tick, nil)
}

// RunRoundFor is RunRound for the people only accepts (everyone when nil):
// with local_time, the feedback job runs each zone's tick for that zone's
// people, tick being the tick's wall-clock time in the policy's zone, the
// same for every zone, so that they all share one round.
func (s *Service) RunRoundFor(ctx context.Context, tick time.Time, only func(person string) bool) error {
	team := s.cfg.Team
	q, i := QuestionOfWeek(s.conf().Questions, s.conf().Location, tick)
	round := domain.FeedbackRound{ID: domain.RoundID(tick), Question: q, Index: i, Tick: tick}
	prev, err := s.store.OpenFeedbackRound(ctx, team, round)
	if err != nil {
		return err
	}
	if stored, err := s.store.FeedbackRound(ctx, team, round.ID); err == nil && stored != nil {
		round.Prev = stored.Prev // the round before this one, whichever replica opened it
	}
	if prev != "" && prev != round.ID {
		if pr, err := s.store.FeedbackRound(ctx, team, prev); err == nil && pr != nil && pr.Tick.Before(round.Tick) {
			s.recordRate(ctx, *pr, stageClosed)
		}
	}
	aud, err := s.Audience(ctx)
	if err != nil {
		return fmt.Errorf("feedback audience: %w", err)
	}
	aud.People = keep(aud.People, only)
	if len(aud.Unresolved) > 0 {
		s.log.Warn("Slack does not list the members of these frontline user groups; check the policy", "groups", aud.Unresolved)
	}
	pending, err := s.store.FanoutPending(ctx, team, JobRound, s.clock.Now().Add(-s.cfg.ResumeWithin))
	if err != nil {
		return err
	}
	for _, id := range pending {
		if id == round.ID {
			continue
		}
		old, err := s.store.FeedbackRound(ctx, team, id)
		if err != nil {
			return err
		}
		if old == nil {
			continue
		}
		if err := s.ask(ctx, *old, aud); err != nil {
			return fmt.Errorf("resume feedback round %s: %w", id, err)
		}
	}
	if err := s.ask(ctx, round, aud); err != nil {
		return err
	}
	s.recordRate(ctx, round, stageOpen)
	return nil
}

// ask DMs round's question to everyone of aud who has not had it, each
// opening with what was done about feedback since the round before.
func (s *Service) ask(ctx context.Context, round domain.FeedbackRound, aud Audience) error {
	team := s.cfg.Team
	news := s.roundNews(ctx, round)
	return s.delivery.Deliver(ctx, Dispatch{
		Team: team, Job: JobRound, Run: round.ID, People: aud.People, Excluded: aud.Excluded,
		Send: s.notify.Question(ctx, team, round, aud.People, news),
		Sent: s.sentHook(team, JobRound, round),
	})
}

// roundNews is what was done about feedback since the round before round,
// up to now: what round's question DM opens with.
func (s *Service) roundNews(ctx context.Context, round domain.FeedbackRound) News {
	from := round.Tick.Add(-7 * 24 * time.Hour)
	if round.Prev != "" {
		if pr, err := s.store.FeedbackRound(ctx, s.cfg.Team, round.Prev); err == nil && pr != nil && pr.Tick.Before(round.Tick) {
			from = pr.Tick
		}
	}
	return s.newsSince(ctx, from, s.clock.Now().Add(time.Millisecond))
}

// RunReminder is the feedback_reminder job's run: it DMs, once per round,
// the people the current round's question reached who have not answered
// it, and records the round's response rate.
func (s *Service) RunReminder(ctx context.Context, tick time.Time) error {
	return s.RunReminderFor(ctx, tick, nil)
}

// RunReminderFor is RunReminder for the people only accepts (everyone when
// nil): with local_time, each zone's tick reminds that zone's people.
func (s *Service) RunReminderFor(ctx context.Context, _ time.Time, only func(person string) bool) error {
	team := s.cfg.Team
	round, err := s.store.CurrentFeedbackRound(ctx, team)
	if err != nil {
		return err
	}
	if round == nil {
		s.log.Info("no feedback round to remind of", "job", JobReminder)
		return nil
	}
	people, err := s.notAnswered(ctx, *round)
	if err != nil {
		return err
	}
	people = keep(people, only)
	people, _ = s.withoutAway(ctx, people) // leaders away get no DMs (away.go)
	err = s.delivery.Deliver(ctx, Dispatch{
		// The run is the round, not the tick: one reminder per person and
		// round, however often the reminder's schedule fires.
		Team: team, Job: JobReminder, Run: round.ID, People: people,
		Send: s.notify.Reminder(ctx, team, *round, people),
		Sent: s.sentHook(team, JobReminder, *round),
	})
	if err != nil {
		return err
	}
	s.recordRate(ctx, *round, stageReminded)
	return nil
}

// notAnswered returns the people round's question reached who have not
// answered it, sorted.
func (s *Service) notAnswered(ctx context.Context, round domain.FeedbackRound) ([]string, error) {
	reached, err := s.store.FanoutDelivered(ctx, s.cfg.Team, JobRound, round.ID)
	if err != nil {
		return nil, err
	}
	answered, err := s.store.FeedbackAnswered(ctx, s.cfg.Team, round.ID)
	if err != nil {
		return nil, err
	}
	people := make([]string, 0, len(reached))
	for _, p := range reached {
		if !answered[p] {
			people = append(people, p)
		}
	}
	return people, nil
}

// recordRate appends round's response rate at stage to the audit trail (for
// the digest and stats); a failure is logged, the run goes on.
func (s *Service) recordRate(ctx context.Context, r domain.FeedbackRound, stage string) {
	err := func() error {
		rate, err := s.store.FeedbackRoundRate(ctx, s.cfg.Team, r.ID)
		if err != nil {
			return err
		}
		_, err = s.store.Audit(ctx, s.cfg.Team, domain.Event{
			Subject: r.ID, To: stage, At: s.clock.Now(),
			Payload: domain.FeedbackRoundData{Question: r.Question, Sent: rate.Sent, Answered: rate.Answered, RatePct: rate.Pct()},
		})
		return err
	}()
	if err != nil {
		s.log.Warn("could not record a feedback round's response rate", "round", r.ID, "error", err.Error())
	}
}

// keep returns the people only accepts (all of them when only is nil).
func keep(people []string, only func(string) bool) []string {
	if only == nil {
		return people
	}
	out := make([]string, 0, len(people))
	for _, p := range people {
		if only(p) {
			out = append(out, p)
		}
	}
	return out
}
