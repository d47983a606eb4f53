package slackemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/empowerbot/empowerbot/slackemu"
)

// testBot is a socketmode client driven by a handler, stopped when the test ends.
type testBot struct {
	api    *slack.Client
	client *socketmode.Client
}

// startBot connects slack-go's own socketmode client to emu and runs handle for every
// envelope event on its own goroutine.
func startBot(t *testing.T, emu *slackemu.Server, handle func(c *socketmode.Client, evt socketmode.Event), opts ...socketmode.Option) *testBot {
	t.Helper()
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()), slack.OptionAppLevelToken(emu.AppToken()))
	client := socketmode.New(api, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				switch evt.Type {
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI,
					socketmode.EventTypeErrorBadMessage:
					if handle != nil {
						wg.Go(func() { handle(client, evt) })
					}
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	if err := emu.WaitConnections(waitCtx(t), 1); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return &testBot{api: api, client: client}
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newEmu(t *testing.T, opts slackemu.Options) *slackemu.Server {
	t.Helper()
	opts.Users = append(opts.Users,
		slackemu.User{ID: "U0DAVE", Name: "dave", RealName: "Dave Tech", TZ: "America/Chicago"},
		slackemu.User{ID: "U0BOB", Name: "bob", RealName: "Bob Lead", TZ: "Europe/Berlin"},
	)
	opts.Channels = append(opts.Channels, slackemu.Channel{ID: "C0GENERAL", Name: "general"},
		slackemu.Channel{ID: "C0ESCALATE", Name: "escalations"})
	return slackemu.Start(t, opts)
}

func TestSocketModeSlashRoundTrip(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	got := make(chan slack.SlashCommand, 1)
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			t.Errorf("data = %T, want slack.SlashCommand", evt.Data)
			return
		}
		got <- cmd
		if err := c.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "hi " + cmd.UserName}); err != nil {
			t.Errorf("ack: %v", err)
		}
	})
	ctx := waitCtx(t)
	res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "help <@U0BOB|bob>")
	if err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	cmd := <-got
	if cmd.Command != "/empower" || cmd.Text != "help <@U0BOB|bob>" || cmd.UserID != "U0DAVE" || cmd.ChannelID != "C0GENERAL" ||
		cmd.TriggerID == "" || !strings.HasPrefix(cmd.ResponseURL, emu.BaseURL()) || cmd.TeamID != emu.TeamID() {
		t.Errorf("slash command = %+v", cmd)
	}
	if res.Text != "hi dave" || res.ResponseType != "ephemeral" || res.EnvelopeID == "" || res.Ack.Latency <= 0 {
		t.Errorf("result = %+v, want text %q", res, "hi dave")
	}
	eph := emu.Ephemerals("U0DAVE")
	if len(eph) != 1 || eph[0].Text != "hi dave" || eph[0].Channel != "C0GENERAL" || eph[0].Source != "ack" {
		t.Errorf("ephemerals = %+v, want the ack reply", eph)
	}
	if n := len(emu.AckLatencies()); n != 1 {
		t.Errorf("ack latencies = %d, want 1", n)
	}
}

func TestWebAPIAuth(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	ctx := waitCtx(t)
	tests := []struct {
		name, token, want string
	}{
		{"wrong bot token", "xoxb-wrong", "invalid_auth"},
		{"app token", emu.AppToken(), "not_allowed_token_type"},
		{"good", emu.BotToken(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := slack.New(tt.token, slack.OptionAPIURL(emu.URL()))
			_, err := api.AuthTestContext(ctx)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("auth.test: %v", err)
				}
				return
			}
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tt.want {
				t.Errorf("auth.test error = %v, want %s", err, tt.want)
			}
		})
	}
	resp, err := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL())).AuthTestContext(ctx)
	if err != nil || resp.UserID != emu.BotUserID() || resp.TeamID != emu.TeamID() {
		t.Errorf("auth.test = %+v, %v", resp, err)
	}
}

func TestConnectionsOpenAuth(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	ctx := waitCtx(t)
	tests := []struct {
		name, token, want string
	}{
		{"wrong app token", "xapp-wrong", "invalid_auth"},
		{"bot token", emu.BotToken(), "not_allowed_token_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()), slack.OptionAppLevelToken(tt.token))
			_, _, err := api.StartSocketModeContext(ctx)
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tt.want {
				t.Errorf("apps.connections.open error = %v, want %s", err, tt.want)
			}
		})
	}
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()), slack.OptionAppLevelToken(emu.AppToken()))
	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil || !strings.HasPrefix(wsURL, "ws://") {
		t.Errorf("apps.connections.open = %q, %v", wsURL, err)
	}
}

