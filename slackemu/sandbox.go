package slackemu

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// This file holds what the sandbox's web page needs beyond what tests use: clicking one exact
// button (by block_id and action_id, since an App Home may list several "Approve" buttons),
// choosing in select menus and pickers outside modals' inputs, and people posting plain
// messages.

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
	return s.sendMessageAction(ctx, userID, msg, buttonAction(b))
}

// ClickActionInView clicks the button of an open view (modal or App Home) with this block_id
// and action_id as userID, like ClickInView, and waits for the ack.
func (s *Server) ClickActionInView(ctx context.Context, userID, viewID, blockID, actionID string) (Ack, error) {
	return s.sendViewAction(ctx, userID, viewID, func(blocks json.RawMessage) (map[string]any, error) {
		b, ok := findAction(buttonsIn(blocks), blockID, actionID)
		if !ok {
			return nil, fmt.Errorf("slackemu: no button %s/%s in view %s", blockID, actionID, viewID)
		}
		return buttonAction(b), nil
	})
}

// ChooseAction picks value in an interactive element that is not a button (a select menu,
// overflow menu, date picker, users select, checkboxes or radio buttons outside input blocks)
// of msg as userID, sending the block_actions payload Slack sends, and waits for the ack. The
// value is an option's value (or text), a date "2006-01-02", a time "15:04", a user or channel
// ID, or a []string for checkboxes and multi selects.
func (s *Server) ChooseAction(ctx context.Context, userID string, msg Message, blockID, actionID string, value any) (Ack, error) {
	a, err := chooseAction(msg.Blocks, blockID, actionID, value)
	if err != nil {
		return Ack{}, fmt.Errorf("slackemu: message %s/%s: %w", msg.Channel, msg.TS, err)
	}
	return s.sendMessageAction(ctx, userID, msg, a)
}

// ChooseActionInView is ChooseAction for an element of an open view (modal or App Home).
func (s *Server) ChooseActionInView(ctx context.Context, userID, viewID, blockID, actionID string, value any) (Ack, error) {
	return s.sendViewAction(ctx, userID, viewID, func(blocks json.RawMessage) (map[string]any, error) {
		a, err := chooseAction(blocks, blockID, actionID, value)
		if err != nil {
			return nil, fmt.Errorf("slackemu: view %s: %w", viewID, err)
		}
		return a, nil
	})
}

// chooseAction builds the block_actions action for choosing value in an element of blocks.
func chooseAction(blocks json.RawMessage, blockID, actionID string, value any) (map[string]any, error) {
	var el map[string]any
	var typ string
	for _, e := range elementsIn(blockList(blocks)) {
		if e.blockID == blockID && e.actionID == actionID {
			el, typ = e.el, e.typ
		}
	}
	if el == nil {
		return nil, fmt.Errorf("no element %s/%s", blockID, actionID)
	}
	a := map[string]any{"type": typ, "action_id": actionID, "block_id": blockID, "action_ts": actionTS()}
	one := func() (string, error) {
		v, ok := value.(string)
		if !ok {
			return "", fmt.Errorf("%s %s/%s wants one value, got %T", typ, blockID, actionID, value)
		}
		return v, nil
	}
	many := func() ([]string, error) {
		v, ok := toStrings(value)
		if !ok {
			return nil, fmt.Errorf("%s %s/%s wants a list of values, got %T", typ, blockID, actionID, value)
		}
		return v, nil
	}
	switch typ {
	case "static_select", "external_select", "overflow", "radio_buttons":
		v, err := one()
		if err != nil {
			return nil, err
		}
		o, ok := findOption(el, v)
		if !ok {
			return nil, fmt.Errorf("%s %s/%s has no option %q", typ, blockID, actionID, v)
		}
		a["selected_option"] = o
	case "checkboxes", "multi_static_select", "multi_external_select":
		vs, err := many()
		if err != nil {
			return nil, err
		}
		opts := []any{}
		for _, v := range vs {
			o, ok := findOption(el, v)
			if !ok {
				return nil, fmt.Errorf("%s %s/%s has no option %q", typ, blockID, actionID, v)
			}
			opts = append(opts, o)
		}
		a["selected_options"] = opts
	default:
		key, multi := map[string]string{
			"datepicker": "selected_date", "timepicker": "selected_time", "users_select": "selected_user",
			"conversations_select": "selected_conversation", "channels_select": "selected_channel",
		}[typ], false
		if key == "" {
			key, multi = map[string]string{
				"multi_users_select": "selected_users", "multi_conversations_select": "selected_conversations",
				"multi_channels_select": "selected_channels",
			}[typ], true
		}
		if key == "" {
			return nil, fmt.Errorf("cannot choose in a %s element", typ)
		}
		if multi {
			vs, err := many()
			if err != nil {
				return nil, err
			}
			a[key] = vs
		} else {
			v, err := one()
			if err != nil {
				return nil, err
			}
			a[key] = v
		}
	}
	return a, nil
}

