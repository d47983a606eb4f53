package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/slacktext"
)

// maxTextShown bounds a commitment's text in lists (runes, before escaping).
const maxTextShown = 300

// commitText is cm's text, escaped and cut for a message.
func commitText(cm *domain.CommitmentRecord) string {
	return slacktext.EscapeTruncate(cm.Text, commitments.MaxText+100)
}

// statusBadge is a status with its emoji.
func statusBadge(status commitments.Status) string {
	switch status {
	case commitments.StatusOverdue:
		return ":red_circle: overdue"
	case commitments.StatusDueSoon:
		return ":large_orange_circle: due soon"
	case commitments.StatusDone:
		return ":white_check_mark: done"
	case commitments.StatusAsked:
		return ":hourglass_flowing_sand: asked"
	case commitments.StatusDeclined:
		return ":no_entry_sign: declined"
	}
	return ":large_blue_circle: open"
}

// dueLine says when cm is due, relative to today: "due Fri Nov 20
// (tomorrow)", "was due Mon Nov 16 (2 days ago)".
func dueLine(cm *domain.CommitmentRecord, today dates.Date) string {
	if cm.Due == "" {
		if cm.AskedDue != "" {
			return "asked for " + commitments.HumanDate(cm.AskedDue, today)
		}
		return "no date"
	}
	due, err := dates.ParseISO(cm.Due)
	if err != nil {
		return "due " + slacktext.Escape(cm.Due)
	}
	n := today.DaysUntil(due)
	switch {
	case n == 0:
		return "due today (" + due.Human(today) + ")"
	case n == 1:
		return "due tomorrow (" + due.Human(today) + ")"
	case n > 1:
		return fmt.Sprintf("due %s (in %d days)", due.Human(today), n)
	case n == -1:
		return "was due yesterday (" + due.Human(today) + ")"
	}
	return fmt.Sprintf("was due %s (%d days ago)", due.Human(today), -n)
}

// askDM is the ask's DM to the leader, with Accept and Decline.
func askDM(cm *domain.CommitmentRecord, today dates.Date) []slack.MsgOption {
	when := "No date given; you pick one when you accept."
	if cm.AskedDue != "" {
		when = "They'd like it by *" + commitments.HumanDate(cm.AskedDue, today) + "*; you can change the date when you accept."
	}
	text := fmt.Sprintf(":raised_hand: %s asks for your support (`%s`):\n>%s\n%s",
		commitTo(cm), cm.ID, commitText(cm), when)
	accept := slack.NewButtonBlockElement(ActionAskAccept, cm.ID, plain("Accept"))
	accept.Style = slack.StylePrimary
	decline := slack.NewButtonBlockElement(ActionAskDecline, cm.ID, plain("Decline"))
	return []slack.MsgOption{
		slack.MsgOptionText(fmt.Sprintf("%s asks for your support: %s", commitTo(cm), slacktext.Truncate(commitText(cm), 2000)), false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(mrkdwn(text), nil, nil),
			slack.NewContextBlock("ask_why", mrkdwn("You work for your people here: accepting makes it a commitment I'll remind you of.")),
			slack.NewActionBlock("ask_actions", accept, decline),
		),
	}
}

// askAnsweredDM is the ask's DM to the leader once answered: no live buttons.
func askAnsweredDM(cm *domain.CommitmentRecord, today dates.Date) []slack.MsgOption {
	var outcome string
	switch cm.State {
	case domain.CommitmentDeclined:
		outcome = ":no_entry_sign: You declined it."
		if cm.DeclineReason != "" {
			outcome += " Your reason: " + slacktext.EscapeTruncate(cm.DeclineReason, commitments.MaxReason+50)
		}
	case domain.CommitmentAsked:
		return askDM(cm, today)
	default:
		outcome = fmt.Sprintf(":handshake: You accepted it: a commitment due *%s*.", commitments.DueText(cm, today))
		if cm.State == domain.CommitmentDone {
			outcome += " Done :white_check_mark:"
		}
	}
	text := fmt.Sprintf("%s asked for your support (`%s`):\n>%s\n%s", commitTo(cm), cm.ID, commitText(cm), outcome)
	return []slack.MsgOption{
		slack.MsgOptionText(slacktext.Truncate(text, 3000), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil)),
	}
}

// reminderButtons are Done and New date for cm.
func reminderButtons(cm *domain.CommitmentRecord) *slack.ActionBlock {
	done := slack.NewButtonBlockElement(ActionCommitmentDone, cm.ID, plain("Done"))
	done.Style = slack.StylePrimary
	newDate := slack.NewButtonBlockElement(ActionCommitmentNewDate, cm.ID, plain("New date"))
	return slack.NewActionBlock("commitment_actions", done, newDate)
}

