package handlers

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/empowerbot/empowerbot/slackapi"
)

// messagesTabAnswer is what the bot answers in its Messages tab: it does
// not read conversations, so it says what it can do and where.
const messagesTabAnswer = "Hi! :wave: I don't read messages here, but everything I do starts with `/empower`, which you can type right here or in any channel:\n" +
	"• `/empower discount 250 for ACME why` logs a decision: inside your box it's yours to make, above it I bring in the leader who can clear it\n" +
	"• `/empower box` shows your limits, and who approves above them\n" +
	"• `/empower praise @someone what they did` thanks someone in public\n" +
	"• `/empower ask @leader what would help` asks a leader for support\n" +
	"• `/empower help` lists everything\n" +
	"Decisions, approvals and reminders for you arrive here, in this tab; your box and what's waiting for you are on the Home tab."

// MessageIM handles message.im: a person who writes to the bot in its
// Messages tab gets a short, friendly answer with what it can do. The
// bot's own messages, edits and other subtypes are left alone.
func (h *Handlers) MessageIM(ctx context.Context, e *Event) error {
	ev, ok := e.Data.(*slackevents.MessageEvent)
	if !ok || ev.ChannelType != "im" || ev.BotID != "" || ev.SubType != "" || ev.User == "" || ev.User == h.BotUserID {
		return nil
	}
	if strings.TrimSpace(ev.Text) == "" || ev.ThreadTimeStamp != "" && ev.ThreadTimeStamp != ev.TimeStamp {
		return nil
	}
	_, _, err := h.post(ctx, ev.Channel, slackapi.Tag{},
		slack.MsgOptionText(messagesTabAnswer, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, messagesTabAnswer, false, false), nil, nil)))
	return err
}
