package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Praise by reaction (PRODUCT.md "Praise by reaction"): with
// praise.reaction set, reacting with that emoji to a person's message in a
// public channel the bot is in praises them from the one who reacted. Here
// the event is read and the channel checked; the rules (no self-praise, no
// bots, the daily limit, once per reactor and message) are
// recognition.Service's. Removing the reaction takes nothing back, so
// reaction_removed is not even subscribed to.

// ReactionAdded handles reaction_added.
func (h *Handlers) ReactionAdded(ctx context.Context, e *Event) error {
	ev, ok := e.Data.(*slackevents.ReactionAddedEvent)
	if !ok || ev.Item.Type != "message" || ev.User == "" || ev.ItemUser == "" || !h.Recognition.IsPraiseReaction(ev.Reaction) {
		return nil
	}
	ch := ev.Item.Channel
	// What can never praise is left before any call: a DM (conversations.info
	// of one needs im:read, which the bot does not ask for), one's own
	// message, the bot's.
	if strings.HasPrefix(ch, "D") || ev.User == ev.ItemUser || ev.ItemUser == h.BotUserID {
		return nil
	}
	public, err := h.publicWithBot(ctx, ch)
	if err != nil || !public {
		return err
	}
	p := domain.PraiseGiven{Team: e.TeamID, Giver: ev.User, To: ev.ItemUser,
		Reacted: &domain.ReactedMessage{Channel: ch, TS: ev.Item.Timestamp, Reaction: ev.Reaction}}
	_, err = h.Recognition.PraiseByReaction(ctx, p)
	if domain.ErrorCode(err) != domain.Forbidden {
		return err
	}
	// Past the daily limit: only the one who reacted is told, where they
	// reacted.
	if _, perr := h.Slack.PostEphemeralContext(ctx, ch, ev.User, slack.MsgOptionText(domain.ErrorMessage(err), false)); perr != nil {
		return fmt.Errorf("tell the reactor about the daily limit: %w", perr)
	}
	return nil
}

// publicWithBot reports whether channel is a public channel the bot is a
// member of (conversations.info). Slack delivers no reaction from a
// channel the bot is not in; this holds when it would.
func (h *Handlers) publicWithBot(ctx context.Context, channel string) (bool, error) {
	c, err := h.Slack.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	if err != nil {
		return false, fmt.Errorf("conversations.info %s: %w", channel, err)
	}
	return c.IsChannel && !c.IsPrivate && !c.IsIM && !c.IsMpIM && c.IsMember, nil
}

// reactedLink fills r.Permalink from chat.getPermalink once, for the post
// and the DM of one praise.
func (h *Handlers) reactedLink(ctx context.Context, r *domain.ReactedMessage) error {
	if r.Permalink != "" {
		return nil
	}
	link, err := h.Slack.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: r.Channel, Ts: r.TS})
	if err != nil {
		return fmt.Errorf("permalink of the reacted message: %w", err)
	}
	r.Permalink = link
	return nil
}

// reactionPraisePost is the public post of praise given by reaction: who
// praised whom, and a link to the message.
func reactionPraisePost(p domain.PraiseGiven) (string, []slack.Block) {
	r := p.Reacted
	text := fmt.Sprintf("%s praised %s for a message in %s", slacktext.User(p.Giver), slacktext.User(p.To), channelMention(r.Channel))
	body := fmt.Sprintf(":clap: *%s praises %s* for <%s|this message> in %s", slacktext.User(p.Giver), slacktext.User(p.To),
		r.Permalink, channelMention(r.Channel))
	return text, []slack.Block{
		slack.NewSectionBlock(mrkdwn(body), nil, nil),
		slack.NewContextBlock("praise_reaction", mrkdwn(fmt.Sprintf("Given with a :%s: reaction", r.Reaction))),
	}
}

// reactionPraiseDM tells the person praised by reaction.
func reactionPraiseDM(p domain.PraiseGiven, praise string) (string, string) {
	r := p.Reacted
	return slacktext.User(p.Giver) + " praised you in " + channelMention(praise),
		fmt.Sprintf(":clap: %s praised you in %s for <%s|your message> in %s.", slacktext.User(p.Giver), channelMention(praise),
			r.Permalink, channelMention(r.Channel))
}
