package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Action IDs of the escalation message's buttons and callback IDs of the
// decision modals.
const (
	ActionApprove   = "decision_approve"
	ActionEscalate  = "decision_escalate"
	ActionDecline   = "decision_decline"
	ViewLogDecision = "decision_log"
	ViewDecline     = "decision_decline_reason"
)

// Limits of user text kept in messages (runes, before escaping).
const (
	maxReasonShown   = 2000
	maxCustomerShown = 150
	historyShown     = 12
)

// mrkdwn returns a mrkdwn text object; verbatim keeps Slack from turning
// words of user text into links or mentions.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// amountText is the amount with its currency, "$900".
func amountText(d *domain.Decision) string { return d.Amount.Format(d.Currency) }

// customerText is the escaped customer, or "" when none was given.
func customerText(d *domain.Decision) string {
	if d.Customer == "" {
		return ""
	}
	return slacktext.EscapeTruncate(d.Customer, maxCustomerShown)
}

// tagsText lists the tags as "#a #b", escaped.
func tagsText(tags []string) string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, "#"+slacktext.EscapeTruncate(t, 60))
	}
	return strings.Join(out, " ")
}

// summary is "*discount* of *$900* for *ACME*", escaped.
func summary(d *domain.Decision) string {
	// Concatenated, not formatted: one string built (every decision's answer).
	if c := customerText(d); c != "" {
		return "*" + slacktext.Escape(d.Activity) + "* of *" + amountText(d) + "* for *" + c + "*"
	}
	return "*" + slacktext.Escape(d.Activity) + "* of *" + amountText(d) + "*"
}

// historyLine renders one history entry: "Brought to the manager by @bob ·
// 10:42 AM CST".
func historyLine(e domain.HistoryEntry, now time.Time, clock ClockFunc) string {
	at := clock(e.At, now)
	by := ""
	if e.Actor != "" {
		by = " by " + decisions.ByText(e.Actor, e.For) // "by @frank for @bob" (a delegate)
	}
	to, from := slacktext.Escape(domain.RoleName(e.To)), slacktext.Escape(domain.RoleName(e.From))
	switch e.Action {
	case "created":
		return fmt.Sprintf("Brought to the %s · %s", to, at)
	case "escalated":
		return fmt.Sprintf("Brought to the %s%s · %s", to, by, at)
	case "timeout":
		return fmt.Sprintf("Moved up to the %s when the %s's time to answer ran out · %s", to, from, at)
	case "reminded":
		return fmt.Sprintf("Reminded the %s · %s", to, at)
	case "away":
		are := "is"
		if strings.Contains(e.Note, ",") {
			are = "are"
		}
		return fmt.Sprintf("Went to the %s while %s %s away · %s", to, e.Note, are, at)
	case "approval":
		return fmt.Sprintf("Approved%s (%s) · %s", by, e.Note, at)
	case "approved":
		return fmt.Sprintf("Approved%s · %s", by, at)
	case "declined":
		return fmt.Sprintf("Declined%s · %s", by, at)
	}
	return fmt.Sprintf("%s%s · %s", e.Action, by, at)
}

// buttonValue encodes what a button acts on: the decision and the level its
// message belongs to.
func buttonValue(id string, level int) string { return fmt.Sprintf("%s|%d", id, level) }

