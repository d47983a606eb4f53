package slackemu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/slackemu"
)

// postForm calls a Web API method the way slack-go does for chat.* and returns the decoded answer.
func postForm(t *testing.T, emu *slackemu.Server, method string, vals url.Values) map[string]any {
	t.Helper()
	if vals.Get("token") == "" {
		vals.Set("token", emu.BotToken())
	}
	resp, err := http.PostForm(emu.URL()+method, vals)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: decode: %v", method, err)
	}
	return out
}

func messages(out map[string]any) string {
	md, _ := out["response_metadata"].(map[string]any)
	b, _ := json.Marshal(md["messages"])
	return string(b)
}

func TestBlockKitLimits(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	rep := strings.Repeat
	button := func(text, actionID, value string) string {
		return fmt.Sprintf(`{"type":"button","text":{"type":"plain_text","text":%q},"action_id":%q,"value":%q}`, text, actionID, value)
	}
	options := func(n int, text, value string) string {
		var o []string
		for i := range n {
			o = append(o, fmt.Sprintf(`{"text":{"type":"plain_text","text":%q},"value":"%s%d"}`, text, value, i))
		}
		return "[" + strings.Join(o, ",") + "]"
	}
	elements := func(n int, el func(i int) string) string {
		var e []string
		for i := range n {
			e = append(e, el(i))
		}
		return strings.Join(e, ",")
	}
	mrkdwn := `{"type":"mrkdwn","text":"x"}`
	tests := []struct {
		name   string
		blocks string
		want   string // "" for ok, else a part of the error message
	}{
		{"section ok", `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`, ""},
		{"section empty text", `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, "/blocks/0/text/text"},
		{"section neither", `[{"type":"section"}]`, "text or fields"},
		{"11 fields", `[{"type":"section","fields":[` + elements(11, func(int) string { return mrkdwn }) + `]}]`, "/blocks/0/fields"},
		{"field 2001", `[{"type":"section","fields":[{"type":"mrkdwn","text":"` + rep("f", 2001) + `"}]}]`, "/blocks/0/fields/0/text"},
		{"header 150", `[{"type":"header","text":{"type":"plain_text","text":"` + rep("h", 150) + `"}}]`, ""},
		{"header 151", `[{"type":"header","text":{"type":"plain_text","text":"` + rep("h", 151) + `"}}]`, "/blocks/0/text/text"},
		{"header mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]`, "must be plain_text"},
		{"context 10", `[{"type":"context","elements":[` + elements(10, func(int) string { return mrkdwn }) + `]}]`, ""},
		{"context 11", `[{"type":"context","elements":[` + elements(11, func(int) string { return mrkdwn }) + `]}]`, "/blocks/0/elements"},
		{"actions 25", `[{"type":"actions","elements":[` + elements(25, func(i int) string { return button("b", fmt.Sprint("a", i), "") }) + `]}]`, ""},
		{"actions 26", `[{"type":"actions","elements":[` + elements(26, func(i int) string { return button("b", fmt.Sprint("a", i), "") }) + `]}]`, "/blocks/0/elements"},
		{"button text 76", `[{"type":"actions","elements":[` + button(rep("b", 76), "a", "") + `]}]`, "/blocks/0/elements/0/text/text"},
		{"button value 2000", `[{"type":"actions","elements":[` + button("b", "a", rep("v", 2000)) + `]}]`, ""},
		{"action_id 256", `[{"type":"actions","elements":[` + button("b", rep("a", 256), "") + `]}]`, "/blocks/0/elements/0/action_id"},
		{"duplicate action_id", `[{"type":"actions","elements":[` + button("b", "a", "") + `,` + button("c", "a", "") + `]}]`, "duplicate action_id"},
		{"block_id 256", `[{"type":"divider","block_id":"` + rep("i", 256) + `"}]`, "/blocks/0/block_id"},
		{"duplicate block_id", `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`, "duplicate block_id"},
		{"unknown block", `[{"type":"carousel"}]`, "unknown block type"},
		{"bad style", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"style":"green"}]}]`, "/style"},
		{"confirm ok", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"confirm":{"title":{"type":"plain_text","text":"Sure?"},"text":{"type":"mrkdwn","text":"Really"},"confirm":{"type":"plain_text","text":"Yes"},"deny":{"type":"plain_text","text":"No"}}}]}]`, ""},
		{"confirm title 101", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"confirm":{"title":{"type":"plain_text","text":"` + rep("t", 101) + `"},"text":{"type":"mrkdwn","text":"Really"},"confirm":{"type":"plain_text","text":"Yes"},"deny":{"type":"plain_text","text":"No"}}}]}]`, "/confirm/title/text"},
		{"confirm missing deny", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"confirm":{"title":{"type":"plain_text","text":"t"},"text":{"type":"mrkdwn","text":"Really"},"confirm":{"type":"plain_text","text":"Yes"}}}]}]`, "/confirm/deny"},
		{"select 100 options", `[{"type":"actions","elements":[{"type":"static_select","options":` + options(100, "o", "v") + `}]}]`, ""},
		{"select 101 options", `[{"type":"actions","elements":[{"type":"static_select","options":` + options(101, "o", "v") + `}]}]`, "/options"},
		{"option text 76", `[{"type":"actions","elements":[{"type":"static_select","options":` + options(1, rep("o", 76), "v") + `}]}]`, "/options/0/text/text"},
		{"option value 150", `[{"type":"actions","elements":[{"type":"static_select","options":` + options(1, "o", rep("v", 149)) + `}]}]`, ""},
		{"option value 151", `[{"type":"actions","elements":[{"type":"static_select","options":` + options(1, "o", rep("v", 150)) + `}]}]`, "/options/0/value"},
		{"unknown block property", `[{"type":"divider","colour":"red"}]`, "invalid additional property: colour"},
		{"unknown text property", `[{"type":"section","text":{"type":"mrkdwn","text":"x","bold":true}}]`, "/blocks/0/text/bold"},
		{"unknown button property", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"colour":"red"}]}]`, "/blocks/0/elements/0/colour"},
		{"numeric block_id", `[{"type":"divider","block_id":12}]`, "/blocks/0/block_id"},
		{"numeric action_id", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"action_id":7}]}]`, "/blocks/0/elements/0/action_id"},
		{"bad button url", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"url":"not a url"}]}]`, "/blocks/0/elements/0/url"},
		{"bad image url", `[{"type":"image","image_url":"ftp//x","alt_text":"a"}]`, "/blocks/0/image_url"},
		{"bad date", `[{"type":"actions","elements":[{"type":"datepicker","initial_date":"2026-02-30"}]}]`, "/initial_date"},
		{"rich_text ok", `[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"x"}]}]}]`, ""},
		{"rich_text empty", `[{"type":"rich_text","elements":[]}]`, "/blocks/0/elements"},
		{"rich_text bad element", `[{"type":"rich_text","elements":[{"type":"paragraph"}]}]`, "/blocks/0/elements/0/type"},
		{"table 101 rows", `[{"type":"table","rows":[` + elements(101, func(int) string { return `[{"type":"raw_text","text":"x"}]` }) + `]}]`, "/blocks/0/rows"},
		{"video missing url", `[{"type":"video","alt_text":"a","title":{"type":"plain_text","text":"t"},"thumbnail_url":"https://x/y.png"}]`, "/blocks/0/video_url"},
		{"file not remote", `[{"type":"file","external_id":"F1","source":"local"}]`, "/blocks/0/source"},
		{"checkboxes 11", `[{"type":"actions","elements":[{"type":"checkboxes","options":` + options(11, "o", "v") + `}]}]`, "/options"},
		{"overflow 6", `[{"type":"section","text":` + mrkdwn + `,"accessory":{"type":"overflow","options":` + options(6, "o", "v") + `}}]`, "/accessory/options"},
		{"input in message", `[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input"}}]`, ""},
		{"input without element", `[{"type":"input","label":{"type":"plain_text","text":"L"}}]`, "/blocks/0/element"},
		{"not an array", `{"type":"divider"}`, "must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := postForm(t, emu, "chat.postMessage", url.Values{"channel": {"C0GENERAL"}, "blocks": {tt.blocks}})
			if tt.want == "" {
				if out["ok"] != true {
					t.Fatalf("answer = %v, want ok", out)
				}
				return
			}
			if out["error"] != "invalid_blocks" || !strings.Contains(messages(out), tt.want) {
				t.Errorf("answer = %v %s, want invalid_blocks naming %q", out["error"], messages(out), tt.want)
			}
		})
	}
}

