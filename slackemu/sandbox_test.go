package slackemu_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/empowerbot/empowerbot/slackemu"
)

// TestChooseAndClickAction: the sandbox's exact clicks and choices reach the bot as the
// block_actions payloads Slack sends, decoded by slack-go.
func TestChooseAndClickAction(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	got := make(chan slack.InteractionCallback, 10)
	bot := startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			got <- cb
		}
		c.Ack(*evt.Request)
	})
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	opt := func(v, text string) *slack.OptionBlockObject { return slack.NewOptionBlockObject(v, pt(text), nil) }
	blocks := []slack.Block{
		slack.NewActionBlock("row1",
			slack.NewButtonBlockElement("approve", "d1", pt("Approve")),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("Pick"), "pick", opt("a", "Option A"), opt("b", "Option B")),
			slack.NewDatePickerBlockElement("when"),
			slack.NewOverflowBlockElement("more", opt("x", "Archive")),
		),
		slack.NewActionBlock("row2", slack.NewButtonBlockElement("approve", "d2", pt("Approve"))),
	}
	_, ts, err := bot.api.PostMessage("C0GENERAL", slack.MsgOptionText("t", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	msg, _ := emu.Message("C0GENERAL", ts)

	if _, err := emu.ClickAction(ctx, "U0BOB", msg, "row2", "approve"); err != nil {
		t.Fatal(err)
	}
	if cb := <-got; cb.ActionCallback.BlockActions[0].Value != "d2" || cb.User.ID != "U0BOB" || cb.Message.Timestamp != ts {
		t.Errorf("the second Approve: %+v", cb.ActionCallback.BlockActions[0])
	}
	if _, err := emu.ChooseAction(ctx, "U0BOB", msg, "row1", "pick", "b"); err != nil {
		t.Fatal(err)
	}
	if a := (<-got).ActionCallback.BlockActions[0]; a.SelectedOption.Value != "b" || a.Type != "static_select" {
		t.Errorf("select: %+v", a)
	}
	if _, err := emu.ChooseAction(ctx, "U0BOB", msg, "row1", "when", "2026-12-15"); err != nil {
		t.Fatal(err)
	}
	if a := (<-got).ActionCallback.BlockActions[0]; a.SelectedDate != "2026-12-15" {
		t.Errorf("datepicker: %+v", a)
	}
	if _, err := emu.ChooseAction(ctx, "U0BOB", msg, "row1", "more", "x"); err != nil {
		t.Fatal(err)
	}
	if a := (<-got).ActionCallback.BlockActions[0]; a.SelectedOption.Value != "x" || a.Type != "overflow" {
		t.Errorf("overflow: %+v", a)
	}
	if _, err := emu.ChooseAction(ctx, "U0BOB", msg, "row1", "pick", "zzz"); err == nil || !strings.Contains(err.Error(), "no option") {
		t.Errorf("unknown option: %v", err)
	}
	if _, err := emu.ClickAction(ctx, "U0BOB", msg, "row3", "approve"); err == nil {
		t.Error("a click on a missing button succeeded")
	}

	m, err := emu.PostAsUser("U0DAVE", "C0GENERAL", "hello <@U0BOB|bob>")
	if err != nil || m.User != "U0DAVE" {
		t.Fatalf("PostAsUser = %+v %v", m, err)
	}
	if found, ok := emu.FindMessage("U0BOB", "C0GENERAL", m.TS); !ok || found.Text != "hello <@U0BOB|bob>" {
		t.Errorf("FindMessage = %+v %v", found, ok)
	}
	if _, err := emu.PostAsUser("U0DAVE", "C0NOPE", "x"); err == nil {
		t.Error("a message to an unknown channel was posted")
	}
}