func TestPostMessageValidation(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := waitCtx(t)
	section := func(n int) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", n), false, false), nil, nil)
	}
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string // slack error; "" for success
		wantMsg string // part of the response_metadata message
	}{
		{"ok", "C0GENERAL", []slack.MsgOption{slack.MsgOptionText("hello", false)}, "", ""},
		{"51 blocks", "C0GENERAL", []slack.MsgOption{slack.MsgOptionBlocks(many...)}, "invalid_blocks", "at most 50"},
		{"50 blocks", "C0GENERAL", []slack.MsgOption{slack.MsgOptionBlocks(many[:50]...)}, "", ""},
		{"3001 section", "C0GENERAL", []slack.MsgOption{slack.MsgOptionBlocks(section(3001))}, "invalid_blocks", "/blocks/0/text/text"},
		{"3000 section", "C0GENERAL", []slack.MsgOption{slack.MsgOptionBlocks(section(3000))}, "", ""},
		{"long button", "C0GENERAL", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a",
			slack.NewButtonBlockElement("x", strings.Repeat("v", 2001), slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false))))},
			"invalid_blocks", "/blocks/0/elements/0/value"},
		{"unknown channel", "C0NOPE", []slack.MsgOption{slack.MsgOptionText("hello", false)}, "channel_not_found", ""},
		{"no text", "C0GENERAL", nil, "no_text", ""},
		{"too long", "C0GENERAL", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("a", 40001), false)}, "msg_too_long", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(ctx, tt.channel, tt.opts...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("PostMessage: %v", err)
				}
				return
			}
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tt.want {
				t.Fatalf("PostMessage error = %v, want %s", err, tt.want)
			}
			if tt.wantMsg != "" && !strings.Contains(strings.Join(se.ResponseMetadata.Messages, "\n"), tt.wantMsg) {
				t.Errorf("messages = %q, want one with %q", se.ResponseMetadata.Messages, tt.wantMsg)
			}
		})
	}
	if got := len(emu.Messages("C0GENERAL")); got != 3 {
		t.Errorf("messages stored = %d, want 3", got)
	}
	if got := emu.CallCount("chat.postMessage"); got != len(tests) {
		t.Errorf("calls = %d, want %d", got, len(tests))
	}
}

