package slackapi_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slackemu"
)

func poster(t *testing.T, emu *slackemu.Server, log *bytes.Buffer) *slackapi.Poster {
	t.Helper()
	api, _ := slackapi.New(slackapi.Config{BotToken: emu.BotToken(), APIURL: emu.URL()})
	p := &slackapi.Poster{API: api, BotUserID: slackemu.DefaultBotUserID, Backoff: 10 * time.Millisecond}
	if log != nil {
		p.Log = slog.New(slog.NewTextHandler(log, nil))
	}
	return p
}

// texts are the texts of channel's messages (thread replies included).
func texts(emu *slackemu.Server, channel string) []string {
	var out []string
	for _, m := range emu.Messages(channel) {
		out = append(out, m.Text)
	}
	return out
}

// A 5xx from chat.postMessage may mean posted or not: Post finds out in the
// channel's history and ends with the message posted exactly once, whichever
// it was.
func TestPostOnceAfterAnUnsureAnswer(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "escalations")
	p := poster(t, emu, nil)
	ctx := t.Context()

	// Not posted (503 before anything was done): posted on the second try.
	emu.InjectStatus("chat.postMessage", 1, 503)
	_, ts1, err := p.Post(ctx, "C1", slackapi.PostTag("card", "D1/0"), slack.MsgOptionText("card one", false))
	if err != nil {
		t.Fatal(err)
	}
	// Posted, then answered 504: found, not posted again.
	emu.InjectStatusAfter("chat.postMessage", 1, 504)
	_, ts2, err := p.Post(ctx, "C1", slackapi.PostTag("card", "D2/0"), slack.MsgOptionText("card two", false))
	if err != nil {
		t.Fatal(err)
	}
	// Posted twice over and answered 504 both times, with no tag of the
	// caller's (a fresh one): still one message.
	emu.InjectStatusAfter("chat.postMessage", 1, 504)
	emu.InjectStatus("conversations.history", 1, 503)
	_, ts3, err := p.Post(ctx, "C1", slackapi.Tag{}, slack.MsgOptionText("praise", false))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts(emu, "C1"), " | "); got != "card one | card two | praise" {
		t.Fatalf("channel = %q, want each message once", got)
	}
	for i, ts := range []string{ts1, ts2, ts3} {
		if m, ok := emu.Message("C1", ts); !ok || m.Metadata == nil || m.Metadata.EventType != slackapi.PostEventType {
			t.Errorf("post %d: ts %q is not the tagged message: %+v", i+1, ts, m)
		}
	}
	if n := emu.CallCount("chat.postMessage"); n != 4 {
		t.Errorf("chat.postMessage calls = %d, want 4 (2 + 1 + 1: posted again only after the unsure answer that had not posted)", n)
	}
}

// A reply in a thread is looked for in the thread's replies, and a DM sent
// by user ID in the DM's history.
func TestPostOnceInAThreadAndToAUser(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "escalations")
	emu.AddUser(slackemu.User{ID: "U1", Name: "ann"})
	p := poster(t, emu, nil)
	ctx := t.Context()
	_, parent, err := p.Post(ctx, "C1", slackapi.PostTag("card", "D1/0"), slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	emu.InjectStatusAfter("chat.postMessage", 1, 502)
	if _, _, err := p.Post(ctx, "C1", slackapi.PostTag("nudge", "D1/0/1"), slack.MsgOptionText("nudge", false), slack.MsgOptionTS(parent)); err != nil {
		t.Fatal(err)
	}
	emu.InjectStatusAfter("chat.postMessage", 1, 504)
	ch, ts, err := p.Post(ctx, "U1", slackapi.Tag{}, slack.MsgOptionText("approved", false))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts(emu, "C1"), " | "); got != "card | nudge" {
		t.Errorf("channel = %q, want the card and one nudge", got)
	}
	if got := strings.Join(texts(emu, ch), " | "); got != "approved" {
		t.Errorf("dm = %q, want one DM", got)
	}
	if m, ok := emu.Message(ch, ts); !ok || m.Text != "approved" {
		t.Errorf("returned %s %s, not the DM", ch, ts)
	}
}

