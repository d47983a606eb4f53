package slackemu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// response URLs accept this many posts within responseURLTTL, as Slack's do.
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

type responseURL struct {
	user, channel string
	// original message of a block action (empty for slash commands)
	msgTS     string
	ephemeral bool
	uses      int
	created   time.Time
	posted    []*Message // messages posted through it, in order
}

func (s *Server) newResponseURLLocked(r *responseURL) string {
	id := randomHex(12)
	r.created = s.opts.Now()
	s.responses[id] = r
	return s.base + "response/" + id
}

func (s *Server) teamJSON() map[string]any {
	return map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamDomain}
}

func (s *Server) userRefLocked(userID string) map[string]any {
	name := s.userNameLocked(userID)
	return map[string]any{"id": userID, "username": name, "name": name, "team_id": s.opts.TeamID}
}

func actionTS() string {
	now := time.Now().UnixMicro()
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}

// SlashResult is what the bot answered to a slash command in its ack.
type SlashResult struct {
	EnvelopeID string
	Ack        Ack
	// Text, Blocks and ResponseType are decoded from the ack payload (empty for a bare ack).
	Text         string
	Blocks       json.RawMessage
	ResponseType string
	// Message is the reply as recorded (ephemeral for the user unless response_type was
	// in_channel), ready for Click; zero when the ack had no message.
	Message Message
	// TriggerID and ResponseURL are the ones sent with the command.
	TriggerID   string
	ResponseURL string
}

// AllText returns the reply text followed by every text of its blocks.
func (r SlashResult) AllText() string {
	return Message{Text: r.Text, Blocks: r.Blocks}.AllText()
}

// SlashCommand sends "/empower <text>" (Options.Command) as userID in channelID ("" means the
// user's DM with the bot) and waits for the ack. Pass mentions already escaped as Slack does
// with should_escape ("<@U0BOB|bob>"). A message in the ack payload is recorded like Slack shows
// it: ephemeral to the user, or in the channel for response_type in_channel.
//
//	res, err := emu.SlashCommand(ctx, "U0DAVE", "C0GENERAL", "help")
//	if err != nil { t.Fatal(err) }
//	if !strings.Contains(res.AllText(), "/empower box") { t.Errorf("help = %q", res.Text) }
func (s *Server) SlashCommand(ctx context.Context, userID, channelID, text string) (SlashResult, error) {
	id, err := s.SendSlashCommand(ctx, userID, channelID, text)
	if err != nil {
		return SlashResult{}, err
	}
	return s.WaitSlashResult(ctx, id)
}

// WaitSlashResult waits for the ack of a slash command sent with SendSlashCommand.
func (s *Server) WaitSlashResult(ctx context.Context, envelopeID string) (SlashResult, error) {
	ack, err := s.WaitAck(ctx, envelopeID)
	s.mu.Lock()
	d := s.deliveries[envelopeID]
	var res SlashResult
	if d != nil && d.slash != nil {
		res = *d.slash
	}
	s.mu.Unlock()
	res.EnvelopeID = envelopeID
	res.Ack = ack
	return res, err
}

// SendSlashCommand sends a slash command like SlashCommand but does not wait for the ack; it
// returns the envelope ID for WaitAck or WaitSlashResult.
func (s *Server) SendSlashCommand(_ context.Context, userID, channelID, text string) (string, error) {
	s.mu.Lock()
	if channelID == "" {
		channelID = s.openDMLocked(userID)
	}
	ch, ok := s.resolveChannelLocked(channelID)
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("slackemu: slash command in unknown channel %s", channelID)
	}
	trig := s.issueTriggerLocked(userID)
	ru := s.newResponseURLLocked(&responseURL{user: userID, channel: ch})
	payload, _ := json.Marshal(map[string]any{
		"token":                 "emulator-verification-token",
		"team_id":               s.opts.TeamID,
		"team_domain":           s.opts.TeamDomain,
		"channel_id":            ch,
		"channel_name":          s.channelNameLocked(ch),
		"user_id":               userID,
		"user_name":             s.userNameLocked(userID),
		"command":               s.opts.Command,
		"text":                  text,
		"api_app_id":            s.opts.AppID,
		"is_enterprise_install": "false",
		"response_url":          ru,
		"trigger_id":            trig,
	})
	s.mu.Unlock()
	d := &delivery{typ: EnvelopeSlash, payload: payload, acceptsResponse: true, redeliver: true}
	d.slash = &SlashResult{TriggerID: trig, ResponseURL: ru}
	d.onAck = func(a Ack) error { return s.applySlashAck(d, userID, ch, a) }
	return s.send(d), nil
}

