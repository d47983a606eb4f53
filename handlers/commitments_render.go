package handlers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/store"
)

// Statuses of a commitment, as people see them.
const (
	StatusAsked    = "asked"
	StatusOpen     = "open"
	StatusDueSoon  = "due soon"
	StatusOverdue  = "overdue"
	StatusDone     = "done"
	StatusDeclined = "declined"
)

// maxTextShown bounds a commitment's text in lists (runes, before escaping).
const maxTextShown = 300

// commitText is cm's text, escaped and cut for a message.
func commitText(cm *store.CommitmentRecord) string {
	return slacktext.EscapeTruncate(cm.Text, maxCommitText+100)
}

// humanDate shows a "2006-01-02" date for people ("Fri Nov 20").
func humanDate(s string, today dates.Date) string {
	d, err := dates.ParseISO(s)
	if err != nil {
		return slacktext.Escape(s)
	}
	return d.Human(today)
}

// dueText is cm's due date for people, "" when it has none.
func dueText(cm *store.CommitmentRecord, today dates.Date) string {
	if cm.Due == "" {
		return ""
	}
	return humanDate(cm.Due, today)
}

// CommitmentStatus returns cm's status at now: open, due soon (its due date
// starts within remindBefore, or is today), overdue (its due date has
// passed), done, asked or declined.
func CommitmentStatus(cm *store.CommitmentRecord, now time.Time, loc *time.Location, remindBefore time.Duration) string {
	switch cm.State {
	case domain.CommitmentDone:
		return StatusDone
	case domain.CommitmentDeclined:
		return StatusDeclined
	case domain.CommitmentAsked:
		return StatusAsked
	}
	due, err := dates.ParseISO(cm.Due)
	if err != nil {
		return StatusOpen
	}
	today := dates.Of(now.In(loc))
	switch {
	case due.Before(today):
		return StatusOverdue
	case !due.After(today) || !due.In(loc).After(now.Add(remindBefore)):
		return StatusDueSoon
	}
	return StatusOpen
}

// statusBadge is a status with its emoji.
func statusBadge(status string) string {
	switch status {
	case StatusOverdue:
		return ":red_circle: overdue"
	case StatusDueSoon:
		return ":large_orange_circle: due soon"
	case StatusDone:
		return ":white_check_mark: done"
	case StatusAsked:
		return ":hourglass_flowing_sand: asked"
	case StatusDeclined:
		return ":no_entry_sign: declined"
	}
	return ":large_blue_circle: open"
}

