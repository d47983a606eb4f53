package slackemu

import (
	"context"
	"fmt"
	"strings"
)

// This file holds what the sandbox's web page needs beyond what tests use: clicking one exact
// button (by block_id and action_id, since an App Home may list several "Approve" buttons),
// and people posting plain messages.

// findAction picks the button with this block_id and action_id.
func findAction(buttons []Button, blockID, actionID string) (Button, bool) {
	for _, b := range buttons {
		if b.BlockID == blockID && b.ActionID == actionID {
			return b, true
		}
	}
	return Button{}, false
}

// ClickAction clicks the button of msg with this block_id and action_id as userID, like Click
// does for a label, and waits for the ack.
func (s *Server) ClickAction(ctx context.Context, userID string, msg Message, blockID, actionID string) (Ack, error) {
	b, ok := findAction(msg.Buttons(), blockID, actionID)
	if !ok {
		return Ack{}, fmt.Errorf("slackemu: no button %s/%s on message %s/%s", blockID, actionID, msg.Channel, msg.TS)
	}
	s.mu.Lock()
	trig := s.issueTriggerLocked(userID)
	ru := s.newResponseURLLocked(&responseURL{user: userID, channel: msg.Channel, msgTS: msg.TS, ephemeral: msg.Ephemeral})
	p := map[string]any{
		"type":                  "block_actions",
		"user":                  s.userRefLocked(userID),
		"api_app_id":            s.opts.AppID,
		"token":                 "emulator-verification-token",
		"container":             map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": msg.Ephemeral},
		"trigger_id":            trig,
		"team":                  s.teamJSON(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": msg.Channel, "name": s.channelNameLocked(msg.Channel)},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          ru,
		"actions":               []any{buttonAction(b)},
	}
	if !msg.Ephemeral {
		p["message"] = s.messageJSON(&msg)
	}
	s.mu.Unlock()
	return s.sendInteractive(ctx, p, false, nil)
}

// ClickActionInView clicks the button of an open view (modal or App Home) with this block_id
// and action_id as userID, like ClickInView, and waits for the ack.
func (s *Server) ClickActionInView(ctx context.Context, userID, viewID, blockID, actionID string) (Ack, error) {
	s.mu.Lock()
	r := s.views[viewID]
	if r == nil || !r.open || r.user != userID {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: view %s is not open for %s", viewID, userID)
	}
	b, ok := findAction(buttonsIn(mustJSON(r.obj["blocks"])), blockID, actionID)
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: no button %s/%s in view %s", blockID, actionID, viewID)
	}
	p := map[string]any{
		"type":                  "block_actions",
		"user":                  s.userRefLocked(userID),
		"api_app_id":            s.opts.AppID,
		"token":                 "emulator-verification-token",
		"container":             map[string]any{"type": "view", "view_id": viewID},
		"trigger_id":            s.issueTriggerLocked(userID),
		"team":                  s.teamJSON(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"view":                  s.viewJSONLocked(r),
		"actions":               []any{buttonAction(b)},
	}
	s.mu.Unlock()
	return s.sendInteractive(ctx, p, false, nil)
}

// PostAsUser posts a plain text message from userID in channelID, as a person typing in the
// channel would. The bot does not subscribe to message events, so nothing is delivered to it;
// the message is recorded and published like any other.
func (s *Server) PostAsUser(userID, channelID, text string) (Message, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Message{}, fmt.Errorf("slackemu: empty message")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return Message{}, fmt.Errorf("slackemu: unknown user %s", userID)
	}
	ch, ok := s.resolveChannelLocked(channelID)
	if !ok {
		return Message{}, fmt.Errorf("slackemu: unknown channel %s", channelID)
	}
	m := &Message{Channel: ch, TS: s.nextTSLocked(), User: userID, Text: text, Source: "user"}
	s.recordMessageLocked(m)
	return *copyMsg(m), nil
}

// FindMessage returns the message (channel or ephemeral shown to userID) with this ts, as
// userID sees it.
func (s *Server) FindMessage(userID, channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMessageLocked(channelID, ts); m != nil {
		return *copyMsg(m), true
	}
	if m := s.ephByKey[channelID+"/"+ts]; m != nil && m.EphemeralUser == userID {
		return *copyMsg(m), true
	}
	return Message{}, false
}