// parseButtonValue is the inverse of buttonValue.
func parseButtonValue(v string) (id string, level int, ok bool) {
	id, l, found := strings.Cut(v, "|")
	if !found || id == "" {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(l, "%d", &level); err != nil {
		return "", 0, false
	}
	return id, level, true
}

// escalationMessage renders the escalation message of d posted for level:
// the decision, the level and its approvers, why it left the box, the
// history, and the buttons while that level may still act on it.
func escalationMessage(p *domain.Policy, d *domain.Decision, level int, now time.Time) (string, []slack.Block) {
	clock := channelClock(p) // a channel post: the policy's zone
	leaders := decisions.LeadersText(p, d, level, "the")
	text := fmt.Sprintf("%s asks for a %s %s above their box: for %s, to answer (%s).",
		slacktext.User(d.Requester), amountText(d), slacktext.Escape(d.Activity), leaders, d.ID)

	// While the card's level may answer, its head says who is asked; once
	// it may not (decided, moved up), only what it is about.
	head := fmt.Sprintf(":raised_hand: %s made a call above their box, for %s, to answer: %s",
		slacktext.User(d.Requester), leaders, summary(d))
	if d.State != domain.StatePending || d.Level != level {
		head = fmt.Sprintf(":raised_hand: %s made a call above their box: %s", slacktext.User(d.Requester), summary(d))
	}
	fields := []*slack.TextBlockObject{
		mrkdwn("*Requester*\n" + slacktext.User(d.Requester)),
		mrkdwn("*Activity*\n" + slacktext.EscapeTruncate(d.Activity, 100)),
		mrkdwn("*Amount*\n" + amountText(d) + " " + strings.ToUpper(d.Currency)),
	}
	if c := customerText(d); c != "" {
		fields = append(fields, mrkdwn("*Customer*\n"+c))
	}
	if len(d.Tags) > 0 {
		fields = append(fields, mrkdwn("*Tags*\n"+tagsText(d.Tags)))
	}
	if d.TeamName != "" {
		fields = append(fields, mrkdwn("*Team*\n"+slacktext.EscapeTruncate(d.TeamName, 100)))
	}
	fields = append(fields, mrkdwn("*Decision*\n`"+d.ID+"`"))

	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(head), nil, nil, slack.SectionBlockOptionBlockID("head")),
		slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID("fields")),
	}
	if d.Reason != "" {
		blocks = append(blocks, slack.NewSectionBlock(
			mrkdwn("*Reason*\n"+slacktext.EscapeTruncate(d.Reason, maxReasonShown)), nil, nil,
			slack.SectionBlockOptionBlockID("reason")))
	}
	if d.Why != "" {
		blocks = append(blocks, slack.NewContextBlock("why", mrkdwn(":arrow_up: Why it's here: "+whyForLeaders(d.Why))))
	}

	var hist []string
	start := 0
	if len(d.History) > historyShown {
		start = len(d.History) - historyShown
	}
	for _, e := range d.History[start:] {
		if e.Action == "approved" || e.Action == "declined" {
			continue // the outcome below says it, once
		}
		hist = append(hist, historyLine(e, now, clock))
	}
	if len(hist) > 0 {
		blocks = append(blocks, slack.NewContextBlock("history", mrkdwn(strings.Join(hist, "\n"))))
	}

	switch {
	case d.State == domain.StateApproved:
		approved := fmt.Sprintf("Approved by %s at %s", approversText(d), clock(d.DecidedAt, now))
		text = fmt.Sprintf("Decision %s: %s.", d.ID, approved)
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(":white_check_mark: *"+approved+"*"), nil, nil, slack.SectionBlockOptionBlockID("outcome")))
	case d.State == domain.StateDeclined:
		declined := fmt.Sprintf("Declined by %s at %s", decisions.DecidedByText(d), clock(d.DecidedAt, now))
		text = fmt.Sprintf("Decision %s: %s.", d.ID, declined)
		msg := ":no_entry: *" + declined + "*"
		if d.DeclineReason != "" {
			msg += "\n" + slacktext.EscapeTruncate(d.DeclineReason, maxReasonShown)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(msg), nil, nil, slack.SectionBlockOptionBlockID("outcome")))
	case d.State == domain.StatePending && d.Level != level:
		// The role, not the names: an old card does not mention the people
		// its next card asks.
		role := slacktext.Escape(domain.RoleName(p.LevelName(d.Level)))
		text = fmt.Sprintf("Decision %s: now with the %s.", d.ID, role)
		blocks = append(blocks, slack.NewContextBlock("moved", mrkdwn(fmt.Sprintf(
			":arrow_right: Now with the *%s*, on a new card: nothing more to do here.", role))))
	case d.State == domain.StatePending:
		if !d.Deadline.IsZero() {
			note := fmt.Sprintf(":hourglass_flowing_sand: Please answer by %s", clock(d.Deadline, now))
			if level < len(p.Levels)-1 {
				note += fmt.Sprintf("; after that it goes to the *%s* on its own.", slacktext.Escape(domain.RoleName(p.LevelName(level+1))))
			} else {
				note += "."
			}
			blocks = append(blocks, slack.NewContextBlock("deadline", mrkdwn(note)))
		}
		if progress := approvalProgress(p, d); progress != "" {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(progress), nil, nil, slack.SectionBlockOptionBlockID("progress")))
		}
		blocks = append(blocks, decisionButtons(p, d, level))
	}
	return text, blocks
}

// approvalProgress is how far a pending d's level is with the approvals it
// needs ("1 of 2 approvals: @bob"); "" when it needs only one.
func approvalProgress(p *domain.Policy, d *domain.Decision) string {
	needed := p.ApprovalsNeeded(d.Level)
	if needed < 2 || d.State != domain.StatePending {
		return ""
	}
	if len(d.Approvals) == 0 {
		return fmt.Sprintf(":ballot_box_with_check: 0 of %d approvals: this needs %d different %ss.", needed, needed, slacktext.Escape(domain.RoleName(d.LevelName)))
	}
	return fmt.Sprintf(":ballot_box_with_check: %d of %d approvals: %s", len(d.Approvals), needed, slacktext.Mentions(d.Approvers()))
}

