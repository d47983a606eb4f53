package slackapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Posting exactly once. chat.postMessage is not idempotent: when it answers
// a 5xx, times out or the connection drops, the message may have been
// posted or not, and posting it again may post it twice. So every message
// the bot posts carries message metadata naming it (a Tag), and after such
// an answer the Poster reads the channel's recent history (or the thread's
// replies) for a message of the bot's with that Tag before it posts again:
// found, it is the message; not found, it was not posted and is posted
// again. The fan-out of weekly DMs (package jobs) looks for its DMs the same
// way (Poster.Find) when it takes over a run that died while sending.
//
// Reading history needs channels:history (public channels), groups:history
// (private ones) and im:history (DMs) and include_all_metadata. Without the
// scope, or when the history cannot be read for good, the message is posted
// again, and the missing scope is logged as an error: an installation that
// cannot look risks a second message rather than none.

// PostEventType is the message metadata event_type of the messages Poster
// posts; its event_payload names the message: {"kind": …, "id": …}.
const PostEventType = "empowerbot_post"

// Tag is the message metadata that names one message of the bot's, so that
// it can be found again in its channel's history.
type Tag struct {
	// EventType is the metadata's event_type.
	EventType string
	// Payload is its event_payload; a message carries the Tag when every
	// entry is in its payload.
	Payload map[string]string
}

// PostTag is the Tag of the message of kind ("card", "dm", …) named id: id
// is stable for one message (a decision ID and its level), so that a later
// attempt, here or on another replica, names the same message.
func PostTag(kind, id string) Tag {
	return Tag{EventType: PostEventType, Payload: map[string]string{"kind": kind, "id": id}}
}

// FreshTag is a Tag of kind with a random id: for a message nothing else
// names, so that the retries of one Post name the same message.
func FreshTag(kind string) Tag {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return PostTag(kind, hex.EncodeToString(b[:]))
}

// IsZero reports whether t names nothing.
func (t Tag) IsZero() bool { return t.EventType == "" }

// Option is the message option that tags a message with t.
func (t Tag) Option() slack.MsgOption {
	payload := make(map[string]any, len(t.Payload))
	for k, v := range t.Payload {
		payload[k] = v
	}
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: t.EventType, EventPayload: payload})
}

// On reports whether m carries t.
func (t Tag) On(m slack.Message) bool {
	md := m.Metadata
	if t.IsZero() || md.EventType != t.EventType {
		return false
	}
	for k, v := range t.Payload {
		if got, ok := md.EventPayload[k].(string); !ok || got != v {
			return false
		}
	}
	return true
}

// ErrUnconfirmed is wrapped by Post's error when every attempt failed in a
// way that does not say whether Slack posted the message, and its history
// could not tell either: the message may be in the channel. A caller that
// tries again later uses the same Tag and PostAgain.
var ErrUnconfirmed = errors.New("slack did not confirm the message, and its history could not tell whether it was posted")

// Unsure reports whether err, the error of a chat.postMessage call, leaves
// it unknown whether the message was posted: a 5xx, a timeout, a network
// error, or one of Slack's own failures ("internal_error", "fatal_error",
// "request_timeout"…: "it's possible some aspect of the operation
// succeeded"). A rate limit (429, "ratelimited") is not unsure: Slack did
// nothing.
func Unsure(err error) bool {
	if err == nil || Classify(err) != Retryable {
		return false
	}
	if _, limited := RetryAfter(err); limited {
		return false
	}
	switch Code(err) {
	case "ratelimited", "rate_limited":
		return false
	}
	if sc, ok := statusCodeError(err); ok && sc.Code == 429 {
		return false
	}
	return true
}

