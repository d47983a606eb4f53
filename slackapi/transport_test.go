package slackapi_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slackemu"
)

func TestRateLimitedCallIsRetriedNotDropped(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "general")
	m := metrics.New()
	api, _ := slackapi.New(slackapi.Config{BotToken: emu.BotToken(), APIURL: emu.URL(), Metrics: m})
	emu.InjectRateLimit("chat.postMessage", 2, time.Second)

	// Two calls at once: both wait out the pause and both are delivered.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("hello", false))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := len(emu.Messages("C1")); got != 2 {
		t.Fatalf("messages delivered = %d, want 2", got)
	}
	if got := testutil.ToFloat64(m.SlackCalls.WithLabelValues("chat.postMessage", "rate_limited")); got != 2 {
		t.Errorf("rate_limited count = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.SlackCalls.WithLabelValues("chat.postMessage", "ok")); got != 2 {
		t.Errorf("ok count = %v, want 2", got)
	}
	// The retries came after the Retry-After had passed.
	calls := emu.Calls("chat.postMessage")
	first, last := calls[0].Time, calls[len(calls)-1].Time
	if last.Sub(first) < time.Second {
		t.Errorf("retried after %v, want at least the 1s Retry-After", last.Sub(first))
	}
}

func TestSlackErrorsAreCountedByCode(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	m := metrics.New()
	api, _ := slackapi.New(slackapi.Config{BotToken: emu.BotToken(), APIURL: emu.URL(), Metrics: m})
	_, _, err := api.PostMessageContext(t.Context(), "C404", slack.MsgOptionText("x", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Fatalf("post to a missing channel = %v, want channel_not_found", err)
	}
	if got := testutil.ToFloat64(m.SlackCalls.WithLabelValues("chat.postMessage", "channel_not_found")); got != 1 {
		t.Errorf("channel_not_found count = %v, want 1", got)
	}
}

func TestPacingHoldsTheConfiguredRate(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	api, _ := slackapi.New(slackapi.Config{
		BotToken: emu.BotToken(), APIURL: emu.URL(), Pacing: true,
		Limits: map[string]rate.Limit{"auth.test": 20},
	})
	for i := 0; i < 30; i++ {
		if _, err := api.AuthTestContext(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	calls := emu.Calls("auth.test")
	// 30 calls at 20/s with a burst of 20 need at least 0.5s between the first and the last.
	if span := calls[len(calls)-1].Time.Sub(calls[0].Time); span < 450*time.Millisecond {
		t.Errorf("30 paced calls took %v, want them spread at 20/s", span)
	}
}

func TestMethodOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://slack.com/api/chat.postMessage":   "chat.postMessage",
		"http://127.0.0.1:1234/api/views.open?x=1": "views.open",
		"http://127.0.0.1:1234/upload/abc":         "upload",
		"http://127.0.0.1:1234/response/42":        "hooks.response_url",
		"https://hooks.slack.com/commands/T1/2/3":  "hooks.response_url",
	} {
		if got := slackapi.MethodOf(in); got != want {
			t.Errorf("MethodOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdempotentCallIsRetriedAfter5xx(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "general")
	api, _ := slackapi.New(slackapi.Config{BotToken: emu.BotToken(), APIURL: emu.URL()})
	_, ts, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	emu.InjectStatus("chat.update", 2, 503)
	if _, _, _, err := api.UpdateMessageContext(t.Context(), "C1", ts, slack.MsgOptionText("after", false)); err != nil {
		t.Fatalf("chat.update after two 503s: %v", err)
	}
	if m, _ := emu.Message("C1", ts); m.Text != "after" {
		t.Errorf("message = %q, want it updated", m.Text)
	}
	if n := len(emu.Calls("chat.update")); n != 3 {
		t.Errorf("chat.update calls = %d, want 3", n)
	}

	// Bounded: three 503s in a row fail the call.
	emu.InjectStatus("chat.update", 3, 503)
	if _, _, _, err := api.UpdateMessageContext(t.Context(), "C1", ts, slack.MsgOptionText("again", false)); slackapi.Classify(err) != slackapi.Retryable {
		t.Errorf("chat.update after three 503s = %v, want a retryable error", err)
	}

	// Reads and conversations.open are retried too: a DM is not lost
	// because Slack answered 503 to the opening of its channel.
	emu.AddUser(slackemu.User{ID: "U1", Name: "dave"})
	emu.InjectStatus("conversations.open", 1, 503)
	emu.InjectStatus("users.info", 2, 503)
	if _, _, _, err := api.OpenConversationContext(t.Context(), &slack.OpenConversationParameters{Users: []string{"U1"}}); err != nil {
		t.Errorf("conversations.open after a 503: %v", err)
	}
	if _, err := api.GetUserInfoContext(t.Context(), "U1"); err != nil {
		t.Errorf("users.info after two 503s: %v", err)
	}

	// A post is never repeated on a 5xx: the first one may have posted.
	emu.InjectStatus("chat.postMessage", 1, 503)
	if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false)); err == nil {
		t.Error("chat.postMessage after a 503 succeeded; want the error (posts are not retried)")
	}
	if n := len(emu.Calls("chat.postMessage")); n != 2 {
		t.Errorf("chat.postMessage calls = %d, want 2", n)
	}
}

// hangOnce is a transport whose first call hangs until its request ends.
type hangOnce struct {
	base http.RoundTripper
	mu   sync.Mutex
	hung bool
}

func (h *hangOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	first := !h.hung
	h.hung = true
	h.mu.Unlock()
	if first {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return h.base.RoundTrip(r)
}

func TestIdempotentCallIsRetriedAfterATimeout(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	emu.AddChannel("C1", "general")
	api, _ := slackapi.New(slackapi.Config{BotToken: emu.BotToken(), APIURL: emu.URL()})
	_, ts, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	tr := slackapi.NewTransport(slackapi.Options{Base: &hangOnce{base: http.DefaultTransport}, AttemptTimeout: 100 * time.Millisecond})
	defer tr.CloseIdleConnections()
	slow := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()), slack.OptionHTTPClient(&http.Client{Transport: tr}))
	if _, _, _, err := slow.UpdateMessageContext(t.Context(), "C1", ts, slack.MsgOptionText("after", false)); err != nil {
		t.Fatalf("chat.update after a timed-out attempt: %v", err)
	}
	if m, _ := emu.Message("C1", ts); m.Text != "after" {
		t.Errorf("message = %q, want it updated", m.Text)
	}
}
