package slackapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/slackapi"
)

// answerWith is a base transport that answers every call with body.
type answerWith string

func (a answerWith) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {"999"}},
		Body:          io.NopCloser(strings.NewReader(string(a))),
		ContentLength: int64(len(a)),
		Request:       r,
	}, nil
}

// A card's answer, as chat.postMessage and chat.update give it: the whole
// message comes back.
const cardAnswer = `{"ok":true,"channel":"D1","ts":"1700000000.000100","text":"Decision needs you",` +
	`"message":{"type":"message","text":"Decision needs you","ts":"1700000000.000100","blocks":[` +
	`{"type":"section","text":{"type":"mrkdwn","text":"*Dana* wants to give a *$700* discount to ACME"}},` +
	`{"type":"actions","elements":[` +
	`{"type":"button","action_id":"approve","text":{"type":"plain_text","text":"Approve"},"value":"d1"},` +
	`{"type":"button","action_id":"escalate","text":{"type":"plain_text","text":"Escalate"},"value":"d1"},` +
	`{"type":"button","action_id":"decline","text":{"type":"plain_text","text":"Decline"},"value":"d1"}]}]}}`

func roundTrip(t *testing.T, tr *slackapi.Transport, method string) map[string]json.RawMessage {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://slack.test/api/"+method, strings.NewReader("channel=D1"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip(%s): %v", method, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != int64(len(body)) || resp.Header.Get("Content-Length") == "999" {
		t.Errorf("%s: ContentLength %d, header %q for a %d-byte body", method, resp.ContentLength, resp.Header.Get("Content-Length"), len(body))
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: answer %q is not JSON: %v", method, body, err)
	}
	return got
}

// The answers that repeat the sent message reach slack-go without it (the
// bot needs channel and ts only); every other field, and other methods'
// answers, are left as Slack sent them.
func TestEchoedMessageIsDroppedFromTheAnswer(t *testing.T) {
	for _, method := range []string{"chat.postMessage", "chat.update"} {
		tr := slackapi.NewTransport(slackapi.Options{Base: answerWith(cardAnswer), Metrics: metrics.New()})
		got := roundTrip(t, tr, method)
		if _, ok := got["message"]; ok {
			t.Errorf("%s: the answer still holds the echoed message", method)
		}
		for k, want := range map[string]string{"ok": `true`, "channel": `"D1"`, "ts": `"1700000000.000100"`, "text": `"Decision needs you"`} {
			if string(got[k]) != want {
				t.Errorf("%s: %s = %s, want %s", method, k, got[k], want)
			}
		}
	}
	// Without metrics too: the trimming does not depend on counting.
	tr := slackapi.NewTransport(slackapi.Options{Base: answerWith(cardAnswer)})
	if _, ok := roundTrip(t, tr, "chat.postMessage")["message"]; ok {
		t.Error("chat.postMessage without metrics: the echoed message is still there")
	}
	// conversations.history's messages are what the caller asked for.
	history := `{"ok":true,"message":{"text":"kept"},"messages":[]}`
	tr = slackapi.NewTransport(slackapi.Options{Base: answerWith(history), Metrics: metrics.New()})
	if got := roundTrip(t, tr, "conversations.history"); string(got["message"]) != `{"text":"kept"}` {
		t.Errorf("conversations.history: message = %s, want it left alone", got["message"])
	}
}