func TestDMsUpdateAndClick(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	clicks := make(chan slack.InteractionCallback, 1)
	bot := startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return
		}
		c.Ack(*evt.Request)
		clicks <- cb
	})
	ctx := waitCtx(t)
	ch, _, _, err := bot.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0DAVE"}})
	if err != nil {
		t.Fatalf("conversations.open: %v", err)
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Discount $600 for ACME", false, false), nil, nil),
		slack.NewActionBlock("decide",
			slack.NewButtonBlockElement("approve", "d1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("decline", "d1", slack.NewTextBlockObject(slack.PlainTextType, "Decline", false, false)).WithStyle(slack.StyleDanger)),
	}
	_, ts, err := bot.api.PostMessageContext(ctx, "U0DAVE", slack.MsgOptionText("decide", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatalf("PostMessage to user: %v", err)
	}
	msg, err := emu.WaitDM(ctx, "U0DAVE", nil)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Channel != ch.ID || msg.TS != ts || len(msg.Buttons()) != 2 {
		t.Fatalf("DM = %+v, want in %s with 2 buttons", msg, ch.ID)
	}
	if _, err := emu.Click(ctx, "U0DAVE", msg, "Nope"); err == nil {
		t.Errorf("Click on a missing button: no error")
	}
	ack, err := emu.Click(ctx, "U0DAVE", msg, "Approve")
	if err != nil {
		t.Fatalf("Click: %v", err)
	}
	if ack.Payload != nil {
		t.Errorf("ack payload = %s, want none", ack.Payload)
	}
	cb := <-clicks
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "approve" || act.BlockID != "decide" || act.Value != "d1" || cb.User.ID != "U0DAVE" ||
		cb.Container.ChannelID != ch.ID || cb.Container.MessageTs != ts || cb.Message.Timestamp != ts ||
		cb.Channel.ID != ch.ID || cb.TriggerID == "" || cb.ResponseURL == "" || cb.Team.ID != emu.TeamID() {
		t.Errorf("block action = %+v, callback = %+v", act, cb)
	}

	// Replace the message through the response_url, as a handler would.
	if _, _, err := bot.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Approved by <@U0DAVE>", false)); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	got, _ := emu.Message(ch.ID, ts)
	if got.Text != "Approved by <@U0DAVE>" || got.Updated != 1 || len(got.Buttons()) != 0 {
		t.Errorf("after replace_original = %+v", got)
	}
	// chat.update keeps blocks when none are sent and replaces them when sent.
	if _, _, _, err := bot.api.UpdateMessageContext(ctx, ch.ID, ts, slack.MsgOptionBlocks(blocks[0])); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	got, _ = emu.Message(ch.ID, ts)
	if got.Updated != 2 || !strings.Contains(got.AllText(), "Discount $600") {
		t.Errorf("after update = %+v", got)
	}
	if n := emu.CallCount("conversations.open"); n != 1 {
		t.Errorf("conversations.open calls = %d, want 1", n)
	}
}

func TestRedeliveryOfUnackedEnvelope(t *testing.T) {
	emu := newEmu(t, slackemu.Options{AckTimeout: 200 * time.Millisecond})
	var mu sync.Mutex
	var seen []socketmode.Request
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		mu.Lock()
		seen = append(seen, *evt.Request)
		first := len(seen) == 1
		mu.Unlock()
		if first {
			return // lose the first delivery
		}
		c.Ack(*evt.Request)
	})
	ctx := waitCtx(t)
	res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "box")
	if err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("deliveries = %d, want 2", len(seen))
	}
	if seen[0].RetryAttempt != 0 || seen[1].RetryAttempt != 1 || seen[1].RetryReason != "timeout" {
		t.Errorf("retry fields = (%d,%q), (%d,%q)", seen[0].RetryAttempt, seen[0].RetryReason, seen[1].RetryAttempt, seen[1].RetryReason)
	}
	if seen[0].EnvelopeID == seen[1].EnvelopeID {
		t.Errorf("redelivery reused envelope id %s", seen[0].EnvelopeID)
	}
	if res.Ack.Attempt != 1 || res.Ack.EnvelopeID != seen[1].EnvelopeID || res.EnvelopeID != seen[0].EnvelopeID {
		t.Errorf("ack = %+v, envelope %s", res.Ack, res.EnvelopeID)
	}
	if string(seen[0].Payload) != string(seen[1].Payload) {
		t.Errorf("payload changed between deliveries")
	}
}

func TestNeverAcked(t *testing.T) {
	emu := newEmu(t, slackemu.Options{AckTimeout: 50 * time.Millisecond, MaxRetries: 2})
	var mu sync.Mutex
	n := 0
	startBot(t, emu, func(*socketmode.Client, socketmode.Event) {
		mu.Lock()
		n++
		mu.Unlock()
	})
	_, err := emu.SlashCommand(waitCtx(t), "U0DAVE", "C0GENERAL", "box")
	if !errors.Is(err, slackemu.ErrNotAcked) {
		t.Fatalf("error = %v, want ErrNotAcked", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 3 {
		t.Errorf("deliveries = %d, want 3 (1 + 2 retries)", n)
	}
}

func TestRedeliverAcked(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	var mu sync.Mutex
	var triggers []string
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		cmd := evt.Data.(slack.SlashCommand)
		mu.Lock()
		triggers = append(triggers, cmd.TriggerID)
		mu.Unlock()
		c.Ack(*evt.Request)
	})
	ctx := waitCtx(t)
	res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "box")
	if err != nil {
		t.Fatal(err)
	}
	ack, err := emu.Redeliver(ctx, res.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	if ack.Attempt != 1 {
		t.Errorf("attempt = %d, want 1", ack.Attempt)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(triggers) != 2 || triggers[0] != triggers[1] {
		t.Errorf("triggers = %q, want the same one twice", triggers)
	}
}

func TestDisconnectReconnects(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		c.Ack(*evt.Request, map[string]any{"text": "ok"})
	})
	ctx := waitCtx(t)
	emu.Disconnect("refresh_requested")
	if err := emu.WaitCalls(ctx, "apps.connections.open", 2); err != nil {
		t.Fatalf("no reconnect: %v", err)
	}
	if err := emu.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "help")
	if err != nil || res.Text != "ok" {
		t.Fatalf("after reconnect: %+v, %v", res, err)
	}
}

