package slackapi

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
)

// FuzzDropMessage: for any JSON object, the answer without its echo is
// JSON again, holds every other member as it was, and no top-level
// "message"; any other JSON is left as it came. (What is not JSON at all
// only has to come through without a panic: slack-go refuses it either
// way, unless all that was wrong is inside the echo, which nobody reads.)
func FuzzDropMessage(f *testing.F) {
	for _, s := range []string{
		`{"ok":true,"channel":"D1","ts":"1","message":{"text":"a \"}\" b","blocks":[{"x":[1,2,{"y":"]"}]}]}}`,
		`{"message":{},"ok":true}`, `{"mess\u0061ge":1}`, `{"a":"message","message":null}`, `{}`, ` { } `,
		`{"ok":true,"message":`, `[1]`, `"message"`, `{"message":1,"message":2}`, `{"a":-1.5e3,"b":false,"message":true}`,
		`{"a":{"message":1}}`, "{\"a\":\"\\\\\",\"message\":\"\\\\\\\"\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := dropMessage(body)
		if !json.Valid(body) {
			return
		}
		var in map[string]any
		if json.Unmarshal(body, &in) != nil || in == nil {
			if string(got) != string(body) {
				t.Fatalf("dropMessage(%q) = %q, want it left alone (not a JSON object)", body, got)
			}
			return
		}
		var out map[string]any
		if err := json.Unmarshal(got, &out); err != nil {
			t.Fatalf("dropMessage(%q) = %q: not JSON: %v", body, got, err)
		}
		want := maps.Clone(in)
		delete(want, "message")
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("dropMessage(%q) = %q, want the members %v", body, got, want)
		}
		if _, echoed := in["message"]; !echoed && string(got) != string(body) {
			t.Fatalf("dropMessage(%q) = %q: changed an answer with no echo", body, got)
		}
	})
}

// BenchmarkDropMessage cuts the echo out of an answer the size of a
// decision card's.
func BenchmarkDropMessage(b *testing.B) {
	block := `{"type":"section","block_id":"b%d","text":{"type":"mrkdwn","text":"*Dana Diaz* wants to give a *$900* discount to *ACME*: \"travel charge waived\", the customer was kept waiting 3 hours","verbatim":false}},`
	var blocks strings.Builder
	for i := range 8 {
		blocks.WriteString(strings.Replace(block, "%d", string(rune('0'+i)), 1))
	}
	body := []byte(`{"ok":true,"channel":"C0ESCALATE","ts":"1700000000.000100","message":{"type":"message","user":"U0BOT","bot_id":"B0BOT","text":"Decision needs you","ts":"1700000000.000100","blocks":[` +
		strings.TrimSuffix(blocks.String(), ",") + `],"metadata":{"event_type":"empower_card","event_payload":{"decision":"d-1"}}},"response_metadata":{"warnings":[]}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if len(dropMessage(body)) >= len(body) {
			b.Fatal("nothing cut")
		}
	}
}
