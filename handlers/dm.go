package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/store"
)

// DM sends a direct message from the bot to user and returns its channel and
// timestamp. The DM channel is opened with conversations.open once per
// person and cached in Redis; when the cache cannot be read the channel is
// opened anyway, so a Redis hiccup never loses a DM. It is posted once
// across Slack's 5xx answers and timeouts (post).
func (h *Handlers) DM(ctx context.Context, team, user string, opts ...slack.MsgOption) (channel, ts string, err error) {
	return h.DMTagged(ctx, team, user, slackapi.Tag{}, opts...)
}

// DMTagged is DM for a message tag names (slackapi.PostTag); the zero Tag
// is a fresh one.
func (h *Handlers) DMTagged(ctx context.Context, team, user string, tag slackapi.Tag, opts ...slack.MsgOption) (channel, ts string, err error) {
	channel, err = h.DMChannel(ctx, team, user)
	if err != nil {
		return "", "", err
	}
	_, ts, err = h.post(ctx, channel, tag, opts...)
	if err != nil {
		return channel, "", fmt.Errorf("dm %s: %w", user, err)
	}
	return channel, ts, nil
}

// Poster posts the bot's messages exactly once (slackapi.Poster): nil
// Posts in Handlers means one with the defaults over Slack.
func (h *Handlers) poster() *slackapi.Poster {
	if h.Posts != nil {
		return h.Posts
	}
	return &slackapi.Poster{API: h.Slack, BotUserID: h.BotUserID, Log: h.Log}
}

// post posts opts to channel, tagged with tag (zero: a fresh one), once
// across Slack's 5xx answers and timeouts: after one, the channel's history
// tells whether it was posted before it is posted again.
func (h *Handlers) post(ctx context.Context, channel string, tag slackapi.Tag, opts ...slack.MsgOption) (string, string, error) {
	return h.poster().Post(ctx, channel, tag, opts...)
}

// dmOpenWait is how long a replica waits for another one that is opening
// the same DM channel before it opens the channel itself.
const dmOpenWait = 3 * time.Second

// DMChannel returns the ID of the bot's DM channel with user, opening it
// (conversations.open) only when it is not cached yet: once per person,
// even when several DMs to a new person go out at once, here or on other
// replicas.
func (h *Handlers) DMChannel(ctx context.Context, team, user string) (string, error) {
	if ch, err := h.Store.DMChannel(ctx, team, user); err == nil && ch != "" {
		return ch, nil
	} else if err != nil {
		h.Log.Warn("dm channel cache unavailable", "team", team, "user", user, "error", err.Error())
		return h.openDM(ctx, team, user)
	}
	ch, err, _ := h.dmOpens.Do(team+"/"+user, func() (any, error) {
		return h.openDMOnce(ctx, team, user)
	})
	if err != nil {
		return "", err
	}
	return ch.(string), nil
}

// openDMOnce opens the DM channel unless another replica is opening it, in
// which case it waits for that one's result (and opens it itself when none
// comes in time).
func (h *Handlers) openDMOnce(ctx context.Context, team, user string) (string, error) {
	owner := store.NewOwner()
	st, ch, err := h.Store.ClaimDMOpen(ctx, team, user, owner, dmOpenWait)
	switch {
	case err != nil:
		return h.openDM(ctx, team, user)
	case st == store.LeaseClaimed:
		return h.openClaimedDM(ctx, team, user, owner)
	case st == store.LeaseDone && ch != "":
		return ch, nil
	}
	deadline := time.NewTimer(dmOpenWait)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("open dm with %s: %w", user, ctx.Err())
		case <-deadline.C:
			return h.openDM(ctx, team, user)
		case <-poll.C:
			if ch, err := h.Store.DMChannel(ctx, team, user); err == nil && ch != "" {
				return ch, nil
			}
		}
	}
}

// openClaimedDM calls conversations.open under owner's claim, then caches
// the channel and ends the claim in one step.
func (h *Handlers) openClaimedDM(ctx context.Context, team, user, owner string) (string, error) {
	c, _, _, err := h.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		if rerr := h.Store.ReleaseDMOpen(context.WithoutCancel(ctx), team, user, owner); rerr != nil {
			h.Log.Warn("could not release the dm open claim", "team", team, "user", user, "error", rerr.Error())
		}
		return "", fmt.Errorf("open dm with %s: %w", user, err)
	}
	if err := h.Store.DMOpened(ctx, team, user, owner, c.ID); err != nil {
		h.Log.Warn("could not cache dm channel", "team", team, "user", user, "error", err.Error())
	}
	return c.ID, nil
}

// openDM calls conversations.open and caches the channel.
func (h *Handlers) openDM(ctx context.Context, team, user string) (string, error) {
	c, _, _, err := h.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", fmt.Errorf("open dm with %s: %w", user, err)
	}
	if err := h.Store.SetDMChannel(ctx, team, user, c.ID); err != nil {
		h.Log.Warn("could not cache dm channel", "team", team, "user", user, "error", err.Error())
	}
	return c.ID, nil
}
