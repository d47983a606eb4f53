// Package e2e tests the product from the outside, the way a Slack workspace
// sees it: a real redis-server, the local Slack emulator speaking Socket Mode
// and the Web API, and the bot wired exactly as `empowerbot run` wires it.
package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/bot"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

func TestHelpIsAnsweredInTheAck(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	res := env.Command(apptest.Dave, "help")
	if res.ResponseType != "ephemeral" {
		t.Errorf("response_type = %q, want ephemeral", res.ResponseType)
	}
	if res.Ack.Attempt != 0 {
		t.Errorf("help was acked on attempt %d, want the first delivery", res.Ack.Attempt)
	}
	text := res.AllText()
	for _, sub := range []string{"/empower log", "praise", "win", "commit", "ask", "commitments", "outcome", "feedback", "box", "stats", "help"} {
		if !strings.Contains(text, sub) {
			t.Errorf("help does not mention %q:\n%s", sub, text)
		}
	}
	// The answer travelled in the ack: nothing was posted through the Web API.
	if n := env.Emu.CallCount("chat.postMessage") + env.Emu.CallCount("chat.postEphemeral"); n != 0 {
		t.Errorf("help made %d post calls, want 0 (answered in the ack)", n)
	}
}

func TestUnknownSubcommandGetsAnErrorAndTheUsage(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	res := env.Command(apptest.Dave, "frobnicate the widgets")
	text := res.AllText()
	if !strings.Contains(text, "frobnicate") || !strings.Contains(text, "/empower help") {
		t.Errorf("reply = %q, want it to name \"frobnicate\" and point to /empower help", text)
	}
	if !strings.Contains(strings.ToLower(text), "usage") {
		t.Errorf("reply = %q, want the usage line", text)
	}
}