func TestFilledInIDs(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	out := postForm(t, emu, "chat.postMessage", url.Values{"channel": {"C0GENERAL"},
		"blocks": {`[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Go"}}]}]`}})
	if out["ok"] != true {
		t.Fatal(out)
	}
	b := emu.Messages("C0GENERAL")[0].Buttons()
	if len(b) != 1 || b[0].BlockID == "" || b[0].ActionID == "" {
		t.Errorf("buttons = %+v, want block_id and action_id filled in like Slack", b)
	}
}

func TestWebAPIErrors(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	emu.AddUser(slackemu.User{ID: "U0GONE", Name: "gone", Deleted: true})
	tests := []struct {
		name, method string
		vals         url.Values
		want         string
	}{
		{"unknown method", "chat.nope", url.Values{}, "unknown_method"},
		{"no token", "auth.test", url.Values{"token": {" "}}, "invalid_auth"},
		{"update missing", "chat.update", url.Values{"channel": {"C0GENERAL"}, "ts": {"1.2"}, "text": {"x"}}, "message_not_found"},
		{"delete missing", "chat.delete", url.Values{"channel": {"C0GENERAL"}, "ts": {"1.2"}}, "message_not_found"},
		{"ephemeral unknown user", "chat.postEphemeral", url.Values{"channel": {"C0GENERAL"}, "user": {"U0NOPE"}, "text": {"x"}}, "user_not_found"},
		{"open deleted user", "conversations.open", url.Values{"users": {"U0GONE"}}, "user_disabled"},
		{"open unknown user", "conversations.open", url.Values{"users": {"U0NOPE"}}, "user_not_found"},
		{"unknown group", "usergroups.users.list", url.Values{"usergroup": {"S0NOPE"}}, "no_such_subteam"},
		{"publish unknown user", "views.publish", url.Values{"user_id": {"U0NOPE"}, "view": {`{"type":"home","blocks":[]}`}}, "user_not_found"},
		{"update unknown view", "views.update", url.Values{"view_id": {"V0NOPE"}, "view": {`{"type":"modal","title":{"type":"plain_text","text":"t"},"blocks":[]}`}}, "not_found"},
		{"push without trigger", "views.push", url.Values{"view": {`{"type":"modal","title":{"type":"plain_text","text":"t"},"blocks":[]}`}}, "invalid_arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := postForm(t, emu, tt.method, tt.vals)
			if out["error"] != tt.want {
				t.Errorf("%s = %v, want %s", tt.method, out, tt.want)
			}
		})
	}
	// Permalink and delete of a real message.
	out := postForm(t, emu, "chat.postMessage", url.Values{"channel": {"C0GENERAL"}, "text": {"x"}})
	ts, _ := out["ts"].(string)
	out = postForm(t, emu, "chat.getPermalink", url.Values{"channel": {"C0GENERAL"}, "message_ts": {ts}})
	if p, _ := out["permalink"].(string); !strings.HasPrefix(p, emu.BaseURL()+"archives/C0GENERAL/p") {
		t.Errorf("permalink = %v", out)
	}
	if out := postForm(t, emu, "chat.delete", url.Values{"channel": {"C0GENERAL"}, "ts": {ts}}); out["ok"] != true {
		t.Errorf("delete = %v", out)
	}
	if n := len(emu.Messages("C0GENERAL")); n != 0 {
		t.Errorf("messages after delete = %d", n)
	}
}

