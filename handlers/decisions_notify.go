package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/slacktext"
)

// DecisionNotifier is decisions.Notifier in Slack: the escalation cards in
// the escalations channel (rendered in decisions_render.go), the DMs to the
// requester, the reminders in a card's thread and the App Home refreshes.
type DecisionNotifier struct{ H *Handlers }

var _ decisions.Notifier = DecisionNotifier{}

// PostCard posts the card asking level to answer d to the escalations
// channel.
func (n DecisionNotifier) PostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	h := n.H
	p := h.policy()
	text, blocks := escalationMessage(p, &d.Decision, level, h.Clock.Now())
	blocks = h.withAway(ctx, &d.Decision, level, blocks) // who is away until when (away.go)
	ch, ts, err := h.Slack.PostMessageContext(ctx, p.EscalationsChannel(d.TeamName),
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return domain.DecisionMessage{}, fmt.Errorf("post the card of %s: %w", d.ID, err)
	}
	return domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: ch, TS: ts}}, nil
}

// UpdateCards renders every card of d anew with chat.update.
func (n DecisionNotifier) UpdateCards(ctx context.Context, d *domain.DecisionRecord) error {
	h := n.H
	p, now := h.policy(), h.Clock.Now()
	var errs []error
	for _, m := range d.Messages {
		text, blocks := escalationMessage(p, &d.Decision, m.Level, now)
		blocks = h.withAway(ctx, &d.Decision, m.Level, blocks) // who is away until when (away.go)
		if _, _, _, err := h.Slack.UpdateMessageContext(ctx, m.Channel, m.TS,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			errs = append(errs, fmt.Errorf("update the card of %s for level %d: %w", d.ID, m.Level, err))
		}
	}
	errs = append(errs, n.updateReminderDMs(ctx, d)) // the reminder DMs follow the cards (decisions_remind.go)
	return errors.Join(errs...)
}

// WithdrawCard deletes a duplicate card with chat.delete.
func (n DecisionNotifier) WithdrawCard(ctx context.Context, m domain.DecisionMessage) error {
	if _, _, err := n.H.Slack.DeleteMessageContext(ctx, m.Channel, m.TS); err != nil {
		return fmt.Errorf("delete card %s in %s: %w", m.TS, m.Channel, err)
	}
	return nil
}

// TellRequester DMs d's requester what e did to it (outcomeDM).
func (n DecisionNotifier) TellRequester(ctx context.Context, d *domain.DecisionRecord, e domain.HistoryEntry) error {
	h := n.H
	text := outcomeDM(h.policy(), &d.Decision, e)
	if text == "" {
		return nil
	}
	_, _, err := h.DM(ctx, d.Team, d.Requester, slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil)))
	return err
}

// Remind posts a reminder to the approvers of d's level in the thread of
// its card (in the escalations channel when it has none).
func (n DecisionNotifier) Remind(ctx context.Context, d *domain.DecisionRecord) error {
	h := n.H
	p := h.policy()
	text := fmt.Sprintf(":bell: %s, %s's %s (`%s`) is still waiting for your answer.",
		slacktext.Mentions(decisions.ApproverIDs(p, &d.Decision, d.Level)), slacktext.User(d.Requester), summary(&d.Decision), d.ID)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil))}
	channel := p.EscalationsChannel(d.TeamName)
	if m, ok := d.MessageFor(d.Level); ok {
		channel = m.Channel
		opts = append(opts, slack.MsgOptionTS(m.TS))
	}
	if _, _, err := h.Slack.PostMessageContext(ctx, channel, opts...); err != nil {
		return fmt.Errorf("post the reminder of %s: %w", d.ID, err)
	}
	return nil
}

// Changed refreshes the App Home of everyone d concerns.
func (n DecisionNotifier) Changed(ctx context.Context, d *domain.DecisionRecord) {
	n.H.touchDecision(ctx, d)
}