func TestUnparseableEnvelopeAck(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeErrorBadMessage {
			return
		}
		bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
		if !ok {
			t.Errorf("data = %T", evt.Data)
			return
		}
		var env struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if err := json.Unmarshal(bad.Message, &env); err != nil {
			t.Errorf("raw frame: %v", err)
			return
		}
		c.Ack(socketmode.Request{EnvelopeID: env.EnvelopeID})
	})
	id := emu.SendRaw([]byte(`{"envelope_id":"bad-1","type":"something_new","payload":{}}`))
	if _, err := emu.WaitAck(waitCtx(t), id); err != nil {
		t.Fatalf("WaitAck: %v", err)
	}
}

func TestRateLimitInjection(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := waitCtx(t)
	emu.InjectRateLimit("chat.postMessage", 1, 1500*time.Millisecond)
	emu.InjectError("chat.postMessage", 1, "internal_error")
	_, _, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("error = %v, want *slack.RateLimitedError with RetryAfter 2s", err)
	}
	_, _, err = api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "internal_error" {
		t.Fatalf("error = %v, want internal_error", err)
	}
	if _, _, err = api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("third call: %v", err)
	}
	calls := emu.Calls("chat.postMessage")
	if len(calls) != 3 || calls[0].Status != 429 || calls[0].Error != "ratelimited" || calls[1].Error != "internal_error" || !calls[2].OK {
		t.Errorf("calls = %+v", calls)
	}
	if calls[2].Param("text") != "x" || calls[2].Param("channel") != "C0GENERAL" {
		t.Errorf("params = %v", calls[2].Params)
	}

	emu.SetRateLimit("users.info", 60, 2)
	for i := range 3 {
		_, err := api.GetUserInfoContext(ctx, "U0DAVE")
		if i < 2 && err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if i == 2 && !errors.As(err, &rl) {
			t.Fatalf("call %d: %v, want rate limited", i, err)
		}
	}
}

func logModal() slack.ModalViewRequest {
	opt := func(v string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, slack.NewTextBlockObject(slack.PlainTextType, v, false, false), nil)
	}
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	due := slack.NewDatePickerBlockElement("due")
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           pt("Log a decision"),
		Submit:          pt("Log"),
		Close:           pt("Cancel"),
		CallbackID:      "log_decision",
		PrivateMetadata: "C0GENERAL",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("activity", pt("Activity"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("Pick"), "activity", opt("discount"), opt("travel-waiver"))),
			slack.NewInputBlock("amount", pt("Amount"), nil, slack.NewPlainTextInputBlockElement(pt("250"), "amount")),
			slack.NewInputBlock("tags", pt("Tags"), nil, slack.NewCheckboxGroupsBlockElement("tags", opt("safety"), opt("legal"))).WithOptional(true),
			slack.NewInputBlock("approver", pt("Approver"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeUser, pt("Who"), "approver")).WithOptional(true),
			slack.NewInputBlock("due", pt("Due"), nil, due).WithOptional(true),
		}},
	}
}

