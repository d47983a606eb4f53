package slackemu_test

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slackemu"
)

func TestHistoryReturnsMetadataOnlyWhenAskedAndPages(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddUser(slackemu.User{ID: "U1", Name: "ann"})
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := t.Context()
	md := slack.SlackMetadata{EventType: "empowerbot_round", EventPayload: map[string]any{"job": "feedback", "run": "R1"}}
	ch, first, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("question", false), slack.MsgOptionMetadata(md))
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for range 3 {
		if _, last, err = api.PostMessageContext(ctx, ch, slack.MsgOptionText("later", false)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{})); err == nil || err.Error() != "invalid_metadata_format" {
		t.Errorf("metadata without event_type: %v, want invalid_metadata_format", err)
	}

	plain, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Messages) != 4 || plain.Messages[0].Timestamp != last || plain.Messages[3].Timestamp != first {
		t.Fatalf("history = %d messages, newest %q; want 4, newest first", len(plain.Messages), plain.Messages[0].Timestamp)
	}
	if plain.Messages[3].Metadata.EventType != "" {
		t.Errorf("metadata returned without include_all_metadata: %+v", plain.Messages[3].Metadata)
	}

	// Two at a time, with metadata: the question comes on the second page.
	p := &slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 2, IncludeAllMetadata: true}
	var seen []slack.Message
	for page := 0; page < 5; page++ {
		res, err := api.GetConversationHistoryContext(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, res.Messages...)
		if !res.HasMore {
			break
		}
		p.Cursor = res.ResponseMetaData.NextCursor
	}
	if len(seen) != 4 {
		t.Fatalf("paged history = %d messages, want 4", len(seen))
	}
	got := seen[3].Metadata
	if got.EventType != "empowerbot_round" || got.EventPayload["run"] != "R1" || got.EventPayload["job"] != "feedback" {
		t.Errorf("metadata read back = %+v, want %+v", got, md)
	}

	// oldest is exclusive: from the question on, it is left out.
	res, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: first})
	if err != nil || len(res.Messages) != 3 {
		t.Errorf("history after the question = %v messages, %v; want 3", len(res.Messages), err)
	}

	emu.SetScopes("chat:write", "im:write")
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch}); err == nil || err.Error() != "missing_scope" {
		t.Errorf("history of a DM without im:history: %v, want missing_scope", err)
	}
}

// In a private channel the bot was not invited to, Slack refuses every
// channel method with not_in_channel (the channel exists; the bot is not
// in it, and no scope changes that), while conversations.info hides it
// (channel_not_found). In a public channel without the bot, posting needs
// chat:write.public and reading its history is not_in_channel.
func TestNotInChannel(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddPrivateChannel("C0SECRET", "leaders-private")
	emu.AddChannel("C0OPEN", "open")
	emu.AddUser(slackemu.User{ID: "U0BOB", Name: "bob"})
	emu.SetScopes("chat:write", "chat:write.public", "channels:read", "groups:read", "channels:history", "groups:history")
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := t.Context()
	_, ts, err := api.PostMessageContext(ctx, "C0SECRET", slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	emu.SetBotMember("C0SECRET", false)
	emu.SetBotMember("C0OPEN", false)
	want := func(what string, err error, code string) {
		t.Helper()
		if err == nil || err.Error() != code {
			t.Errorf("%s: %v, want %s", what, err, code)
		}
	}
	_, _, err = api.PostMessageContext(ctx, "C0SECRET", slack.MsgOptionText("hello", false))
	want("chat.postMessage to the private channel", err, "not_in_channel")
	_, err = api.PostEphemeralContext(ctx, "C0SECRET", "U0BOB", slack.MsgOptionText("hello", false))
	want("chat.postEphemeral in the private channel", err, "not_in_channel")
	_, _, _, err = api.UpdateMessageContext(ctx, "C0SECRET", ts, slack.MsgOptionText("after", false))
	want("chat.update in the private channel", err, "not_in_channel")
	_, _, err = api.DeleteMessageContext(ctx, "C0SECRET", ts)
	want("chat.delete in the private channel", err, "not_in_channel")
	_, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0SECRET"})
	want("conversations.history of the private channel", err, "not_in_channel")
	_, err = api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0SECRET"})
	want("conversations.info of the private channel", err, "channel_not_found")
	_, _, err = api.PostMessageContext(ctx, "C0NOPE", slack.MsgOptionText("hello", false))
	want("chat.postMessage to no channel", err, "channel_not_found")

	// Public: chat:write.public lets the bot post; history still needs it in.
	if _, _, err := api.PostMessageContext(ctx, "C0OPEN", slack.MsgOptionText("hello", false)); err != nil {
		t.Errorf("chat.postMessage to a public channel with chat:write.public: %v", err)
	}
	_, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0OPEN"})
	want("conversations.history of the public channel", err, "not_in_channel")
	emu.SetScopes("chat:write", "channels:history")
	_, _, err = api.PostMessageContext(ctx, "C0OPEN", slack.MsgOptionText("hello", false))
	want("chat.postMessage to a public channel without chat:write.public", err, "not_in_channel")
	if m, ok := emu.Message("C0SECRET", ts); !ok || m.Text != "before" {
		t.Errorf("the private channel's message changed: %+v", m)
	}
}
