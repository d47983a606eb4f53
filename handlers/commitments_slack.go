package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
)

// CommitmentsSlack is the Slack side of the commitments service: its
// Notifier (DMs, messages updated in place, the list refreshed, the App
// Home) and its Directory (users.info, user groups).
type CommitmentsSlack struct {
	h *Handlers
}

var (
	_ commitments.Notifier  = (*CommitmentsSlack)(nil)
	_ commitments.Directory = (*CommitmentsSlack)(nil)
)

// NewCommitmentsSlack returns the commitments service's Slack side, which
// talks to Slack through h.
func NewCommitmentsSlack(h *Handlers) *CommitmentsSlack { return &CommitmentsSlack{h: h} }

// IsMember reports whether user is one of ids, directly or through a user
// group (see Handlers.IsMember).
func (n *CommitmentsSlack) IsMember(ctx context.Context, team, user string, ids []string) (bool, error) {
	return n.h.IsMember(ctx, team, user, ids)
}

// Person looks user up with users.info; Slack's user_not_found is a person
// who does not exist, any other failure an error.
func (n *CommitmentsSlack) Person(ctx context.Context, _, user string) (commitments.Person, error) {
	u, err := n.h.Slack.GetUserInfoContext(ctx, user)
	if err != nil {
		if slackapi.UserNotFound(err) {
			return commitments.Person{}, nil
		}
		return commitments.Person{}, fmt.Errorf("look up %s: %w", user, err)
	}
	return commitments.Person{Exists: true, Bot: u.IsBot, Deactivated: u.Deleted}, nil
}