func TestModalSubmitFlow(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	submissions := make(chan slack.InteractionCallback, 10)
	var step int
	var mu sync.Mutex
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		switch data := evt.Data.(type) {
		case slack.SlashCommand:
			c.Ack(*evt.Request)
			if _, err := c.OpenViewContext(context.Background(), data.TriggerID, logModal()); err != nil {
				t.Errorf("views.open: %v", err)
			}
			if _, err := c.OpenViewContext(context.Background(), data.TriggerID, logModal()); err == nil {
				t.Errorf("second views.open with the same trigger: no error")
			}
		case slack.InteractionCallback:
			submissions <- data
			mu.Lock()
			step++
			s := step
			mu.Unlock()
			switch s {
			case 1:
				c.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"amount": "Not a number"}))
			case 2:
				v := logModal()
				v.CallbackID = "confirm"
				v.Title = slack.NewTextBlockObject(slack.PlainTextType, "Confirm", false, false)
				c.Ack(*evt.Request, slack.NewPushViewSubmissionResponse(&v))
			default:
				c.Ack(*evt.Request, slack.NewClearViewSubmissionResponse())
			}
		}
	})
	ctx := waitCtx(t)
	if _, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", ""); err != nil {
		t.Fatal(err)
	}
	v, err := emu.WaitView(ctx, "U0DAVE", func(v slackemu.View) bool { return v.CallbackID == "log_decision" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.SubmitView(ctx, "U0DAVE", v.ID, slackemu.Values{}.Set("activity", "activity", "discount")); err == nil ||
		!strings.Contains(err.Error(), "amount/amount: required") {
		t.Errorf("submit without required amount: %v", err)
	}
	vals := slackemu.Values{}.
		Set("activity", "activity", "discount").
		Set("amount", "amount", "abc").
		Set("tags", "tags", []string{"safety", "legal"}).
		Set("approver", "approver", "U0BOB").
		Set("due", "due", "2026-12-15")
	ack, err := emu.SubmitView(ctx, "U0DAVE", v.ID, vals)
	if err != nil {
		t.Fatalf("SubmitView: %v", err)
	}
	if ack.ResponseAction != "errors" || ack.Errors["amount"] != "Not a number" {
		t.Errorf("ack = %+v, want errors", ack)
	}
	sub := <-submissions
	if sub.Type != slack.InteractionTypeViewSubmission || sub.View.CallbackID != "log_decision" || sub.View.PrivateMetadata != "C0GENERAL" || sub.User.ID != "U0DAVE" {
		t.Errorf("submission = %+v", sub)
	}
	st := sub.View.State.Values
	if st["activity"]["activity"].SelectedOption.Value != "discount" || st["amount"]["amount"].Value != "abc" ||
		len(st["tags"]["tags"].SelectedOptions) != 2 || st["approver"]["approver"].SelectedUser != "U0BOB" ||
		st["due"]["due"].SelectedDate != "2026-12-15" {
		t.Errorf("state = %+v", st)
	}
	if open := emu.OpenViews("U0DAVE"); len(open) != 1 {
		t.Fatalf("open views after errors = %d, want 1", len(open))
	}
	if _, err := emu.SubmitView(ctx, "U0DAVE", v.ID, vals.Set("amount", "amount", "250")); err != nil {
		t.Fatal(err)
	}
	<-submissions
	open := emu.OpenViews("U0DAVE")
	if len(open) != 2 || open[1].CallbackID != "confirm" || open[1].PreviousViewID != v.ID || open[1].RootViewID != v.ID {
		t.Fatalf("after push = %+v", open)
	}
	if _, err := emu.SubmitView(ctx, "U0DAVE", v.ID, vals); err == nil {
		t.Errorf("submitting a view that is not on top: no error")
	}
	if _, err := emu.SubmitView(ctx, "U0DAVE", open[1].ID, vals); err != nil {
		t.Fatal(err)
	}
	if open := emu.OpenViews("U0DAVE"); len(open) != 0 {
		t.Errorf("after clear = %d views, want 0", len(open))
	}
}

func TestViewsValidationAndTriggers(t *testing.T) {
	emu := newEmu(t, slackemu.Options{TriggerTTL: time.Millisecond})
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := waitCtx(t)
	_, err := api.OpenViewContext(ctx, "nope", logModal())
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v", err)
	}
	v := logModal()
	v.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)
	v.Submit = nil
	_, err = api.OpenViewContext(ctx, "nope", v)
	if !errors.As(err, &se) || se.Err != "invalid_arguments" || !strings.Contains(strings.Join(se.ResponseMetadata.Messages, " "), "/view/title") ||
		!strings.Contains(strings.Join(se.ResponseMetadata.Messages, " "), "submit is required") {
		t.Errorf("bad modal: %v %q", err, se.ResponseMetadata.Messages)
	}
}

