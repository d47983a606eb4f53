package slackemu

import (
	"context"
	"slices"
	"strings"
)

// DefaultScopes are the bot token's scopes unless SetScopes changes them:
// those of deploy/slack-app-manifest.yaml (a test in package deploy keeps
// the two equal).
var DefaultScopes = []string{
	"commands", "chat:write", "chat:write.public", "im:write", "im:history", "channels:history", "groups:history",
	"users:read", "usergroups:read", "files:write", "channels:read", "groups:read", "reactions:read",
}

// SetScopes sets the bot token's scopes: auth.test (and every Web API
// answer) reports them in the X-OAuth-Scopes header, as Slack does, and the
// methods below answer missing_scope without the scope they need. No
// argument restores DefaultScopes.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
}

// SetFreePlan puts the workspace on Slack's free plan, which has no user
// groups: usergroups.* answer plan_upgrade_required.
func (s *Server) SetFreePlan(free bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.freePlan = free
}

// SetBotMember says whether the bot is a member of channel (it is of every
// channel unless told otherwise). As in Slack, conversations.info of a
// private channel without the bot answers channel_not_found, and of a
// public one is_member false; the channel methods (chat.postMessage,
// chat.postEphemeral, chat.update, chat.delete, conversations.history) in
// a private channel without the bot answer not_in_channel, whatever the
// scopes (no scope lets a bot into a private channel: only an invitation
// does); in a public one chat.postMessage answers not_in_channel without
// the chat:write.public scope, and conversations.history always; sharing a
// file there is not_in_channel.
func (s *Server) SetBotMember(channel string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channel]; ok {
		c.BotNotMember = !member
	}
}

// scopesLocked are the bot token's scopes.
func (s *Server) scopesLocked() []string {
	if len(s.scopes) == 0 {
		return DefaultScopes
	}
	return s.scopes
}

// scopesHeader is the X-OAuth-Scopes header's value.
func (s *Server) scopesHeader() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.scopesLocked(), ",")
}

// workspaceCheckLocked answers what Slack answers before a method runs for
// this workspace's scopes, plan and memberships, or nil.
func (s *Server) workspaceCheckLocked(method string, p params) *apiError {
	need := ""
	switch method {
	case "conversations.info":
		need = "channels:read"
		if c, ok := s.channels[p.str("channel")]; ok && c.IsPrivate {
			need = "groups:read"
		} else if ok && c.IsIM {
			need = "im:read"
		}
	case "users.info", "users.list":
		need = "users:read"
	case "usergroups.list", "usergroups.users.list":
		need = "usergroups:read"
	case "chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete":
		need = "chat:write"
	case "files.getUploadURLExternal", "files.completeUploadExternal":
		need = "files:write"
	case "conversations.open":
		need = "im:write"
	case "conversations.history", "conversations.replies":
		need = "channels:history"
		if c, ok := s.channels[p.str("channel")]; ok && c.IsPrivate {
			need = "groups:history"
		} else if ok && c.IsIM {
			need = "im:history"
		}
	}
	scopes := s.scopesLocked()
	if need != "" && !slices.Contains(scopes, need) {
		return &apiError{code: "missing_scope", extra: map[string]any{"needed": need, "provided": strings.Join(scopes, ",")}}
	}
	if s.freePlan && strings.HasPrefix(method, "usergroups.") {
		return errf("plan_upgrade_required")
	}
	ch := s.channels[p.str("channel")]
	if ch == nil || !ch.BotNotMember {
		return nil
	}
	switch method {
	case "conversations.info":
		if ch.IsPrivate {
			return errf("channel_not_found")
		}
	case "chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete", "conversations.history", "conversations.replies":
		if ch.IsPrivate {
			return errf("not_in_channel")
		}
		if method == "chat.postMessage" && !slices.Contains(scopes, "chat:write.public") {
			return errf("not_in_channel")
		}
	}
	return nil
}

// sharedToNonMemberLocked reports whether a file shared to channels would
// land in one the bot is not in (files.completeUploadExternal answers
// not_in_channel then).
func (s *Server) sharedToNonMemberLocked(channels []string) bool {
	for _, id := range channels {
		if c := s.channels[id]; c != nil && c.BotNotMember {
			return true
		}
	}
	return false
}

// SendDM posts text from userID in their DM with the bot, as a person typing
// in the bot's Messages tab, and delivers the message.im event Slack sends
// for it (the manifest subscribes to it). It returns the recorded message.
func (s *Server) SendDM(ctx context.Context, userID, text string) (Message, error) {
	m, err := s.PostAsUser(userID, userID, text)
	if err != nil {
		return Message{}, err
	}
	s.SendEvent(ctx, map[string]any{
		"type": "message", "channel_type": "im", "channel": m.Channel, "user": userID,
		"text": m.Text, "ts": m.TS, "event_ts": m.TS,
	})
	return m, nil
}
