package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
)

// DM sends a direct message from the bot to user and returns its channel and
// timestamp. The DM channel is opened with conversations.open once per
// person and cached in Redis; when the cache cannot be read the channel is
// opened anyway, so a Redis hiccup never loses a DM.
func (h *Handlers) DM(ctx context.Context, team, user string, opts ...slack.MsgOption) (channel, ts string, err error) {
	channel, err = h.DMChannel(ctx, team, user)
	if err != nil {
		return "", "", err
	}
	_, ts, err = h.Slack.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return channel, "", fmt.Errorf("dm %s: %w", user, err)
	}
	return channel, ts, nil
}

// DMChannel returns the ID of the bot's DM channel with user, opening it
// (conversations.open) only when it is not cached yet.
func (h *Handlers) DMChannel(ctx context.Context, team, user string) (string, error) {
	if ch, err := h.Store.DMChannel(ctx, team, user); err == nil && ch != "" {
		return ch, nil
	} else if err != nil {
		h.Log.Warn("dm channel cache unavailable", "team", team, "user", user, "error", err.Error())
	}
	c, _, _, err := h.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", fmt.Errorf("open dm with %s: %w", user, err)
	}
	if err := h.Store.SetDMChannel(ctx, team, user, c.ID); err != nil {
		h.Log.Warn("could not cache dm channel", "team", team, "user", user, "error", err.Error())
	}
	return c.ID, nil
}