func TestHomeTab(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	opened := make(chan slackevents.AppHomeOpenedEvent, 2)
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		c.Ack(*evt.Request)
		switch data := evt.Data.(type) {
		case slackevents.EventsAPIEvent:
			ev, ok := data.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
			if !ok {
				t.Errorf("inner event = %T", data.InnerEvent.Data)
				return
			}
			blocks := slack.Blocks{BlockSet: []slack.Block{
				slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Your box", false, false), nil,
					slack.NewAccessory(slack.NewButtonBlockElement("refresh", "r", slack.NewTextBlockObject(slack.PlainTextType, "Refresh", false, false)))),
			}}
			if _, err := c.PublishViewContext(context.Background(), slack.PublishViewContextRequest{UserID: ev.User, View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: blocks}}); err != nil {
				t.Errorf("views.publish: %v", err)
			}
			opened <- *ev
		case slack.InteractionCallback:
			if data.Container.Type != "view" || data.View.Type != slack.VTHomeTab || data.ActionCallback.BlockActions[0].ActionID != "refresh" {
				t.Errorf("home click = %+v", data)
			}
			opened <- slackevents.AppHomeOpenedEvent{Tab: "clicked"}
		}
	})
	ctx := waitCtx(t)
	if _, err := emu.OpenHome(ctx, "U0DAVE"); err != nil {
		t.Fatal(err)
	}
	ev := <-opened
	if ev.User != "U0DAVE" || ev.Tab != "home" || ev.View != nil {
		t.Errorf("event = %+v", ev)
	}
	home, err := emu.WaitHome(ctx, "U0DAVE", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(home.AllText(), "Your box") {
		t.Errorf("home = %s", home.Blocks)
	}
	if _, err := emu.ClickInView(ctx, "U0DAVE", home.ID, "Refresh"); err != nil {
		t.Fatal(err)
	}
	if ev := <-opened; ev.Tab != "clicked" {
		t.Errorf("click not seen")
	}
	if _, err := emu.OpenHome(ctx, "U0DAVE"); err != nil {
		t.Fatal(err)
	}
	if ev := <-opened; ev.View == nil || ev.View.ID != home.ID {
		t.Errorf("second open: view = %+v, want the published home", ev.View)
	}
}

func TestSeveralConnectionsShareEnvelopes(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	var mu sync.Mutex
	count := map[string]int{}
	handler := func(name string) func(*socketmode.Client, socketmode.Event) {
		return func(c *socketmode.Client, evt socketmode.Event) {
			mu.Lock()
			count[name]++
			mu.Unlock()
			c.Ack(*evt.Request)
		}
	}
	startBot(t, emu, handler("a"))
	startBot(t, emu, handler("b"))
	ctx := waitCtx(t)
	if err := emu.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const n = 10
	for range n {
		if _, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "box"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if count["a"]+count["b"] != n || count["a"] == 0 || count["b"] == 0 {
		t.Errorf("deliveries per connection = %v, want %d spread over both", count, n)
	}
}

func TestDirectory(t *testing.T) {
	emu := newEmu(t, slackemu.Options{UserGroups: []slackemu.UserGroup{{ID: "S0FRONT", Handle: "frontline", Users: []string{"U0DAVE"}}}})
	for i := range 25 {
		emu.AddUser(slackemu.User{ID: "U1" + strings.Repeat("0", 3) + string(rune('A'+i)), Name: "user"})
	}
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := waitCtx(t)
	users, err := api.GetUsersContext(ctx, slack.GetUsersOptionLimit(10))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(users), 25+3; got != want { // + bot, dave, bob
		t.Errorf("users.list = %d users, want %d", got, want)
	}
	if n := emu.CallCount("users.list"); n != 3 {
		t.Errorf("users.list calls = %d, want 3 pages", n)
	}
	u, err := api.GetUserInfoContext(ctx, "U0DAVE")
	if err != nil || u.TZ != "America/Chicago" || u.TZOffset == 0 || u.RealName != "Dave Tech" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U0NOBODY"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S0FRONT")
	if err != nil || len(members) != 1 || members[0] != "U0DAVE" {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	groups, err := api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil || len(groups) != 1 || groups[0].Handle != "frontline" || len(groups[0].Users) != 1 {
		t.Errorf("usergroups.list = %+v, %v", groups, err)
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0GENERAL"})
	if err != nil || info.Name != "general" {
		t.Errorf("conversations.info = %+v, %v", info, err)
	}
	if _, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0NOPE"}); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestFilesUpload(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := waitCtx(t)
	content := "name,amount\nACME,250\n"
	f, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "digest.csv", Content: content, FileSize: len(content), Channel: "C0GENERAL", InitialComment: "Weekly digest", Title: "Digest"})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	files := emu.Files()
	if len(files) != 1 || files[0].ID != f.ID || string(files[0].Content) != content || files[0].Title != "Digest" || !files[0].Complete {
		t.Errorf("files = %+v", files)
	}
	msgs := emu.Messages("C0GENERAL")
	if len(msgs) != 1 || msgs[0].Text != "Weekly digest" || len(msgs[0].Files) != 1 || msgs[0].Files[0].ID != f.ID {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestResponseURL(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	urls := make(chan string, 1)
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		c.Ack(*evt.Request)
		urls <- evt.Data.(slack.SlashCommand).ResponseURL
	})
	ctx := waitCtx(t)
	if _, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "stats"); err != nil {
		t.Fatal(err)
	}
	u := <-urls
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	post := func(opts ...slack.MsgOption) error {
		_, _, err := api.PostMessageContext(ctx, "", append([]slack.MsgOption{slack.MsgOptionResponseURL(u, slack.ResponseTypeEphemeral)}, opts...)...)
		return err
	}
	if err := post(slack.MsgOptionText("private", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(u, slack.ResponseTypeInChannel), slack.MsgOptionText("public", false)); err != nil {
		t.Fatal(err)
	}
	if eph := emu.Ephemerals("U0DAVE"); len(eph) != 1 || eph[0].Text != "private" || eph[0].Source != "response_url" {
		t.Errorf("ephemerals = %+v", eph)
	}
	if msgs := emu.Messages("C0GENERAL"); len(msgs) != 1 || msgs[0].Text != "public" {
		t.Errorf("channel = %+v", msgs)
	}
	for range 3 {
		if err := post(slack.MsgOptionText("again", false)); err != nil {
			t.Fatal(err)
		}
	}
	if err := post(slack.MsgOptionText("sixth", false)); err == nil {
		t.Errorf("sixth use of a response_url: no error")
	}
}