// ReminderDM is the commitment_reminders DM to the leader of cm.
func ReminderDM(cm *domain.CommitmentRecord, kind domain.ReminderKind, today dates.Date) []slack.MsgOption {
	head := ":alarm_clock: *A commitment is coming due*"
	if kind == domain.ReminderOverdue {
		head = ":hourglass: *A commitment is overdue*"
	}
	text := fmt.Sprintf("%s\nYou committed to %s (`%s`):\n>%s\n%s.", head, commitTo(cm), cm.ID, commitText(cm), dueLine(cm, today))
	note := "They're counting on you. Done when it's done; if the date can't hold, set a new one and I'll tell them."
	return []slack.MsgOption{
		slack.MsgOptionText(fmt.Sprintf("Commitment to %s: %s, %s", commitTo(cm), slacktext.Truncate(commitText(cm), 2000), dueLine(cm, today)), false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(mrkdwn(text), nil, nil),
			slack.NewContextBlock("commitment_note", mrkdwn(note)),
			reminderButtons(cm),
		),
	}
}

// settledLine is one line saying what changed about cm.
func settledLine(cm *domain.CommitmentRecord, today dates.Date) string {
	switch cm.State {
	case domain.CommitmentDone:
		return fmt.Sprintf(":white_check_mark: Your commitment to %s is done (`%s`); I told them. Thank you for keeping your word.", commitTo(cm), cm.ID)
	case domain.CommitmentDeclined:
		return fmt.Sprintf(":no_entry_sign: You declined %s's ask (`%s`); I told them.", commitTo(cm), cm.ID)
	}
	return fmt.Sprintf(":calendar: Your commitment to %s is now due *%s* (`%s`); I told them.", commitTo(cm), commitments.DueText(cm, today), cm.ID)
}

// settledDM replaces a reminder DM once the leader acted: no live buttons.
func settledDM(cm *domain.CommitmentRecord, today dates.Date) []slack.MsgOption {
	var outcome string
	if cm.State == domain.CommitmentDone {
		outcome = ":white_check_mark: Done. I told them; thank you for keeping your word."
	} else {
		outcome = fmt.Sprintf(":calendar: New date: *%s*. I told them, and I'll remind you before then.", commitments.DueText(cm, today))
	}
	text := fmt.Sprintf("Your commitment to %s (`%s`):\n>%s\n%s", commitTo(cm), cm.ID, commitText(cm), outcome)
	return []slack.MsgOption{
		slack.MsgOptionText(slacktext.Truncate(text, 3000), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil)),
	}
}

// Limits of the list: with a header, an actions block under each ask and
// the closed section it stays within Block Kit's 50 blocks.
const (
	listOpenMax   = 20
	listClosedMax = 4
)

// commitmentList renders `/empower commitments` from l: open ones first by
// due date, then the few closed most recently.
func commitmentList(l *commitments.List, loc *time.Location) *Reply {
	today := l.Today
	if len(l.Open) == 0 && len(l.Closed) == 0 {
		text := "No commitments yet. Leaders make them with `/empower commit @person … by <date>`; anyone can ask a leader for support with `/empower ask @leader …`."
		return &Reply{Text: text, Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}}
	}
	head := fmt.Sprintf("*Your commitments* · %d open", len(l.Open))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(head), nil, nil)}
	var lines []string
	item := func(it commitments.Item) {
		cm := it.CommitmentRecord
		var who string
		if cm.Leader == l.User {
			who = "You → " + commitTo(cm)
		} else if cm.ToTeam {
			who = slacktext.User(cm.Leader) + " → your team"
		} else {
			who = slacktext.User(cm.Leader) + " → you"
		}
		text := fmt.Sprintf("%s · %s · `%s`\n%s · %s", statusBadge(it.Status), who, cm.ID,
			slacktext.EscapeTruncate(cm.Text, maxTextShown), dueLine(cm, today))
		if cm.State == domain.CommitmentDone && !cm.ClosedAt.IsZero() {
			text += " · done " + dates.Of(cm.ClosedAt.In(loc)).Human(today)
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", it.Status, cm.ID, slacktext.EscapeTruncate(cm.Text, 100)))
		var acc *slack.Accessory
		if cm.Leader == l.User && cm.State == domain.CommitmentOpen {
			b := slack.NewButtonBlockElement(ActionCommitmentDone, cm.ID, plain("Done"))
			b.Style = slack.StylePrimary
			acc = slack.NewAccessory(b)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, acc))
		if cm.Leader == l.User && cm.State == domain.CommitmentAsked {
			accept := slack.NewButtonBlockElement(ActionAskAccept, cm.ID, plain("Accept"))
			accept.Style = slack.StylePrimary
			decline := slack.NewButtonBlockElement(ActionAskDecline, cm.ID, plain("Decline"))
			blocks = append(blocks, slack.NewActionBlock("", accept, decline))
		}
	}
	for i, it := range l.Open {
		if i == listOpenMax {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more open.", len(l.Open)-listOpenMax))))
			break
		}
		item(it)
	}
	if len(l.Closed) > 0 {
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn("*Recently closed*"), nil, nil))
		for i, it := range l.Closed {
			if i == listClosedMax {
				break
			}
			item(it)
		}
	}
	text := head + "\n" + strings.Join(lines, "\n")
	return &Reply{Text: slacktext.Truncate(text, 3000), Blocks: blocks}
}