// Poster posts messages exactly once across Slack's 5xx answers and
// timeouts. Its zero value is not usable: set API; the rest has defaults.
// It is safe for concurrent use.
type Poster struct {
	API *slack.Client
	// BotUserID is the bot's user ID: only its messages are looked at.
	// Empty: any bot's message with the Tag.
	BotUserID string
	// Tries bounds the attempts of one Post (default 4).
	Tries int
	// AttemptTimeout bounds one attempt (default 10s).
	AttemptTimeout time.Duration
	// Backoff is the wait before the second attempt; it doubles (default
	// 300ms).
	Backoff time.Duration
	// Pages bounds the pages of history read when looking (200 messages
	// each, default 3); Skew is how long before the first attempt the look
	// starts, for clocks that differ (default 2m).
	Pages int
	Skew  time.Duration
	// Log receives what a caller is not told (a missing history scope).
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (p *Poster) defaults() Poster {
	c := *p
	if c.Tries <= 0 {
		c.Tries = 4
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 10 * time.Second
	}
	if c.Backoff <= 0 {
		c.Backoff = 300 * time.Millisecond
	}
	if c.Pages <= 0 {
		c.Pages = 3
	}
	if c.Skew <= 0 {
		c.Skew = 2 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Post posts opts to channel (a channel ID, or a user ID for the bot's DM
// with them), tagged with tag (zero: a FreshTag), and returns the message's
// channel and timestamp. A rate limit or an answer that leaves it unsure
// (Unsure) is tried again, up to Tries times with back-off; before posting
// again after an unsure answer, the channel's history (the thread's replies
// for a reply) is read for the tagged message, which is returned when it
// is there. The error of a refusal (Permanent, Auth) is returned at once;
// one wrapping ErrUnconfirmed when the last answers were unsure and the
// history could not tell.
func (p *Poster) Post(ctx context.Context, channel string, tag Tag, opts ...slack.MsgOption) (string, string, error) {
	return p.post(ctx, channel, tag, false, time.Time{}, opts)
}

// PostAgain is Post for a message an earlier call (another process, before a
// crash) may have posted already since since: it looks for the tagged
// message first, and posts only when it is not there.
func (p *Poster) PostAgain(ctx context.Context, channel string, tag Tag, since time.Time, opts ...slack.MsgOption) (string, string, error) {
	return p.post(ctx, channel, tag, true, since, opts)
}

func (p *Poster) post(ctx context.Context, channel string, tag Tag, look bool, since time.Time, opts []slack.MsgOption) (string, string, error) {
	c := p.defaults()
	if tag.IsZero() {
		tag = FreshTag("msg")
	}
	switch {
	case !look:
		since = c.Now().Add(-c.Skew)
	case !since.IsZero():
		since = since.Add(-c.Skew)
	}
	canLook := true // false once the history refused us for good
	thread := threadOf(opts)
	opts = append(append([]slack.MsgOption(nil), opts...), tag.Option())
	backoff := c.Backoff
	var lastErr error
	for attempt := 0; attempt < c.Tries; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, backoff); err != nil {
				return "", "", fmt.Errorf("post to %s: %w (after %w)", channel, err, lastErr)
			}
			backoff *= 2
		}
		if look && canLook {
			ch, ts, found, err := c.find(ctx, channel, thread, tag, since)
			switch {
			case err == nil && found:
				return ch, ts, nil
			case err != nil && Classify(err) == Retryable:
				lastErr = fmt.Errorf("look for the message: %w", err)
				continue // not known whether it went out: look again
			case err != nil:
				canLook = false
				c.Log.Error("cannot read a channel's history to check whether a message went out (are channels:history, groups:history and im:history granted?): posting it again",
					"channel", channel, "code", Code(err))
			}
		}
		actx, cancel := context.WithTimeout(ctx, c.AttemptTimeout)
		ch, ts, err := c.API.PostMessageContext(actx, channel, opts...)
		cancel()
		if err == nil {
			return ch, ts, nil
		}
		lastErr = err
		switch {
		case Unsure(err):
			look = true
		case Classify(err) != Retryable:
			return "", "", fmt.Errorf("post to %s: %w", channel, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if look && canLook && ctx.Err() == nil {
		// The last answer was unsure: one more look tells.
		if ch, ts, found, err := c.find(ctx, channel, thread, tag, since); err == nil && found {
			return ch, ts, nil
		} else if err == nil {
			return "", "", fmt.Errorf("post to %s: not posted after %d attempts: %w", channel, c.Tries, lastErr)
		}
	}
	if look {
		return "", "", fmt.Errorf("post to %s: %w: %w", channel, ErrUnconfirmed, lastErr)
	}
	return "", "", fmt.Errorf("post to %s: %w", channel, lastErr)
}

// threadOf returns the thread_ts opts post into, or "".
func threadOf(opts []slack.MsgOption) string {
	_, vals, err := slack.UnsafeApplyMsgOptions("", "", "", opts...)
	if err != nil {
		return ""
	}
	return vals.Get("thread_ts")
}

// Find looks in channel (a channel ID, or a user ID for the bot's DM with
// them) for the bot's message tagged tag, posted at or after since (zero:
// as far back as Pages reach), newest first; in the replies of thread when
// thread is not "". It returns the message's channel and timestamp.
func (p *Poster) Find(ctx context.Context, channel, thread string, tag Tag, since time.Time) (ch, ts string, found bool, err error) {
	c := p.defaults()
	return c.find(ctx, channel, thread, tag, since)
}

func (c *Poster) find(ctx context.Context, channel, thread string, tag Tag, since time.Time) (string, string, bool, error) {
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		// Posted by user ID: its DM channel's history.
		im, _, _, err := c.API.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
		if err != nil {
			return "", "", false, fmt.Errorf("open the dm with %s: %w", channel, err)
		}
		channel = im.ID
	}
	oldest := ""
	if !since.IsZero() {
		oldest = fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)
	}
	mine := func(m slack.Message) bool {
		if c.BotUserID != "" {
			return m.User == c.BotUserID && tag.On(m)
		}
		return m.BotID != "" && tag.On(m)
	}
	if thread != "" {
		rp := &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: thread, Limit: 200, Oldest: oldest, Inclusive: true, IncludeAllMetadata: true}
		for range c.Pages {
			msgs, more, next, err := c.API.GetConversationRepliesContext(ctx, rp)
			if err != nil {
				return "", "", false, fmt.Errorf("conversations.replies of %s: %w", channel, err)
			}
			for _, m := range msgs {
				if mine(m) {
					return channel, m.Timestamp, true, nil
				}
			}
			if !more || next == "" {
				break
			}
			rp.Cursor = next
		}
		return channel, "", false, nil
	}
	hp := &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: 200, Oldest: oldest, Inclusive: true, IncludeAllMetadata: true}
	for range c.Pages {
		res, err := c.API.GetConversationHistoryContext(ctx, hp)
		if err != nil {
			return "", "", false, fmt.Errorf("conversations.history of %s: %w", channel, err)
		}
		for _, m := range res.Messages {
			if mine(m) {
				return channel, m.Timestamp, true, nil
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			break
		}
		hp.Cursor = res.ResponseMetaData.NextCursor
	}
	return channel, "", false, nil
}