func TestSubscribe(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	changes, cancel := emu.Subscribe()
	defer cancel()
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	ctx := waitCtx(t)
	_, ts, err := api.PostMessageContext(ctx, "C0GENERAL", slack.MsgOptionText("one", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0GENERAL", ts, slack.MsgOptionText("two", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C0GENERAL", "U0BOB", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	want := []slackemu.ChangeKind{slackemu.ChangeMessagePosted, slackemu.ChangeMessageUpdated, slackemu.ChangeEphemeral}
	for i, k := range want {
		select {
		case c := <-changes:
			if c.Kind != k || c.Message == nil {
				t.Errorf("change %d = %+v, want %s", i, c, k)
			}
		case <-ctx.Done():
			t.Fatalf("change %d: %v", i, ctx.Err())
		}
	}
}

func TestLargeAckPayload(t *testing.T) {
	emu := newEmu(t, slackemu.Options{AckTimeout: 300 * time.Millisecond})
	var mu sync.Mutex
	n := 0
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			// slack-go refuses frames >= 20 KB itself; a large allowed one must arrive whole.
			_ = c.Ack(*evt.Request, map[string]any{"text": strings.Repeat("a", 19*1024)})
		}
	})
	res, err := emu.SlashCommand(waitCtx(t), "U0DAVE", "C0GENERAL", "big")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Text) != 19*1024 {
		t.Errorf("text length = %d", len(res.Text))
	}
}

