package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/store"
)

// DecisionNotifier is decisions.Notifier in Slack: the escalation cards in
// the escalations channel (rendered in decisions_render.go), the DMs to the
// requester, the reminders in a card's thread and the App Home refreshes.
type DecisionNotifier struct{ H *Handlers }

var _ decisions.Notifier = DecisionNotifier{}

// PostCard posts the card asking level to answer d to the escalations
// channel.
func (n DecisionNotifier) PostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	return n.postCard(ctx, d, level, false)
}

// RepostCard posts the card like PostCard unless the escalations channel
// holds it already (its CardTag in the message metadata, as far back as
// the Poster's pages reach: the bot's clock may not be Slack's): a card
// that reached Slack before a crash, whose message was never recorded, is
// returned rather than posted twice (slackapi.Poster.PostAgain).
func (n DecisionNotifier) RepostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	return n.postCard(ctx, d, level, true)
}

func (n DecisionNotifier) postCard(ctx context.Context, d *domain.DecisionRecord, level int, again bool) (domain.DecisionMessage, error) {
	h := n.H
	p := h.policy()
	text, blocks := escalationMessage(p, &d.Decision, level, h.Clock.Now())
	blocks = h.withAway(ctx, &d.Decision, level, blocks) // who is away until when (away.go)
	channel, tag := p.EscalationsChannel(d.TeamName), CardTag(d.ID, level)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
	var ch, ts string
	var err error
	if again {
		ch, ts, err = h.poster().PostAgain(ctx, channel, tag, time.Time{}, opts...)
	} else {
		ch, ts, err = h.postOnce(ctx, channel, tag, opts...) // once.go
	}
	if err != nil {
		return domain.DecisionMessage{}, fmt.Errorf("post the card of %s: %w", d.ID, err)
	}
	return domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: ch, TS: ts}}, nil
}

// CardTag names the card of decision id for level in its message metadata.
func CardTag(id string, level int) slackapi.Tag {
	return slackapi.PostTag("card", id+"/"+strconv.Itoa(level))
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

// TellRequester DMs d's requester what e did to it (outcomeDM), once: the
// DM is named by e, so that a redelivery finishing e finds it (dmOnce).
func (n DecisionNotifier) TellRequester(ctx context.Context, d *domain.DecisionRecord, e domain.HistoryEntry) error {
	h := n.H
	text := outcomeDM(h.policy(), &d.Decision, e)
	if text == "" {
		return nil
	}
	tag := slackapi.PostTag("told", fmt.Sprintf("%s/%s/%d", d.ID, e.Action, e.At.UnixNano()))
	_, _, err := h.dmOnce(ctx, d.Team, d.Requester, tag, slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil)))
	return err
}

// threadNudge is the ReminderDM.Approver under which the nudge of a card's
// thread is recorded ("thread-2" for d's second reminder), beside the
// reminder DMs: UpdateCards then updates it once the decision is answered.
const threadNudge = "thread-"

// Remind posts a reminder to the approvers of d's level in the thread of
// its card (in the escalations channel when it has none), once per
// reminder, and records it so that it is updated with the card.
func (n DecisionNotifier) Remind(ctx context.Context, d *domain.DecisionRecord) error {
	h := n.H
	p := h.policy()
	text := nudgeText(p, &d.Decision, d.Level)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil))}
	channel := p.EscalationsChannel(d.TeamName)
	if m, ok := d.MessageFor(d.Level); ok {
		channel = m.Channel
		opts = append(opts, slack.MsgOptionTS(m.TS))
	}
	nudge, owner := threadNudge+strconv.Itoa(d.Reminders), store.NewOwner()
	claimed, err := h.Store.ClaimDecisionReminder(ctx, d.Team, d.ID, d.Level, nudge, owner, 2*time.Minute)
	if err != nil || !claimed {
		return err
	}
	ch, ts, err := h.post(ctx, channel, slackapi.PostTag("nudge", fmt.Sprintf("%s/%d/%s", d.ID, d.Level, nudge)), opts...)
	if err != nil {
		if rerr := h.Store.ReleaseDecisionReminder(context.WithoutCancel(ctx), d.Team, d.ID, d.Level, nudge, owner); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("post the reminder of %s: %w", d.ID, err)
	}
	m := domain.ReminderDM{Level: d.Level, Approver: nudge, MessageRef: domain.MessageRef{Channel: ch, TS: ts}}
	recorded, err := h.Store.DecisionReminderSent(context.WithoutCancel(ctx), d.Team, d.ID, m, owner)
	if err == nil && !recorded {
		return n.WithdrawReminderDM(ctx, m)
	}
	if latest, gerr := h.Store.GetDecision(ctx, d.Team, d.ID); err == nil && gerr == nil && latest.Version != d.Version {
		return n.UpdateReminderDM(ctx, latest, m) // answered while the nudge was on its way
	}
	return err
}

// nudgeText is the nudge in the thread of d's card for level: still
// waiting while that level may answer, what happened once it may not.
func nudgeText(p *domain.Policy, d *domain.Decision, level int) string {
	what := fmt.Sprintf("%s's %s (`%s`)", slacktext.User(d.Requester), summary(d), d.ID)
	switch {
	case d.State == domain.StateApproved:
		return fmt.Sprintf(":white_check_mark: %s was approved by %s: nothing more is needed here.", what, approversText(d))
	case d.State == domain.StateDeclined:
		return fmt.Sprintf(":no_entry: %s was declined by %s: nothing more is needed here.", what, decisions.DecidedByText(d))
	case d.State != domain.StatePending || d.Level != level:
		return fmt.Sprintf(":arrow_right: %s is now with %s: nothing more is needed here.", what, decisions.LeadersText(p, d, d.Level, "the"))
	}
	return fmt.Sprintf(":bell: %s, %s is still waiting for your answer.",
		slacktext.Mentions(decisions.ApproverIDs(p, d, level)), what)
}

// Changed refreshes the App Home of everyone d concerns.
func (n DecisionNotifier) Changed(ctx context.Context, d *domain.DecisionRecord) {
	n.H.touchDecision(ctx, d)
}
