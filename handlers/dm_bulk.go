package handlers

import (
	"context"
	"fmt"
	"time"

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

// FanoutEventType is the message metadata event_type of every fan-out DM;
// its event_payload names the fan-out's job and run ({"job": "feedback",
// "run": "<round ID>"}), so that FindFanoutDM can tell whether the DM of a
// run already reached a person (exactly one DM per run across crashes).
const FanoutEventType = "empowerbot_round"

// FanoutMetadata tags a fan-out DM of (job, run).
func FanoutMetadata(job, run string) slack.MsgOption {
	return fanoutTag(job, run).Option()
}

// fanoutTag names the fan-out DM of (job, run).
func fanoutTag(job, run string) slackapi.Tag {
	return slackapi.Tag{EventType: FanoutEventType, Payload: map[string]string{"job": job, "run": run}}
}

// fanoutHistoryPages bounds how many pages of a DM's history
// FindFanoutDM reads (200 messages each).
const fanoutHistoryPages = 5

// FindFanoutDM looks in person's DM with the bot for the fan-out DM of
// (job, run) sent at or after since (jobs.Finder): it reads the DM's
// history (conversations.history with include_all_metadata, which needs
// im:history) newest first, as every post of the bot's is looked for
// (slackapi.Poster.Find), for the bot's message tagged with
// FanoutMetadata(job, run).
func (h *Handlers) FindFanoutDM(ctx context.Context, team, job, run, person string, since time.Time) (string, string, bool, error) {
	ch, err := h.DMChannel(ctx, team, person)
	if err != nil {
		return "", "", false, fmt.Errorf("find fan-out dm: %w", err)
	}
	p := *h.poster()
	p.Pages = fanoutHistoryPages
	ch, ts, found, err := p.Find(ctx, ch, "", fanoutTag(job, run), since)
	if err != nil {
		return "", "", false, fmt.Errorf("find fan-out dm: %w", err)
	}
	return ch, ts, found, nil
}