// BenchmarkDMFanout posts one DM to each of 10,000 people, as a weekly feedback run does,
// through conversations.open + chat.postMessage with 32 workers.
func BenchmarkDMFanout(b *testing.B) {
	const people = 10000
	emu := slackemu.Start(b, slackemu.Options{})
	ids := make([]string, people)
	for i := range ids {
		ids[i] = "U" + strconv.Itoa(100000+i)
		emu.AddUser(slackemu.User{ID: ids[i], Name: ids[i]})
	}
	// Keep connections alive across 32 workers (net/http keeps only 2 idle per host by default).
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()), slack.OptionHTTPClient(hc))
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		work := make(chan string)
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for id := range work {
					ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{id}})
					if err != nil {
						b.Error(err)
						continue
					}
					if _, _, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("How can I help?", false)); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
	}
	b.StopTimer()
	if got := len(emu.DMs(ids[people-1])); got != b.N {
		b.Errorf("DMs = %d, want %d", got, b.N)
	}
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestTriggerExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	emu := newEmu(t, slackemu.Options{Now: clock.Now})
	triggers := make(chan string, 2)
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		c.Ack(*evt.Request)
		triggers <- evt.Data.(slack.SlashCommand).TriggerID
	})
	ctx := waitCtx(t)
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	tests := []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{"fresh", 2 * time.Second, ""},
		{"expired", 4 * time.Second, "expired_trigger_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "log"); err != nil {
				t.Fatal(err)
			}
			trig := <-triggers
			clock.Advance(tt.advance)
			_, err := api.OpenViewContext(ctx, trig, logModal())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("views.open: %v", err)
				}
				return
			}
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tt.want {
				t.Errorf("views.open error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestEphemeralButtons(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	clicks := make(chan slack.InteractionCallback, 1)
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		switch data := evt.Data.(type) {
		case slack.SlashCommand:
			blocks := []slack.Block{slack.NewActionBlock("confirm",
				slack.NewButtonBlockElement("yes", "1", slack.NewTextBlockObject(slack.PlainTextType, "Yes", false, false)))}
			c.Ack(*evt.Request, map[string]any{"text": "Sure?", "blocks": blocks})
		case slack.InteractionCallback:
			c.Ack(*evt.Request)
			clicks <- data
		}
	})
	ctx := waitCtx(t)
	res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "discount 600")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Message.Ephemeral || len(res.Message.Buttons()) != 1 {
		t.Fatalf("reply = %+v", res.Message)
	}
	if _, err := emu.Click(ctx, "U0DAVE", res.Message, "Yes"); err != nil {
		t.Fatal(err)
	}
	cb := <-clicks
	if !cb.Container.IsEphemeral || cb.Container.MessageTs != res.Message.TS {
		t.Errorf("container = %+v", cb.Container)
	}
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()))
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Logged", false)); err != nil {
		t.Fatal(err)
	}
	eph := emu.Ephemerals("U0DAVE")
	if len(eph) != 1 || eph[0].Text != "Logged" || eph[0].Updated != 1 || len(eph[0].Buttons()) != 0 {
		t.Errorf("ephemerals = %+v, want the reply replaced", eph)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(cb.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if eph := emu.Ephemerals("U0DAVE"); len(eph) != 0 {
		t.Errorf("ephemerals after delete_original = %+v", eph)
	}
}

func TestPingsKeepConnectionAlive(t *testing.T) {
	emu := newEmu(t, slackemu.Options{PingInterval: 50 * time.Millisecond})
	// slack-go drops a connection that saw no ping for its ping interval.
	startBot(t, emu, nil, socketmode.OptionPingInterval(300*time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	if err := emu.WaitCalls(ctx, "apps.connections.open", 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("client reconnected (err %v); pings did not keep the connection alive", err)
	}
}

// A double click sends two clicks of the view as it was, each with its own
// trigger, even when the first one's handler has already taken the button
// away.
func TestDoubleClickInViewClicksTheSameViewTwice(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	triggers := make(chan string, 4)
	publish := func(c *socketmode.Client, user string, withButton bool) {
		blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "One commitment", false, false), nil, nil)}
		if withButton {
			blocks = append(blocks, slack.NewActionBlock("b", slack.NewButtonBlockElement("done", "C1", slack.NewTextBlockObject(slack.PlainTextType, "Done", false, false))))
		}
		if _, err := c.PublishViewContext(context.Background(), slack.PublishViewContextRequest{UserID: user, View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}}); err != nil {
			t.Errorf("views.publish: %v", err)
		}
	}
	startBot(t, emu, func(c *socketmode.Client, evt socketmode.Event) {
		switch data := evt.Data.(type) {
		case slackevents.EventsAPIEvent:
			c.Ack(*evt.Request)
			if ev, ok := data.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
				publish(c, ev.User, true)
			}
		case slack.InteractionCallback:
			publish(c, data.User.ID, false) // the button goes before the ack
			c.Ack(*evt.Request)
			triggers <- data.TriggerID
		}
	})
	ctx := waitCtx(t)
	if _, err := emu.OpenHome(ctx, "U0DAVE"); err != nil {
		t.Fatal(err)
	}
	home, err := emu.WaitHome(ctx, "U0DAVE", func(v slackemu.View) bool { return len(v.Buttons()) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	acks, err := emu.DoubleClickInView(ctx, "U0DAVE", home.ID, "Done")
	if err != nil || len(acks) != 2 {
		t.Fatalf("DoubleClickInView = %d acks, %v; want 2", len(acks), err)
	}
	a, b := <-triggers, <-triggers
	if a == "" || a == b {
		t.Errorf("triggers %q and %q; want two different ones", a, b)
	}
	if _, err := emu.ClickInView(ctx, "U0DAVE", home.ID, "Done"); err == nil {
		t.Error("a third click found the Done button the bot took away")
	}
}