// dueLine says when cm is due, relative to today: "due Fri Nov 20
// (tomorrow)", "was due Mon Nov 16 (2 days ago)".
func dueLine(cm *store.CommitmentRecord, today dates.Date) string {
	if cm.Due == "" {
		if cm.AskedDue != "" {
			return "asked for " + humanDate(cm.AskedDue, today)
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
func askDM(cm *store.CommitmentRecord, today dates.Date) []slack.MsgOption {
	when := "No date given; you pick one when you accept."
	if cm.AskedDue != "" {
		when = "They'd like it by *" + humanDate(cm.AskedDue, today) + "*; you can change the date when you accept."
	}
	text := fmt.Sprintf(":raised_hand: %s asks for your support (`%s`):\n>%s\n%s",
		slacktext.User(cm.Employee), cm.ID, commitText(cm), when)
	accept := slack.NewButtonBlockElement(ActionAskAccept, cm.ID, plain("Accept"))
	accept.Style = slack.StylePrimary
	decline := slack.NewButtonBlockElement(ActionAskDecline, cm.ID, plain("Decline"))
	return []slack.MsgOption{
		slack.MsgOptionText(fmt.Sprintf("%s asks for your support: %s", slacktext.User(cm.Employee), slacktext.Truncate(commitText(cm), 2000)), false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(mrkdwn(text), nil, nil),
			slack.NewContextBlock("ask_why", mrkdwn("You work for your people here: accepting makes it a commitment I'll remind you of.")),
			slack.NewActionBlock("ask_actions", accept, decline),
		),
	}
}

// askAnsweredDM is the ask's DM to the leader once answered: no live buttons.
func askAnsweredDM(cm *store.CommitmentRecord, today dates.Date) []slack.MsgOption {
	var outcome string
	switch cm.State {
	case domain.CommitmentDeclined:
		outcome = ":no_entry_sign: You declined it."
		if cm.DeclineReason != "" {
			outcome += " Your reason: " + slacktext.EscapeTruncate(cm.DeclineReason, maxWhyText+50)
		}
	case domain.CommitmentAsked:
		return askDM(cm, today)
	default:
		outcome = fmt.Sprintf(":handshake: You accepted it: a commitment due *%s*.", dueText(cm, today))
		if cm.State == domain.CommitmentDone {
			outcome += " Done :white_check_mark:"
		}
	}
	text := fmt.Sprintf("%s asked for your support (`%s`):\n>%s\n%s", slacktext.User(cm.Employee), cm.ID, commitText(cm), outcome)
	return []slack.MsgOption{
		slack.MsgOptionText(slacktext.Truncate(text, 3000), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil)),
	}
}

// reminderButtons are Done and New date for cm.
func reminderButtons(cm *store.CommitmentRecord) *slack.ActionBlock {
	done := slack.NewButtonBlockElement(ActionCommitmentDone, cm.ID, plain("Done"))
	done.Style = slack.StylePrimary
	newDate := slack.NewButtonBlockElement(ActionCommitmentNewDate, cm.ID, plain("New date"))
	return slack.NewActionBlock("commitment_actions", done, newDate)
}

// ReminderDM is the commitment_reminders DM to the leader of cm.
func ReminderDM(cm *store.CommitmentRecord, kind string, today dates.Date) []slack.MsgOption {
	head := ":alarm_clock: *A commitment is coming due*"
	if kind == store.ReminderOverdue {
		head = ":warning: *A commitment is overdue*"
	}
	text := fmt.Sprintf("%s\nYou committed to %s (`%s`):\n>%s\n%s.", head, slacktext.User(cm.Employee), cm.ID, commitText(cm), dueLine(cm, today))
	note := "They're counting on you. Done when it's done; if the date can't hold, set a new one and I'll tell them."
	return []slack.MsgOption{
		slack.MsgOptionText(fmt.Sprintf("Commitment to %s: %s, %s", slacktext.User(cm.Employee), slacktext.Truncate(commitText(cm), 2000), dueLine(cm, today)), false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(mrkdwn(text), nil, nil),
			slack.NewContextBlock("commitment_note", mrkdwn(note)),
			reminderButtons(cm),
		),
	}
}

// settledLine is one line saying what changed about cm.
func settledLine(cm *store.CommitmentRecord, today dates.Date) string {
	switch cm.State {
	case domain.CommitmentDone:
		return fmt.Sprintf(":white_check_mark: `%s` is done; I told %s.", cm.ID, slacktext.User(cm.Employee))
	case domain.CommitmentDeclined:
		return fmt.Sprintf(":no_entry_sign: You declined `%s`; I told %s.", cm.ID, slacktext.User(cm.Employee))
	}
	return fmt.Sprintf(":calendar: `%s` is now due *%s*; I told %s.", cm.ID, dueText(cm, today), slacktext.User(cm.Employee))
}

// settledDM replaces a reminder DM once the leader acted: no live buttons.
func settledDM(cm *store.CommitmentRecord, today dates.Date) []slack.MsgOption {
	var outcome string
	if cm.State == domain.CommitmentDone {
		outcome = ":white_check_mark: Done. I told them; thank you for keeping your word."
	} else {
		outcome = fmt.Sprintf(":calendar: New date: *%s*. I told them, and I'll remind you before then.", dueText(cm, today))
	}
	text := fmt.Sprintf("Your commitment to %s (`%s`):\n>%s\n%s", slacktext.User(cm.Employee), cm.ID, commitText(cm), outcome)
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

// commitmentList renders `/empower commitments` for user: open ones first by
// due date, then the few closed most recently.
func commitmentList(user string, byMe, toMe []*store.CommitmentRecord, now time.Time, loc *time.Location, remindBefore time.Duration) *Reply {
	today := dates.Of(now.In(loc))
	var open, closed []*store.CommitmentRecord
	seen := map[string]bool{}
	for _, cm := range append(append([]*store.CommitmentRecord{}, byMe...), toMe...) {
		if seen[cm.ID] {
			continue
		}
		seen[cm.ID] = true
		switch cm.State {
		case domain.CommitmentOpen, domain.CommitmentAsked:
			open = append(open, cm)
		default:
			closed = append(closed, cm)
		}
	}
	dueKey := func(cm *store.CommitmentRecord) string {
		switch {
		case cm.Due != "":
			return cm.Due
		case cm.AskedDue != "":
			return cm.AskedDue + "~" // asks after commitments of the same date
		}
		return "9999"
	}
	sort.SliceStable(open, func(i, j int) bool {
		ki, kj := dueKey(open[i]), dueKey(open[j])
		if ki != kj {
			return ki < kj
		}
		return open[i].CreatedAt.Before(open[j].CreatedAt)
	})
	sort.SliceStable(closed, func(i, j int) bool { return closed[i].ClosedAt.After(closed[j].ClosedAt) })
	if len(open) == 0 && len(closed) == 0 {
		text := "No commitments yet. Leaders make them with `/empower commit @person … by <date>`; anyone can ask a leader for support with `/empower ask @leader …`."
		return &Reply{Text: text, Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}}
	}
	head := fmt.Sprintf("*Your commitments* · %d open", len(open))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(head), nil, nil)}
	var lines []string
	item := func(cm *store.CommitmentRecord) {
		status := CommitmentStatus(cm, now, loc, remindBefore)
		var who string
		if cm.Leader == user {
			who = "You → " + slacktext.User(cm.Employee)
		} else {
			who = slacktext.User(cm.Leader) + " → you"
		}
		text := fmt.Sprintf("%s · %s · `%s`\n%s · %s", statusBadge(status), who, cm.ID,
			slacktext.EscapeTruncate(cm.Text, maxTextShown), dueLine(cm, today))
		if cm.State == domain.CommitmentDone && !cm.ClosedAt.IsZero() {
			text += " · done " + dates.Of(cm.ClosedAt.In(loc)).Human(today)
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", status, cm.ID, slacktext.EscapeTruncate(cm.Text, 100)))
		var acc *slack.Accessory
		if cm.Leader == user && cm.State == domain.CommitmentOpen {
			b := slack.NewButtonBlockElement(ActionCommitmentDone, cm.ID, plain("Done"))
			b.Style = slack.StylePrimary
			acc = slack.NewAccessory(b)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, acc))
		if cm.Leader == user && cm.State == domain.CommitmentAsked {
			accept := slack.NewButtonBlockElement(ActionAskAccept, cm.ID, plain("Accept"))
			accept.Style = slack.StylePrimary
			decline := slack.NewButtonBlockElement(ActionAskDecline, cm.ID, plain("Decline"))
			blocks = append(blocks, slack.NewActionBlock("", accept, decline))
		}
	}
	for i, cm := range open {
		if i == listOpenMax {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more open.", len(open)-listOpenMax))))
			break
		}
		item(cm)
	}
	if len(closed) > 0 {
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn("*Recently closed*"), nil, nil))
		for i, cm := range closed {
			if i == listClosedMax {
				break
			}
			item(cm)
		}
	}
	text := head + "\n" + strings.Join(lines, "\n")
	return &Reply{Text: slacktext.Truncate(text, 3000), Blocks: blocks}
}