// sendMessageAction sends a block_actions payload for one action on msg and waits for the ack.
func (s *Server) sendMessageAction(ctx context.Context, userID string, msg Message, action map[string]any) (Ack, error) {
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
		"actions":               []any{action},
	}
	if !msg.Ephemeral {
		p["message"] = s.messageJSON(&msg)
	}
	s.mu.Unlock()
	return s.sendInteractive(ctx, p, false, nil)
}

// sendViewAction sends a block_actions payload for the action that build makes from the
// blocks of the open view viewID, and waits for the ack.
func (s *Server) sendViewAction(ctx context.Context, userID, viewID string, build func(blocks json.RawMessage) (map[string]any, error)) (Ack, error) {
	acks, err := s.sendViewActions(ctx, userID, viewID, 1, build)
	if err != nil {
		return Ack{}, err
	}
	return acks[0], nil
}

// sendViewActions sends the action build makes from the view's blocks as
// they are now n times, each with its own trigger_id, before waiting for
// any ack: n clicks of one button faster than the view can change.
func (s *Server) sendViewActions(ctx context.Context, userID, viewID string, n int, build func(blocks json.RawMessage) (map[string]any, error)) ([]Ack, error) {
	s.mu.Lock()
	r := s.views[viewID]
	if r == nil || !r.open || r.user != userID {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackemu: view %s is not open for %s", viewID, userID)
	}
	action, err := build(mustJSON(r.obj["blocks"]))
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	payloads := make([][]byte, n)
	for i := range payloads {
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
			"actions":               []any{action},
		}
		if payloads[i], err = json.Marshal(p); err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("slackemu: encode payload: %w", err)
		}
	}
	s.mu.Unlock()
	ids := make([]string, n)
	for i, raw := range payloads {
		ids[i] = s.send(&delivery{typ: EnvelopeInteractive, payload: raw, redeliver: true})
	}
	acks := make([]Ack, n)
	for i, id := range ids {
		if acks[i], err = s.WaitAck(ctx, id); err != nil {
			return nil, err
		}
	}
	return acks, nil
}

// DoubleClickInView clicks a button of a view (a modal or App Home) twice as
// userID, the second click sent before the first is acked and from the same
// view, as a person double-clicking does before the view can change; it
// waits for both acks.
func (s *Server) DoubleClickInView(ctx context.Context, userID, viewID, buttonText string) ([]Ack, error) {
	return s.sendViewActions(ctx, userID, viewID, 2, func(blocks json.RawMessage) (map[string]any, error) {
		b, ok := findButton(blocks, buttonText)
		if !ok {
			return nil, fmt.Errorf("slackemu: no button %q in view %s (buttons: %q)", buttonText, viewID, buttonTexts(blocks))
		}
		return buttonAction(b), nil
	})
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
