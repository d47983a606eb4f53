package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slackapi"
)

// dmSender returns a function that DMs msg to one of people and returns the
// DM's channel and timestamp: the sender of a fan-out. The DM channels of
// people are read from the cache up front (one Redis round trip per 1,000
// people). A person without one is sent the message with their user ID as
// the channel, which Slack delivers to the bot's DM with them and answers
// with the DM channel's ID, cached then: a fan-out never waits on
// conversations.open (Tier 3, 50 a minute).
func (h *Handlers) dmSender(ctx context.Context, team string, people []string, msg []slack.MsgOption) func(ctx context.Context, person string) (string, string, error) {
	return h.dmSenderEach(ctx, team, people, func(string) []slack.MsgOption { return msg })
}

// dmSenderEach is dmSender for a message of each person's own (msgFor).
func (h *Handlers) dmSenderEach(ctx context.Context, team string, people []string, msgFor func(person string) []slack.MsgOption) func(ctx context.Context, person string) (string, string, error) {
	channels, err := h.Store.DMChannels(ctx, team, people)
	if err != nil {
		h.Log.Warn("dm channel cache unavailable for a fan-out", "error", err.Error())
		channels = nil
	}
	return func(ctx context.Context, person string) (string, string, error) {
		cached := channels[person]
		target := cached
		if target == "" {
			target = person
		}
		msg := msgFor(person)
		ch, ts, err := h.Slack.PostMessageContext(ctx, target, msg...)
		if cached == "" && slackapi.Code(err) == "channel_not_found" {
			// The user ID was not taken as a channel: open the DM the
			// usual way (conversations.open, cached) and send again.
			if target, err = h.DMChannel(ctx, team, person); err == nil {
				cached = target
				ch, ts, err = h.Slack.PostMessageContext(ctx, target, msg...)
			}
		}
		if err != nil {
			return "", "", fmt.Errorf("dm: %w", err)
		}
		if cached == "" && ch != "" {
			if err := h.Store.SetDMChannel(ctx, team, person, ch); err != nil {
				h.Log.Warn("could not cache a dm channel", "error", err.Error())
			}
		}
		return ch, ts, nil
	}
}
