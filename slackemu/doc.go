// Package slackemu is an in-process fake of Slack for end-to-end tests, benchmarks and the
// sandbox: the Web API (chat.*, views.*, conversations.*, users.*, usergroups.*, files.*,
// auth.test), Socket Mode (apps.connections.open and the WebSocket with hello, envelopes, acks,
// redelivery, disconnect and pings), response URLs and file uploads. A bot under test talks to
// it with the real slack-go client through slack.OptionAPIURL(emu.URL()); the test acts as the
// people of the workspace (SlashCommand, Click, SubmitView, OpenHome) and reads what they would
// see (Messages, DMs, Ephemerals, OpenViews, Home), waiting with WaitMessage, WaitDM, WaitView.
//
// It rejects what Slack rejects: wrong tokens (invalid_auth, not_allowed_token_type), unknown
// channels and users, Block Kit over Slack's limits (invalid_blocks for messages,
// invalid_arguments for views, each with a "[ERROR] … [json-pointer:…]" message in
// response_metadata.messages), used or expired trigger_ids. InjectRateLimit and InjectError make
// chosen calls fail; SetRateLimit enforces a real per-method limit.
//
// A test of the bot through the emulator:
//
//	func TestHelp(t *testing.T) {
//		emu := slackemu.Start(t, slackemu.Options{
//			Users:    []slackemu.User{{ID: "U0DAVE", Name: "dave", TZ: "America/Chicago"}},
//			Channels: []slackemu.Channel{{ID: "C0GENERAL", Name: "general"}},
//		})
//		// Start the bot with SLACK_API_URL=emu.URL(), SLACK_APP_TOKEN=emu.AppToken(),
//		// SLACK_BOT_TOKEN=emu.BotToken(), then wait for its socket:
//		ctx := t.Context()
//		if err := emu.WaitConnections(ctx, 1); err != nil {
//			t.Fatal(err)
//		}
//		res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "help")
//		if err != nil {
//			t.Fatal(err)
//		}
//		if !strings.Contains(res.AllText(), "/empower box") {
//			t.Errorf("help reply = %q, want the usage of every subcommand", res.AllText())
//		}
//		if got := res.Ack.Latency; got > 3*time.Second {
//			t.Errorf("ack after %v, Slack gives up after 3s", got)
//		}
//	}
//
// Clicking a button of a message the bot posted, then waiting for the update:
//
//	msg, err := emu.WaitMessage(ctx, "C0ESCALATE", nil)
//	...
//	if _, err := emu.Click(ctx, "U0BOB", msg, "Approve"); err != nil {
//		t.Fatal(err)
//	}
//	msg, err = emu.WaitMessage(ctx, "C0ESCALATE", func(m slackemu.Message) bool {
//		return m.TS == msg.TS && len(m.Buttons()) == 0
//	})
//
// Submitting a modal the bot opened:
//
//	v, err := emu.WaitView(ctx, "U0DAVE", func(v slackemu.View) bool { return v.CallbackID == "decline" })
//	...
//	ack, err := emu.SubmitView(ctx, "U0BOB", v.ID, slackemu.Values{}.Set("reason", "reason", "over budget"))
//
// Every envelope not acknowledged within Options.AckTimeout (3s) is redelivered with a new
// envelope_id, retry_attempt+1 and retry_reason "timeout", up to Options.MaxRetries (3) times,
// to the next connection (round robin over all connections, like Slack with several replicas).
// Redeliver forces a redelivery of an envelope already acknowledged.
//
// Every Web API call is recorded (Calls, CallCount) and every state change is published to
// Subscribe, for the sandbox's live page. All methods are safe for concurrent use.
package slackemu