// AskLeader DMs the ask to its leader with Accept and Decline, once (dmOnce).
func (n *CommitmentsSlack) AskLeader(ctx context.Context, cm *domain.CommitmentRecord) (domain.MessageRef, error) {
	ch, ts, err := n.h.dmOnce(ctx, cm.Team, cm.Leader, askTag(cm), askDM(cm, n.h.today())...)
	if err != nil {
		return domain.MessageRef{}, err
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// TellEmployee DMs the employee what ev changed about cm.
func (n *CommitmentsSlack) TellEmployee(ctx context.Context, cm *domain.CommitmentRecord, ev domain.Event) error {
	today := n.h.today()
	var text string
	if cm.Source == domain.SourceFeedback {
		return n.tellLoop(ctx, cm, ev)
	}
	switch p := ev.Payload.(type) {
	case domain.CommitmentMadeData:
		if cm.Source != domain.SourceAsk {
			text = fmt.Sprintf(":handshake: %s committed to you: *%s*, by *%s*. I'll remind them before it's due, and tell you when it's done.",
				slacktext.User(cm.Leader), commitText(cm), commitments.DueText(cm, today))
			break
		}
		changed := ""
		if cm.AskedDue != "" && cm.AskedDue != cm.Due {
			changed = fmt.Sprintf(" (you asked for %s)", commitments.HumanDate(cm.AskedDue, today))
		}
		text = fmt.Sprintf(":handshake: %s accepted your ask: *%s*, by *%s*%s. It's their commitment to you now; I'll remind them before it's due.",
			slacktext.User(cm.Leader), commitText(cm), commitments.DueText(cm, today), changed)
	case domain.CommitmentDeclinedData:
		text = fmt.Sprintf(":speech_balloon: %s can't take on your ask: *%s*.", slacktext.User(cm.Leader), commitText(cm))
		if p.Reason != "" {
			text += "\nTheir reason: " + slacktext.EscapeTruncate(p.Reason, commitments.MaxReason+50)
		} else {
			text += " Talk to them about what would work instead."
		}
	case domain.CommitmentDoneData:
		text = fmt.Sprintf(":tada: %s did what they promised: *%s*.", slacktext.User(cm.Leader), commitText(cm))
	case domain.CommitmentRedatedData:
		text = fmt.Sprintf(":calendar: %s set a new date for their commitment to you, *%s*: now *%s* (it was %s).",
			slacktext.User(cm.Leader), commitText(cm), commitments.DueText(cm, today), commitments.HumanDate(ev.From, today))
	default:
		return fmt.Errorf("tell the employee of %s: no words for %s", cm.ID, ev.Type())
	}
	return n.dm(ctx, cm, cm.Employee, ev, text)
}

// tellLoop tells the person (or each of the team) about a commitment made
// with Commit to this: made, done ("You said … — we did …"), a new date.
func (n *CommitmentsSlack) tellLoop(ctx context.Context, cm *domain.CommitmentRecord, ev domain.Event) error {
	today := n.h.today()
	var text string
	switch ev.Payload.(type) {
	case domain.CommitmentMadeData:
		text = loopMadeText(cm, today)
	case domain.CommitmentDoneData:
		text = loopDoneText(cm)
	case domain.CommitmentRedatedData:
		text = fmt.Sprintf(":calendar: %s set a new date for what they committed to after your feedback, *%s*: now *%s* (it was %s).",
			slacktext.User(cm.Leader), commitText(cm), commitments.DueText(cm, today), commitments.HumanDate(ev.From, today))
	default:
		return fmt.Errorf("tell about %s: no words for %s", cm.ID, ev.Type())
	}
	if cm.ToTeam {
		return n.tellTeam(ctx, cm, ev, text)
	}
	return n.dm(ctx, cm, cm.Employee, ev, text)
}

// TellLeader DMs the leader the commitment they made.
func (n *CommitmentsSlack) TellLeader(ctx context.Context, cm *domain.CommitmentRecord, ev domain.Event) error {
	if _, ok := ev.Payload.(domain.CommitmentMadeData); !ok {
		return fmt.Errorf("tell the leader of %s: no words for %s", cm.ID, ev.Type())
	}
	return n.dm(ctx, cm, cm.Leader, ev, fmt.Sprintf(":handshake: You committed to %s: *%s*, by *%s* (`%s`). I'll remind you before it's due; `/empower commitments` lists yours.",
		commitTo(cm), commitText(cm), commitments.DueText(cm, n.h.today()), cm.ID))
}

// dm DMs text to user about ev, a change of cm, as one section, once
// (dmOnce, toldTag).
func (n *CommitmentsSlack) dm(ctx context.Context, cm *domain.CommitmentRecord, user string, ev domain.Event, text string) error {
	_, _, err := n.h.dmOnce(ctx, cm.Team, user, toldTag(cm, user, ev), slack.MsgOptionText(slacktext.Truncate(text, 3000), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(slacktext.Truncate(text, slacktext.SectionTextMax)), nil, nil)))
	return err
}

// ShowAnswered updates the ask's DM to the leader (no live buttons), and
// the leader's list when they answered from it.
func (n *CommitmentsSlack) ShowAnswered(ctx context.Context, cm *domain.CommitmentRecord, at commitments.Origin) {
	w, _ := at.(where)
	ch, ts := w.Channel, w.TS
	if w.Container == "ephemeral" && w.ResponseURL != "" {
		n.refreshList(ctx, cm, w)
	}
	if w.Container != "message" || ch == "" || ts == "" {
		ch, ts = cm.AskDM.Channel, cm.AskDM.TS
	}
	if ch == "" || ts == "" {
		return
	}
	if _, _, _, err := n.h.Slack.UpdateMessageContext(ctx, ch, ts, askAnsweredDM(cm, n.h.today())...); err != nil {
		n.h.Log.Warn("could not update the ask's DM", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
	}
}

// ShowSettled shows the leader the change where they clicked: the reminder
// DM is updated in place (no live buttons), the list is refreshed; the App
// Home refreshes through Changed. Every other reminder DM of reminders is
// updated the same way, wherever the change was made.
func (n *CommitmentsSlack) ShowSettled(ctx context.Context, cm *domain.CommitmentRecord, at commitments.Origin, reminders []domain.MessageRef) {
	w, _ := at.(where)
	var clicked domain.MessageRef
	switch {
	case w.Container == "ephemeral" && w.ResponseURL != "":
		n.refreshList(ctx, cm, w)
	case w.Container == "message" && w.Channel != "" && w.TS != "":
		clicked = domain.MessageRef{Channel: w.Channel, TS: w.TS}
		n.settleReminder(ctx, cm, clicked)
	}
	for _, dm := range reminders {
		if dm != clicked && !dm.IsZero() {
			n.settleReminder(ctx, cm, dm)
		}
	}
}

// settleReminder updates reminder DM dm of cm to say what became of it,
// without buttons (the Web API client retries a failed chat.update).
func (n *CommitmentsSlack) settleReminder(ctx context.Context, cm *domain.CommitmentRecord, dm domain.MessageRef) {
	if _, _, _, err := n.h.Slack.UpdateMessageContext(ctx, dm.Channel, dm.TS, settledDM(cm, n.h.today())...); err != nil {
		n.h.Log.Warn("could not update the reminder DM", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
	}
}

// refreshList replaces the leader's `/empower commitments` list, where they
// clicked, with the current one.
func (n *CommitmentsSlack) refreshList(ctx context.Context, cm *domain.CommitmentRecord, w where) {
	r, err := n.h.commitmentsReply(ctx, cm.Team, cm.Leader)
	if err != nil {
		n.h.Log.Warn("could not refresh the commitments list", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
		return
	}
	wm := &slack.WebhookMessage{Text: r.Text, ReplaceOriginal: true, Blocks: &slack.Blocks{BlockSet: r.Blocks}}
	if err = slack.PostWebhookContext(ctx, w.ResponseURL, wm); err == nil {
		return
	}
	n.h.Log.Warn("could not refresh the commitments list", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
	// An old list (its response_url expired): say it in a new line.
	if w.Channel != "" {
		if _, err := n.h.Slack.PostEphemeralContext(ctx, w.Channel, cm.Leader, slack.MsgOptionText(settledLine(cm, n.h.today()), false)); err != nil {
			n.h.Log.Warn("could not confirm a commitment change", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
		}
	}
}

// Remind DMs the leader the reminder of cm, with Done and New date, and
// returns the DM.
func (n *CommitmentsSlack) Remind(ctx context.Context, cm *domain.CommitmentRecord, kind domain.ReminderKind, today dates.Date) (domain.MessageRef, error) {
	ch, ts, err := n.h.DM(ctx, cm.Team, cm.Leader, ReminderDM(cm, kind, today)...)
	if err != nil {
		return domain.MessageRef{}, err
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// Changed refreshes the App Home of both sides of cm.
func (n *CommitmentsSlack) Changed(ctx context.Context, cm *domain.CommitmentRecord) {
	n.h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
}
