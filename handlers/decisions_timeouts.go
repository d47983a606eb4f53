package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// timeoutBatch bounds how many due decisions one run handles.
const timeoutBatch = 500

// repairAfter is how long a pending decision may go without the escalation
// message of its level before the job posts it.
const repairAfter = time.Minute

// EscalationTimeouts is the escalation_timeouts job: every pending decision
// whose level did not answer within its respond_within moves to the next
// level (the requester is told, the next level gets its message); at the
// top level the approvers get one reminder per respond_within. Each move is
// one atomic change guarded by the decision's version, so two replicas or
// two runs never move a decision twice. It also posts any escalation message
// that a Slack failure kept from being posted.
func (h *Handlers) EscalationTimeouts(ctx context.Context) error {
	team := h.TeamID
	now := h.Clock.Now()
	ids, err := h.Store.DueDecisions(ctx, team, now, timeoutBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if err := h.timeoutOne(ctx, team, id); err != nil {
			errs = append(errs, fmt.Errorf("decision %s: %w", id, err))
		}
	}
	if err := h.repairMessages(ctx, team); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (h *Handlers) timeoutOne(ctx context.Context, team, id string) error {
	d, err := h.Store.GetDecision(ctx, team, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := h.Clock.Now()
	if d.State != domain.StatePending || d.Deadline.IsZero() || d.Deadline.After(now) {
		return nil
	}
	top := d.Level >= len(h.Policy.Levels)-1
	var e domain.HistoryEntry
	var ev domain.Event
	if top {
		d.Reminders++
		d.Deadline = deadline(now, h.Policy.RespondWithin(d.Level))
		e = domain.HistoryEntry{Action: "reminded", To: d.LevelName, At: now}
		d.History = append(d.History, e)
		ev = decisionEvent(d, domain.DecisionRemindedData{DecisionFacts: d.Facts(), Reminders: d.Reminders}, "", d.LevelName, d.LevelName, now)
	} else {
		e = h.moveUp(d, "timeout", "", now)
		ev = decisionEvent(d, domain.DecisionTimeoutData{DecisionFacts: d.Facts()}, "", e.From, e.To, now)
	}
	err = h.Store.UpdateDecision(ctx, d, domain.StatePending, &ev)
	var ce *domain.DecisionConflictError
	if errors.As(err, &ce) {
		return nil // someone answered or another run moved it first
	}
	if err != nil {
		return err
	}
	if top {
		h.syncMessages(ctx, d)
		h.remind(ctx, d)
		return nil
	}
	h.afterChange(ctx, d, e)
	return nil
}

// remind posts a reminder to the top level's approvers in the thread of its
// escalation message.
func (h *Handlers) remind(ctx context.Context, d *domain.DecisionRecord) {
	m, ok := d.MessageFor(d.Level)
	text := fmt.Sprintf(":bell: %s, %s's %s (`%s`) is still waiting for your answer.",
		slacktext.Mentions(h.Policy.LevelApprovers(d.Level)), slacktext.User(d.Requester), summary(d), d.ID)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil))}
	channel := h.Policy.Channels.Escalations
	if ok {
		channel = m.Channel
		opts = append(opts, slack.MsgOptionTS(m.TS))
	}
	if _, _, err := h.Slack.PostMessageContext(ctx, channel, opts...); err != nil {
		h.Log.Warn("could not post reminder", "team", d.Team, "decision", d.ID, "error", err.Error())
	}
}

// repairMessages posts the escalation message of pending decisions that
// have none for their level (Slack failed when it was due).
func (h *Handlers) repairMessages(ctx context.Context, team string) error {
	ids, err := h.Store.PendingDecisions(ctx, team, timeoutBatch)
	if err != nil {
		return err
	}
	ds, err := h.Store.GetDecisions(ctx, team, ids)
	if err != nil {
		return err
	}
	now := h.Clock.Now()
	for _, d := range ds {
		if d.State != domain.StatePending {
			continue
		}
		if _, ok := d.MessageFor(d.Level); ok {
			continue
		}
		// Give the handler that created or moved it time to post first.
		if n := len(d.History); n > 0 && now.Sub(d.History[n-1].At) < repairAfter {
			continue
		}
		h.postLevelMessage(ctx, d)
	}
	return nil
}
