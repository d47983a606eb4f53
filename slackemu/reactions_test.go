package slackemu_test

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/empowerbot/empowerbot/slackemu"
)

// Reactions reach the bot as slack-go decodes them from Slack, only from
// channels the bot is in and with reactions:read; chat.getPermalink and
// conversations.info answer as Slack does.
func TestReactions(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	emu.AddChannel("C0RANDOM", "random")
	emu.SetBotMember("C0RANDOM", false)
	got := make(chan slackevents.EventsAPIInnerEvent, 4)
	bot := startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		c.Ack(*evt.Request)
		if data, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			got <- data.InnerEvent
		}
	})
	ctx := waitCtx(t)
	m, err := emu.PostAsUser("U0DAVE", "C0GENERAL", "fixed it")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := emu.React(ctx, "U0BOB", "C0GENERAL", m.TS, ":clap:"); err != nil || id == "" {
		t.Fatalf("React = %q, %v", id, err)
	}
	ev := <-got
	added, ok := ev.Data.(*slackevents.ReactionAddedEvent)
	if !ok || added.User != "U0BOB" || added.ItemUser != "U0DAVE" || added.Reaction != "clap" ||
		added.Item.Type != "message" || added.Item.Channel != "C0GENERAL" || added.Item.Timestamp != m.TS {
		t.Fatalf("event = %T %+v", ev.Data, ev.Data)
	}
	if _, err := emu.React(ctx, "U0BOB", "C0GENERAL", m.TS, "clap"); err == nil || err.Error() != "already_reacted" {
		t.Errorf("reacting twice = %v; want already_reacted", err)
	}
	if cur, _ := emu.Message("C0GENERAL", m.TS); len(cur.Reactions) != 1 || cur.Reactions[0].Name != "clap" || len(cur.Reactions[0].Users) != 1 {
		t.Errorf("reactions = %+v", cur.Reactions)
	}
	if _, err := emu.Unreact(ctx, "U0BOB", "C0GENERAL", m.TS, "clap"); err != nil {
		t.Fatal(err)
	}
	if ev := <-got; ev.Type != "reaction_removed" {
		t.Errorf("after Unreact: %s", ev.Type)
	}
	if _, err := emu.Unreact(ctx, "U0BOB", "C0GENERAL", m.TS, "clap"); err == nil || err.Error() != "no_reaction" {
		t.Errorf("removing twice = %v; want no_reaction", err)
	}

	// No event from a channel the bot is not in, nor without the scope.
	other, _ := emu.PostAsUser("U0DAVE", "C0RANDOM", "lunch?")
	if id, err := emu.React(ctx, "U0BOB", "C0RANDOM", other.TS, "clap"); err != nil || id != "" {
		t.Errorf("React in a channel without the bot = %q, %v; want no event", id, err)
	}
	emu.SetScopes("chat:write", "channels:read")
	if id, err := emu.React(ctx, "U0BOB", "C0GENERAL", m.TS, "clap"); err != nil || id != "" {
		t.Errorf("React without reactions:read = %q, %v; want no event", id, err)
	}
	emu.SetScopes()

	link, err := bot.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C0GENERAL", Ts: m.TS})
	if err != nil || link == "" {
		t.Errorf("chat.getPermalink = %q, %v", link, err)
	}
	if _, err := bot.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C0GENERAL", Ts: "1.2"}); err == nil || err.Error() != "message_not_found" {
		t.Errorf("chat.getPermalink of no message = %v; want message_not_found", err)
	}
	for id, member := range map[string]bool{"C0GENERAL": true, "C0RANDOM": false} {
		c, err := bot.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
		if err != nil || c.IsMember != member || !c.IsChannel || c.IsPrivate {
			t.Errorf("conversations.info %s = %+v, %v; want a public channel, member %v", id, c, err, member)
		}
	}
}