// approversText names who approved d: its approver, or everyone who
// approved when its level needed several ("@bob and @carol").
func approversText(d *domain.Decision) string {
	if len(d.Approvals) < 2 {
		return decisions.DecidedByText(d) // "@frank for @bob" (a delegate)
	}
	names := make([]string, 0, len(d.Approvals))
	for _, a := range d.Approvals {
		names = append(names, decisions.ByText(a.By, a.For))
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// decisionButtons are Approve, Escalate (below the top level) and Decline.
func decisionButtons(p *domain.Policy, d *domain.Decision, level int) *slack.ActionBlock {
	v := buttonValue(d.ID, level)
	approve := slack.NewButtonBlockElement(ActionApprove, v, plain("Approve")).WithStyle(slack.StylePrimary)
	decline := slack.NewButtonBlockElement(ActionDecline, v, plain("Decline")).WithStyle(slack.StyleDanger)
	decline.Confirm = slack.NewConfirmationBlockObject(
		plain("Decline this decision?"),
		plain("You can add a reason next; I'll tell them by DM."),
		plain("Yes, decline"), plain("Cancel"))
	decline.Confirm.Style = slack.StyleDanger // Slack draws "Yes, decline" red
	elems := []slack.BlockElement{approve}
	if level < len(p.Levels)-1 {
		// The label is exactly "Escalate", as PRODUCT.md names the button;
		// the message itself says which level is next.
		elems = append(elems, slack.NewButtonBlockElement(ActionEscalate, v, plain("Escalate")))
	}
	elems = append(elems, decline)
	return slack.NewActionBlock("actions", elems...)
}

// logReply is the private answer to the person who logged d.
func logReply(p *domain.Policy, d *domain.Decision) *Reply {
	var text string
	switch d.State {
	case domain.StateAutonomous:
		text = ":white_check_mark: Logged `" + d.ID + "`: " + summary(d) +
			". This one was yours to make, and you made it: it's inside your box, so no one needs to sign off. Thanks for taking care of the customer."
	default:
		l := d.Level
		text = fmt.Sprintf(":arrow_up: Logged `%s`: %s. %s, so I've asked %s, in %s. They have %s to answer; I'll DM you as soon as they do.",
			d.ID, summary(d), whyForRequester(d.Why), decisions.LeadersText(p, d, l, "your"),
			channelMention(p.EscalationsChannel(d.TeamName)), policyDurationText(p.RespondWithin(l)))
	}
	text = withUnderstood(text, d) // what was read as customer and reason
	return &Reply{Text: text, Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}}
}

func channelMention(id string) string {
	if id == "" {
		return "the escalations channel"
	}
	return "<#" + id + ">"
}

// outcomeDM is the DM telling the requester what happened to d.
func outcomeDM(p *domain.Policy, d *domain.Decision, e domain.HistoryEntry) string {
	switch e.Action {
	case "approved":
		return fmt.Sprintf(":white_check_mark: %s approved your %s (`%s`). Go ahead: it's yours to carry out.",
			approversText(d), summary(d), d.ID)
	case "declined":
		msg := fmt.Sprintf(":no_entry: %s declined your %s (`%s`).", decisions.DecidedByText(d), summary(d), d.ID)
		if d.DeclineReason != "" {
			msg += "\n*Their reason:* " + slacktext.EscapeTruncate(d.DeclineReason, maxReasonShown)
		} else {
			msg += " No reason was given; ask them if you'd like to talk it through."
		}
		return msg + "\nThanks for asking: bringing a leader in when it's above the box is exactly right."
	case "escalated":
		return fmt.Sprintf(":arrow_up: %s brought in %s, for your %s (`%s`). They have %s to answer; I'll DM you when they do.",
			decisions.ByText(e.Actor, e.For), decisions.LeadersText(p, d, d.Level, "your"), summary(d), d.ID,
			policyDurationText(p.RespondWithin(d.Level)))
	case "timeout":
		return fmt.Sprintf(":hourglass: Your %s (`%s`) waited its time without an answer, so I've brought in %s. They have %s to answer; I'll DM you when they do.",
			summary(d), d.ID, decisions.LeadersText(p, d, d.Level, "your"), policyDurationText(p.RespondWithin(d.Level)))
	}
	return ""
}