func TestRedeliveredEnvelopeIsAckedButHandledOnce(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	res := env.Command(apptest.Dave, "help")
	if res.Text == "" {
		t.Fatal("first delivery got no reply")
	}
	ack, err := env.Emu.Redeliver(env.Ctx(), res.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	if got := ackText(t, ack); got != res.Text {
		t.Errorf("redelivery answered %q, want the first answer %q (the person may never have seen it)", got, res.Text)
	}
	if err := apptest.WaitFor(5*time.Second, func() bool { return len(env.Logs.Lines(`"outcome":"duplicate"`)) == 1 }); err != nil {
		t.Errorf("duplicate log lines = %d, want 1", len(env.Logs.Lines(`"outcome":"duplicate"`)))
	}
}

func TestHandlerPanicIsRecoveredAndTheBotGoesOn(t *testing.T) {
	env := apptest.Start(t, apptest.Options{
		ExtraRoutes: func(r *bot.Router, _ *handlers.Handlers) {
			r.Slash("boom", func(context.Context, *handlers.Command) (*handlers.Reply, error) {
				panic("boom")
			})
		},
	})
	res := env.Command(apptest.Dave, "boom")
	if !strings.Contains(res.AllText(), "Sorry") {
		t.Errorf("reply to a panicking handler = %q, want an apology", res.AllText())
	}
	panicLogged := func() bool {
		lines := env.Logs.Lines(`"outcome":"panic"`)
		return len(lines) == 1 && strings.Contains(lines[0], "stack")
	}
	// The log line is written after the reply is sent, so wait for it.
	if err := apptest.WaitFor(5*time.Second, panicLogged); err != nil {
		t.Errorf("panic log lines = %q, want one with the stack", env.Logs.Lines(`"outcome":"panic"`))
	}
	if res := env.Command(apptest.Dave, "help"); !strings.Contains(res.AllText(), "/empower box") {
		t.Errorf("help after the panic = %q, want the help", res.AllText())
	}
}

func TestReconnectsAfterRefreshRequested(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	opens := env.Emu.CallCount("apps.connections.open")
	env.Emu.Disconnect("refresh_requested")
	ctx := env.Ctx()
	if err := apptest.WaitFor(10*time.Second, func() bool {
		return env.Emu.CallCount("apps.connections.open") > opens && env.Emu.Connections() == 1
	}); err != nil {
		t.Fatalf("bot did not reconnect: %v", err)
	}
	res, err := env.Emu.SlashCommand(ctx, apptest.Dave, apptest.General, "help")
	if err != nil || !strings.Contains(res.AllText(), "/empower box") {
		t.Fatalf("help after reconnect = %q, %v", res.AllText(), err)
	}
}

func TestUnparseableEnvelopeIsStillAcked(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	id := env.Emu.SendRaw([]byte(`{"envelope_id":"bad-1","type":"something_new","payload":{"x":1}}`))
	if _, err := env.Emu.WaitAck(env.Ctx(), id); err != nil {
		t.Fatalf("unparseable envelope not acked: %v", err)
	}
}

func TestReadyzFollowsRedisWhileHealthzStaysUp(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	env := apptest.Start(t, apptest.Options{Redis: rs, HTTP: true})
	base := "http://" + env.Bots()[0].App.HTTPAddr()
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz = %d, want 200", got)
	}
	env.Command(apptest.Dave, "help")
	rs.Stop()
	if err := apptest.WaitFor(10*time.Second, func() bool { return status("/readyz") == http.StatusServiceUnavailable }); err != nil {
		t.Fatalf("/readyz did not turn 503 with Redis down: %v", err)
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz with Redis down = %d, want 200", got)
	}
	rs.Restart()
	if err := apptest.WaitFor(15*time.Second, func() bool { return status("/readyz") == http.StatusOK }); err != nil {
		t.Fatalf("/readyz did not recover when Redis came back: %v", err)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, name := range []string{"empowerbot_envelopes_total", "empowerbot_ack_latency_seconds", "empowerbot_slack_api_calls_total", "empowerbot_redis_errors_total"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func TestInvalidBotTokenStopsStartUpClearly(t *testing.T) {
	rs := redistest.Start(t)
	emu := slackemu.Start(t, slackemu.Options{})
	_, err := app.New(t.Context(), app.Options{
		AppToken: emu.AppToken(), BotToken: "xoxb-wrong", APIURL: emu.URL(),
		RedisOptions: store.ClientOptions{URL: rs.URL()}, KeyPrefix: rs.Prefix(t),
		Policy: apptest.Start(t, apptest.Options{NoBot: true}).Policy,
	})
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "xoxb-wrong") {
		t.Fatalf("app.New with a wrong token = %v, want a clear invalid_auth error without the token", err)
	}
}

func TestAckInTimeWhileRedisHangs(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	env := apptest.Start(t, apptest.Options{Redis: rs})
	info, err := rs.Client(t).Info(t.Context(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	pid := 0
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		t.Fatal("no process_id in INFO server")
	}
	// Freeze redis-server: connections stay open but nothing answers.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	res := env.Command(apptest.Dave, "help")
	if res.Ack.Attempt != 0 {
		t.Errorf("help with Redis frozen was acked on attempt %d, want the first delivery (within Slack's 3s)", res.Ack.Attempt)
	}
	if !strings.Contains(res.AllText(), "/empower box") {
		t.Errorf("help with Redis frozen = %q, want the help", res.AllText())
	}
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if res := env.Command(apptest.Dave, "help"); !strings.Contains(res.AllText(), "/empower box") {
		t.Errorf("help after Redis thawed = %q", res.AllText())
	}
}

func TestOneLogLinePerEnvelopeWithoutText(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	env.Command(apptest.Dave, "help secret-words-here")
	var lines []string
	if err := apptest.WaitFor(5*time.Second, func() bool {
		lines = env.Logs.Lines(`"msg":"envelope"`)
		return len(lines) == 1
	}); err != nil {
		t.Fatalf("envelope log lines = %d, want 1: %q", len(lines), lines)
	}
	// help takes no words after it: refused (its reply quotes the words, the log line never does).
	for _, want := range []string{`"type":"slash_commands"`, `"user":"U0DAVE"`, `"route":"help"`, `"ack_ms":`, `"outcome":"refused"`, `"envelope_id":`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}
	logs := env.Logs.String()
	for _, secret := range []string{"secret-words-here", env.Emu.BotToken(), env.Emu.AppToken()} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}
