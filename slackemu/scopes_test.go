package slackemu_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/empowerbot/empowerbot/slackemu"
)

// Every method the bot calls that needs a scope answers missing_scope,
// naming the scope it needs, when the token lacks it, as Slack does; with
// every scope of the manifest it answers.
func TestMissingScope(t *testing.T) {
	emu := newEmu(t, slackemu.Options{})
	emu.AddPrivateChannel("C0PRIVATE", "leaders")
	tests := []struct {
		method, scope string
		vals          url.Values
	}{
		{"chat.postMessage", "chat:write", url.Values{"channel": {"C0GENERAL"}, "text": {"hi"}}},
		{"chat.postEphemeral", "chat:write", url.Values{"channel": {"C0GENERAL"}, "user": {"U0DAVE"}, "text": {"hi"}}},
		{"conversations.open", "im:write", url.Values{"users": {"U0DAVE"}}},
		{"conversations.info", "channels:read", url.Values{"channel": {"C0GENERAL"}}},
		{"conversations.info", "groups:read", url.Values{"channel": {"C0PRIVATE"}}},
		{"conversations.history", "channels:history", url.Values{"channel": {"C0GENERAL"}}},
		{"conversations.history", "groups:history", url.Values{"channel": {"C0PRIVATE"}}},
		{"conversations.replies", "channels:history", url.Values{"channel": {"C0GENERAL"}, "ts": {"1.2"}}},
		{"users.info", "users:read", url.Values{"user": {"U0DAVE"}}},
		{"users.list", "users:read", url.Values{}},
		{"usergroups.list", "usergroups:read", url.Values{}},
		{"files.getUploadURLExternal", "files:write", url.Values{"filename": {"a.csv"}, "length": {"3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.scope, func(t *testing.T) {
			emu.SetScopes(slices.DeleteFunc(slices.Clone(slackemu.DefaultScopes), func(s string) bool { return s == tt.scope })...)
			out := postForm(t, emu, tt.method, tt.vals)
			if out["error"] != "missing_scope" || out["needed"] != tt.scope {
				t.Errorf("%s without %s = %v, want missing_scope needing %s", tt.method, tt.scope, out, tt.scope)
			}
			emu.SetScopes()
			if out := postForm(t, emu, tt.method, tt.vals); out["error"] == "missing_scope" {
				t.Errorf("%s with the manifest's scopes = %v", tt.method, out)
			}
		})
	}
}