// A message whose blocks carry more than about 12,000 characters of text in
// all is refused with msg_blocks_too_long, counted in characters (a
// 3,000-character section of "é" is 3,000, not 6,000 bytes).
func TestMessageBlocksTooLong(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	section := func(s string) string { return `{"type":"section","text":{"type":"mrkdwn","text":"` + s + `"}}` }
	four := strings.Repeat("é", 3000)
	ok := "[" + strings.Join([]string{section(four), section(four), section(four), section(four)}, ",") + "]"
	if out := postForm(t, emu, "chat.postMessage", url.Values{"channel": {"C0GENERAL"}, "blocks": {ok}}); out["ok"] != true {
		t.Errorf("12,000 characters of text in blocks = %v, want ok", out)
	}
	tooLong := "[" + strings.Join([]string{section(four), section(four), section(four), section(four), section("x")}, ",") + "]"
	if out := postForm(t, emu, "chat.postMessage", url.Values{"channel": {"C0GENERAL"}, "blocks": {tooLong}}); out["error"] != "msg_blocks_too_long" {
		t.Errorf("12,001 characters of text in blocks = %v, want msg_blocks_too_long", out)
	}
}

// Views refuse unknown properties too.
func TestViewUnknownProperty(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	out := postForm(t, emu, "views.publish", url.Values{"user_id": {"U0DAVE"}, "view": {`{"type":"home","blocks":[],"colour":"red"}`}})
	if out["error"] != "invalid_arguments" || !strings.Contains(messages(out), "invalid additional property: colour") {
		t.Errorf("views.publish with an unknown property = %v %s", out, messages(out))
	}
}