// applySlashAck records the message of a slash command's ack payload.
func (s *Server) applySlashAck(d *delivery, userID, ch string, a Ack) error {
	if len(a.Payload) == 0 {
		return nil
	}
	var body struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.Unmarshal(a.Payload, &body); err != nil {
		return fmt.Errorf("slackemu: slash command ack payload is not a message: %w", err)
	}
	s.mu.Lock()
	d.slash.Text, d.slash.Blocks, d.slash.ResponseType = body.Text, body.Blocks, body.ResponseType
	s.mu.Unlock()
	if body.Text == "" && len(body.Blocks) == 0 {
		return nil
	}
	p := params{}
	p["text"], _ = json.Marshal(body.Text)
	if len(body.Blocks) > 0 && string(body.Blocks) != "null" {
		p["blocks"] = body.Blocks
	}
	text, blocks, e := messageContent(p)
	if e != nil {
		return fmt.Errorf("slackemu: slash command ack payload rejected: %s %s", e.code, strings.Join(e.messages, "; "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: ch, TS: s.nextTSLocked(), User: s.opts.BotUserID, Text: text, Blocks: blocks, Source: "ack"}
	if body.ResponseType != "in_channel" {
		m.Ephemeral, m.EphemeralUser = true, userID
	}
	s.recordMessageLocked(m)
	d.slash.Message = *copyMsg(m)
	return nil
}

// Click clicks the button labelled buttonText (or, failing that, with that action_id) on msg as
// userID, exactly as Slack would: it sends a block_actions payload built from the button's
// action_id, block_id and value, with the message, a response_url and a trigger_id, and waits
// for the ack. msg is the message as the user sees it (a stale copy clicks stale buttons).
//
//	msg, _ := emu.WaitMessage(ctx, "C0ESCALATE", nil)
//	if _, err := emu.Click(ctx, "U0BOB", msg, "Approve"); err != nil { t.Fatal(err) }
func (s *Server) Click(ctx context.Context, userID string, msg Message, buttonText string) (Ack, error) {
	b, ok := findButton(msg.Blocks, buttonText)
	if !ok {
		return Ack{}, fmt.Errorf("slackemu: no button %q on message %s/%s (buttons: %q)", buttonText, msg.Channel, msg.TS, buttonTexts(msg.Blocks))
	}
	return s.sendMessageAction(ctx, userID, msg, buttonAction(b))
}

func buttonAction(b Button) map[string]any {
	a := map[string]any{
		"action_id": b.ActionID,
		"block_id":  b.BlockID,
		"text":      map[string]any{"type": "plain_text", "text": b.Text, "emoji": true},
		"type":      "button",
		"action_ts": actionTS(),
	}
	if b.Value != "" {
		a["value"] = b.Value
	}
	if b.Style != "" {
		a["style"] = b.Style
	}
	return a
}

func (s *Server) sendInteractive(ctx context.Context, payload map[string]any, accepts bool, onAck func(Ack) error) (Ack, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Ack{}, fmt.Errorf("slackemu: encode payload: %w", err)
	}
	d := &delivery{typ: EnvelopeInteractive, payload: raw, acceptsResponse: accepts, redeliver: true, onAck: onAck}
	return s.WaitAck(ctx, s.send(d))
}

// ClickInView clicks a button of a view (a modal or App Home) as userID, with a block_actions
// payload whose container is the view, and waits for the ack.
func (s *Server) ClickInView(ctx context.Context, userID, viewID, buttonText string) (Ack, error) {
	return s.sendViewAction(ctx, userID, viewID, func(blocks json.RawMessage) (map[string]any, error) {
		b, ok := findButton(blocks, buttonText)
		if !ok {
			return nil, fmt.Errorf("slackemu: no button %q in view %s (buttons: %q)", buttonText, viewID, buttonTexts(blocks))
		}
		return buttonAction(b), nil
	})
}

// Values holds modal input for SubmitView: block_id -> action_id -> value.
//
// A value is given in the simplest form and converted to Slack's state shape by the element
// type found in the view: a string for plain_text_input (value), static_select and
// radio_buttons (the option with that value or text), datepicker (YYYY-MM-DD), timepicker,
// users_select, conversations_select and channels_select; a []string for checkboxes,
// multi_static_select and multi_users_select (and other multi selects); a map[string]any is
// used as the state entry as is.
type Values map[string]map[string]any

// Set adds one value and returns v, for chaining:
//
//	slackemu.Values{}.Set("amount", "amount", "250").Set("activity", "activity", "discount")
func (v Values) Set(blockID, actionID string, value any) Values {
	if v[blockID] == nil {
		v[blockID] = map[string]any{}
	}
	v[blockID][actionID] = value
	return v
}

// SubmitView submits the modal viewID (the top of userID's stack) with values, as Slack does
// after checking required inputs, waits for the ack and applies its response_action: "errors"
// keeps the view open (see Ack.Errors), "update" replaces it, "push" pushes a new view,
// "clear" closes the stack, and a bare ack closes the view.
//
//	ack, err := emu.SubmitView(ctx, "U0DAVE", v.ID, slackemu.Values{}.Set("reason", "reason", "too expensive"))
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]any) (Ack, error) {
	s.mu.Lock()
	r := s.views[viewID]
	if r == nil || !r.open || str(r.obj, "type") != "modal" {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: modal %s is not open", viewID)
	}
	stack := s.stacks[r.user]
	if r.user != userID || len(stack) == 0 || stack[len(stack)-1] != viewID {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: modal %s is not on top of %s's screen", viewID, userID)
	}
	state, err := buildState(blockList(mustJSON(r.obj["blocks"])), values, true)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: submit %s: %w", viewID, err)
	}
	r.state = state
	p := s.viewSubmissionLocked(userID, s.viewJSONLocked(r))
	s.mu.Unlock()
	return s.sendInteractive(ctx, p, true, func(a Ack) error { return s.applyViewAck(userID, viewID, a) })
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// applyViewAck applies the response_action of a view_submission ack.
func (s *Server) applyViewAck(userID, viewID string, a Ack) error {
	var body struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if len(a.Payload) > 0 {
		if err := json.Unmarshal(a.Payload, &body); err != nil {
			return fmt.Errorf("slackemu: view_submission ack payload: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.views[viewID]
	stack := s.stacks[userID]
	pos := -1
	for i, id := range stack {
		if id == viewID {
			pos = i
		}
	}
	switch body.ResponseAction {
	case "":
		if pos >= 0 {
			s.closeStackLocked(userID, pos)
		}
	case "clear":
		s.closeStackLocked(userID, 0)
	case "errors":
		inputs := map[string]bool{}
		for _, b := range blockList(mustJSON(r.obj["blocks"])) {
			if str(b, "type") == "input" {
				inputs[str(b, "block_id")] = true
			}
		}
		for k := range body.Errors {
			if !inputs[k] {
				return fmt.Errorf("slackemu: response_action errors names %q, which is not an input block of view %s", k, viewID)
			}
		}
	case "update":
		obj, problems := checkView(body.View, false)
		if problems != nil {
			return fmt.Errorf("slackemu: response_action update rejected: invalid_arguments %s", strings.Join(problems, "; "))
		}
		r.obj, r.hash, r.state = obj, s.newHash(), nil
		r.updated++
		s.viewChangedLocked(r, ChangeViewUpdated)
	case "push":
		obj, problems := checkView(body.View, false)
		if problems != nil {
			return fmt.Errorf("slackemu: response_action push rejected: invalid_arguments %s", strings.Join(problems, "; "))
		}
		if _, e := s.pushModalLocked(userID, obj); e != nil {
			return fmt.Errorf("slackemu: response_action push: %s", e.code)
		}
	default:
		return fmt.Errorf("slackemu: unknown response_action %q", body.ResponseAction)
	}
	return nil
}

// CloseView closes the modal viewID (and any view pushed above it) as if userID pressed Cancel;
// when the view asked for notify_on_close, a view_closed payload is sent and its ack awaited.
func (s *Server) CloseView(ctx context.Context, userID, viewID string) error {
	s.mu.Lock()
	r := s.views[viewID]
	if r == nil || !r.open || r.user != userID {
		s.mu.Unlock()
		return fmt.Errorf("slackemu: modal %s is not open for %s", viewID, userID)
	}
	notify, _ := r.obj["notify_on_close"].(bool)
	var p map[string]any
	if notify {
		p = map[string]any{
			"type":                  "view_closed",
			"team":                  s.teamJSON(),
			"user":                  s.userRefLocked(userID),
			"api_app_id":            s.opts.AppID,
			"token":                 "emulator-verification-token",
			"view":                  s.viewJSONLocked(r),
			"is_cleared":            false,
			"enterprise":            nil,
			"is_enterprise_install": false,
		}
	}
	for i, id := range s.stacks[userID] {
		if id == viewID {
			s.closeStackLocked(userID, i)
			break
		}
	}
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	_, err := s.sendInteractive(ctx, p, false, nil)
	return err
}

// SendEvent sends an events_api envelope carrying event (the inner event object, e.g.
// {"type":"app_home_opened",...}) and returns its envelope ID and event_id without waiting.
func (s *Server) SendEvent(_ context.Context, event map[string]any) (envelopeID, eventID string) {
	s.mu.Lock()
	eventID = s.nextIDLocked("Ev")
	if _, ok := event["event_ts"]; !ok {
		event["event_ts"] = actionTS()
	}
	payload, _ := json.Marshal(map[string]any{
		"token":      "emulator-verification-token",
		"team_id":    s.opts.TeamID,
		"api_app_id": s.opts.AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": s.opts.Now().Unix(),
		"authorizations": []any{map[string]any{"enterprise_id": nil, "team_id": s.opts.TeamID,
			"user_id": s.opts.BotUserID, "is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomHex(8),
	})
	s.mu.Unlock()
	d := &delivery{typ: EnvelopeEvents, payload: payload, redeliver: true}
	return s.send(d), eventID
}

// OpenHome sends app_home_opened (tab "home") for userID, as when the person opens the app's
// Home tab, and waits for the ack. The event carries the published Home view, if any.
func (s *Server) OpenHome(ctx context.Context, userID string) (Ack, error) {
	s.mu.Lock()
	ev := map[string]any{"type": "app_home_opened", "user": userID, "channel": s.openDMLocked(userID), "tab": "home"}
	if r := s.views[s.homes[userID]]; r != nil {
		ev["view"] = s.viewJSONLocked(r)
	}
	s.mu.Unlock()
	id, _ := s.SendEvent(ctx, ev)
	return s.WaitAck(ctx, id)
}

func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	var body struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	s.mu.Lock()
	ru := s.responses[id]
	switch {
	case ru == nil:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "invalid_url"})
		return
	case s.opts.Now().Sub(ru.created) > responseURLTTL:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	case ru.uses >= responseURLUses:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "used_url"})
		return
	}
	ru.uses++
	s.mu.Unlock()

	fail := func(code string, messages ...string) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code, "response_metadata": map[string]any{"messages": messages}})
	}
	if body.DeleteOriginal {
		s.mu.Lock()
		m := s.originalLocked(ru)
		if m != nil {
			s.deleteMessageLocked(m)
		}
		s.mu.Unlock()
		if m == nil {
			fail("message_not_found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	p := params{}
	p["text"], _ = json.Marshal(body.Text)
	if len(body.Blocks) > 0 && string(body.Blocks) != "null" {
		p["blocks"] = body.Blocks
	}
	text, blocks, e := messageContent(p)
	if e != nil {
		fail(e.code, e.messages...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if body.ReplaceOriginal {
		m := s.originalLocked(ru)
		if m == nil {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "message_not_found"})
			return
		}
		m.Text, m.Blocks = text, blocks
		s.updateMessageLocked(m)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	m := &Message{Channel: ru.channel, TS: s.nextTSLocked(), ThreadTS: body.ThreadTS, User: s.opts.BotUserID,
		Text: text, Blocks: blocks, Source: "response_url"}
	if body.ResponseType != "in_channel" {
		m.Ephemeral, m.EphemeralUser = true, ru.user
	}
	s.recordMessageLocked(m)
	ru.posted = append(ru.posted, m)
	s.wakeLocked("response:" + id)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// WaitResponse waits for the first message posted (not replacing or
// deleting one) through responseURL, e.g. a slash command's late reply after
// an empty ack, and returns it.
func (s *Server) WaitResponse(ctx context.Context, responseURL string) (Message, error) {
	id := strings.TrimPrefix(responseURL, s.base+"response/")
	return waitFor(ctx, s, "response:"+id, func() (Message, bool) {
		ru := s.responses[id]
		if ru == nil || len(ru.posted) == 0 {
			return Message{}, false
		}
		return *copyMsg(ru.posted[0]), true
	})
}

// originalLocked finds the message a block action's response_url refers to.
func (s *Server) originalLocked(ru *responseURL) *Message {
	if ru.msgTS == "" {
		return nil
	}
	if ru.ephemeral {
		return s.ephByKey[ru.channel+"/"+ru.msgTS]
	}
	return s.findMessageLocked(ru.channel, ru.msgTS)
}

// SlashTrigger returns the trigger_id sent with the slash command of envelopeID (any of its
// delivery attempts), or "" when there is none; it is known as soon as SendSlashCommand returns.
func (s *Server) SlashTrigger(envelopeID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.deliveries[envelopeID]; d != nil && d.slash != nil {
		return d.slash.TriggerID
	}
	return ""
}