// The echoed message is cut out wherever it stands in the answer, however
// the answer is laid out, and only at the top level; an answer that is
// not a JSON object reaches slack-go as it came.
func TestEchoedMessageIsCutWhereverItStands(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"first", `{"message":{"ts":"1"},"ok":true,"ts":"1"}`, `{"ok":true,"ts":"1"}`},
		{"middle", `{"ok":true,"message":{"ts":"1","blocks":[{"a":"}"}]},"ts":"1"}`, `{"ok":true,"ts":"1"}`},
		{"last", `{"ok":true,"ts":"1","message":{"ts":"1"}}`, `{"ok":true,"ts":"1"}`},
		{"only", `{"message":{}}`, `{}`},
		{"twice", `{"message":1,"ok":true,"message":2,"ts":"1"}`, `{"ok":true,"ts":"1"}`},
		{"spaced", "{\n  \"ok\" : true ,\n  \"message\" : { \"text\" : \"a, b\" } ,\n  \"ts\" : \"1\"\n}\n", `{"ok":true,"ts":"1"}`},
		{"nested is kept", `{"ok":true,"response_metadata":{"message":"kept"}}`, `{"ok":true,"response_metadata":{"message":"kept"}}`},
		{"escaped key", `{"ok":true,"mess\u0061ge":{"ts":"1"},"ts":"1"}`, `{"ok":true,"ts":"1"}`},
		{"no message", `{"ok":false,"error":"channel_not_found"}`, `{"ok":false,"error":"channel_not_found"}`},
		{"not JSON", `{"ok":true,"message":`, `{"ok":true,"message":`},
		{"not an object", `[1,2]`, `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := slackapi.NewTransport(slackapi.Options{Base: answerWith(tt.body), Metrics: metrics.New()})
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://slack.test/api/chat.postMessage", strings.NewReader("channel=D1"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if compact(got) != compact([]byte(tt.want)) {
				t.Errorf("answer %s, want %s", got, tt.want)
			}
			if resp.ContentLength != int64(len(got)) {
				t.Errorf("ContentLength %d for %d bytes", resp.ContentLength, len(got))
			}
		})
	}
}

// compact is b without insignificant white space, or b when it is not JSON.
func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// slack-go still reads channel, ts, text and errors from the trimmed
// answers.
func TestSlackGoReadsTheTrimmedAnswer(t *testing.T) {
	api, _ := newAPI(answerWith(cardAnswer))
	ch, ts, err := api.PostMessageContext(t.Context(), "D1", slack.MsgOptionText("Decision needs you", false))
	if err != nil || ch != "D1" || ts != "1700000000.000100" {
		t.Fatalf("PostMessageContext = %q, %q, %v; want D1, 1700000000.000100, nil", ch, ts, err)
	}
	ch, ts, text, err := api.UpdateMessageContext(t.Context(), "D1", ts, slack.MsgOptionText("Approved", false))
	if err != nil || ch != "D1" || ts != "1700000000.000100" || text != "Decision needs you" {
		t.Fatalf("UpdateMessageContext = %q, %q, %q, %v", ch, ts, text, err)
	}
	api, _ = newAPI(answerWith(`{"ok":false,"error":"channel_not_found"}`))
	if _, _, err := api.PostMessageContext(t.Context(), "D1", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("PostMessageContext error = %v, want channel_not_found", err)
	}
}

func newAPI(base http.RoundTripper) (*slack.Client, *slackapi.Transport) {
	tr := slackapi.NewTransport(slackapi.Options{Base: base, Metrics: metrics.New()})
	return slack.New("xoxb-test", slack.OptionHTTPClient(&http.Client{Transport: tr}), slack.OptionAPIURL("http://slack.test/api/")), tr
}

// BenchmarkPostCard is the client side of posting a decision card: slack-go
// encoding the call, the transport, and decoding Slack's answer.
func BenchmarkPostCard(b *testing.B) {
	api, _ := newAPI(answerWith(cardAnswer))
	blocks := slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Dana* wants to give a *$700* discount to ACME", false, false), nil, nil),
		slack.NewActionBlock("decide",
			slack.NewButtonBlockElement("approve", "d1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)),
			slack.NewButtonBlockElement("escalate", "d1", slack.NewTextBlockObject(slack.PlainTextType, "Escalate", false, false)),
			slack.NewButtonBlockElement("decline", "d1", slack.NewTextBlockObject(slack.PlainTextType, "Decline", false, false))),
	)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := api.PostMessageContext(ctx, "D1", blocks, slack.MsgOptionText("Decision needs you", false)); err != nil {
			b.Fatal(err)
		}
	}
}
