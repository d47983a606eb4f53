package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/slacktext"
)

// The reminder DMs of a level's approvers (PRODUCT.md "Reminder before the
// move up"): the card's content and buttons (same action IDs and values, so
// a click there is a click on the card), under a head that speaks to the
// approver. UpdateCards keeps them in line with the cards.

var (
	_ decisions.ReminderNotifier = DecisionNotifier{}
	_ decisions.AwayDirectory    = (*Handlers)(nil)
)

// AwayAt returns the leaders away at t (the away service), so that the
// decisions service reminds none of them.
func (h *Handlers) AwayAt(ctx context.Context, team string, t time.Time) (domain.Absences, error) {
	if h.Away == nil {
		return nil, nil
	}
	as, err := h.Away.Absences(ctx, team, t)
	if err != nil {
		return nil, fmt.Errorf("leaders away: %w", err)
	}
	return as, nil
}

// SendReminderDM DMs approver the reminder that d waits for them.
func (n DecisionNotifier) SendReminderDM(ctx context.Context, d *domain.DecisionRecord, approver string) (domain.MessageRef, error) {
	h := n.H
	text, blocks := reminderMessage(h.policy(), &d.Decision, d.Level, h.Clock.Now())
	ch, ts, err := h.DM(ctx, d.Team, approver, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return domain.MessageRef{}, fmt.Errorf("send the reminder of %s: %w", d.ID, err)
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// UpdateReminderDM renders reminder DM m of d anew with chat.update (or
// the nudge in its card's thread, which is recorded beside them).
func (n DecisionNotifier) UpdateReminderDM(ctx context.Context, d *domain.DecisionRecord, m domain.ReminderDM) error {
	h := n.H
	text, blocks := reminderMessage(h.policy(), &d.Decision, m.Level, h.Clock.Now())
	if strings.HasPrefix(m.Approver, threadNudge) {
		text = nudgeText(h.policy(), &d.Decision, m.Level)
		blocks = []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	}
	if _, _, _, err := h.Slack.UpdateMessageContext(ctx, m.Channel, m.TS,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("update the reminder of %s to %s: %w", d.ID, m.Approver, err)
	}
	return nil
}

// WithdrawReminderDM deletes a duplicate reminder DM with chat.delete.
func (n DecisionNotifier) WithdrawReminderDM(ctx context.Context, m domain.ReminderDM) error {
	if _, _, err := n.H.Slack.DeleteMessageContext(ctx, m.Channel, m.TS); err != nil {
		return fmt.Errorf("delete reminder %s in %s: %w", m.TS, m.Channel, err)
	}
	return nil
}

// updateReminderDMs brings every reminder DM of d in line with its state,
// as UpdateCards does the cards. It reads which DMs there are from the
// store, not from d: a DM recorded after d was read is then updated here,
// or by its sender, which reads d after recording it.
func (n DecisionNotifier) updateReminderDMs(ctx context.Context, d *domain.DecisionRecord) error {
	dms, err := n.H.Store.DecisionReminderDMs(ctx, d.Team, d.ID)
	if err != nil {
		n.H.Log.Warn("could not read the reminder DMs; updating the ones known", "team", d.Team, "decision", d.ID, "error", err.Error())
		dms = d.ReminderDMs
	}
	var errs []error
	for _, m := range dms {
		errs = append(errs, n.UpdateReminderDM(ctx, d, m))
	}
	return errors.Join(errs...)
}

// reminderMessage renders the reminder DM about d sent for level: the
// escalation card of that level with a head for the approver, and, once
// the level may no longer act, what happened instead of the buttons.
func reminderMessage(p *domain.Policy, d *domain.Decision, level int, now time.Time) (string, []slack.Block) {
	text, blocks := escalationMessage(p, d, level, now)
	role := slacktext.Escape(domain.RoleName(p.LevelName(level)))
	who := fmt.Sprintf("%s's %s (`%s`)", slacktext.User(d.Requester), summary(d), d.ID)
	var head string
	switch {
	case d.State == domain.StatePending && d.Level == level:
		head = fmt.Sprintf(":bell: Still waiting for you: %s is above their box, and yours to answer as %s. Whatever you decide, they'll hear from me right away.", who, role)
		text = fmt.Sprintf("Still waiting for you: %s's %s %s, above their box (%s).",
			slacktext.User(d.Requester), amountText(d), slacktext.Escape(d.Activity), d.ID)
	case d.State == domain.StatePending:
		head = fmt.Sprintf(":bell: No longer waiting for you: %s has moved up.", who)
	default:
		head = fmt.Sprintf(":bell: No longer waiting for you: %s has its answer.", who)
	}
	for i, b := range blocks {
		sb, ok := b.(*slack.SectionBlock)
		if ok && sb.BlockID == "head" {
			blocks[i] = slack.NewSectionBlock(mrkdwn(head), nil, nil, slack.SectionBlockOptionBlockID("head"))
		}
		cb, ok := b.(*slack.ContextBlock)
		if ok && cb.BlockID == "moved" {
			blocks[i] = slack.NewContextBlock("moved", mrkdwn(fmt.Sprintf(
				":arrow_right: Now with the *%s*, so nothing more is needed from you here.", slacktext.Escape(domain.RoleName(p.LevelName(d.Level))))))
		}
	}
	return text, blocks
}