// A post that times out may be posted a moment later: found, not posted
// again.
func TestPostOnceAfterATimeout(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "praise")
	p := poster(t, emu, nil)
	p.AttemptTimeout = 100 * time.Millisecond
	p.Backoff = time.Second // the emulator completes the call as the client gives up
	emu.InjectDelay("chat.postMessage", 1, 300*time.Millisecond)
	if _, _, err := p.Post(t.Context(), "C1", slackapi.PostTag("praise", "P1"), slack.MsgOptionText("well done", false)); err != nil {
		t.Fatal(err)
	}
	if got := texts(emu, "C1"); len(got) != 1 {
		t.Errorf("channel = %q, want the praise once", got)
	}
}

// What Post cannot fix: a refusal is returned at once (one call); a post
// that failed every time without being posted says so; without the history
// scopes it posts again and logs why.
func TestPostOnceLimits(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "escalations")
	var logs bytes.Buffer
	p := poster(t, emu, &logs)
	ctx := t.Context()
	if _, _, err := p.Post(ctx, "C0NOPE", slackapi.Tag{}, slack.MsgOptionText("x", false)); slackapi.Code(err) != "channel_not_found" || emu.CallCount("chat.postMessage") != 1 {
		t.Errorf("post to no channel = %v after %d calls, want channel_not_found after 1", err, emu.CallCount("chat.postMessage"))
	}
	emu.InjectStatus("chat.postMessage", 4, 503)
	_, _, err := p.Post(ctx, "C1", slackapi.Tag{}, slack.MsgOptionText("x", false))
	if err == nil || errors.Is(err, slackapi.ErrUnconfirmed) || !strings.Contains(err.Error(), "not posted") {
		t.Errorf("four 503s = %v, want 'not posted' (the history says so)", err)
	}
	// One 503, then the history fails on every look (3 attempts each).
	emu.InjectStatus("chat.postMessage", 1, 503)
	emu.InjectStatus("conversations.history", 12, 503)
	if _, _, err := p.Post(ctx, "C1", slackapi.Tag{}, slack.MsgOptionText("x", false)); !errors.Is(err, slackapi.ErrUnconfirmed) {
		t.Errorf("four 503s and no history = %v, want ErrUnconfirmed", err)
	}
	emu.SetScopes("chat:write", "chat:write.public")
	emu.InjectStatusAfter("chat.postMessage", 1, 504)
	if _, _, err := p.Post(ctx, "C1", slackapi.Tag{}, slack.MsgOptionText("unchecked", false)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(strings.Join(texts(emu, "C1"), "|"), "unchecked"); got != 2 {
		t.Errorf("without channels:history: %d messages, want 2 (posted again)", got)
	}
	if !strings.Contains(logs.String(), "channels:history") {
		t.Errorf("the missing scope is not logged:\n%s", logs.String())
	}
}

// PostAgain looks before it posts: a message an earlier process posted is
// not posted again.
func TestPostAgainLooksFirst(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "praise")
	p := poster(t, emu, nil)
	ctx := t.Context()
	tag := slackapi.PostTag("praise", "P1")
	_, ts, err := p.Post(ctx, "C1", tag, slack.MsgOptionText("well done", false))
	if err != nil {
		t.Fatal(err)
	}
	_, again, err := p.PostAgain(ctx, "C1", tag, time.Now().Add(-time.Minute), slack.MsgOptionText("well done", false))
	if err != nil || again != ts {
		t.Errorf("PostAgain = %q, %v; want the first post %q", again, err, ts)
	}
	if _, _, err := p.PostAgain(ctx, "C1", slackapi.PostTag("praise", "P2"), time.Time{}, slack.MsgOptionText("another", false)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts(emu, "C1"), " | "); got != "well done | another" {
		t.Errorf("channel = %q", got)
	}
}
