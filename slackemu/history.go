package slackemu

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// Message metadata and conversations.history, as Slack has them:
//
//   - chat.postMessage takes metadata, a JSON object with a string
//     event_type and an object event_payload; anything else is
//     invalid_metadata_format;
//   - conversations.history lists a channel's messages newest first (thread
//     replies left out), between oldest and latest (both exclusive unless
//     inclusive), limit at a time (default 100, at most 999) with a
//     next_cursor while has_more; a message's metadata is returned only
//     with include_all_metadata. It needs channels:history, groups:history
//     or im:history, by the kind of channel (workspaceCheckLocked);
//   - conversations.replies lists one thread, its parent first and then its
//     replies oldest first, with the same bounds, limit, cursor, metadata
//     and scopes; thread_not_found when ts is no message of the channel.

// maxHistoryLimit is the most conversations.history returns at once.
const maxHistoryLimit = 999

// messageMetadata validates chat.postMessage's metadata; nil without one.
func messageMetadata(p params) (*slack.SlackMetadata, *apiError) {
	raw := p.json("metadata")
	if raw == nil {
		return nil, nil
	}
	var shape struct {
		EventType    *string         `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil || shape.EventType == nil || *shape.EventType == "" {
		return nil, errf("invalid_metadata_format", "metadata must be an object with a string event_type")
	}
	md := &slack.SlackMetadata{EventType: *shape.EventType}
	if len(shape.EventPayload) > 0 && string(shape.EventPayload) != "null" {
		if err := json.Unmarshal(shape.EventPayload, &md.EventPayload); err != nil {
			return nil, errf("invalid_metadata_format", "event_payload must be an object")
		}
	}
	return md, nil
}

func (s *Server) conversationsHistory(c *call) (map[string]any, *apiError) {
	limit := 100
	if v := c.p.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errf("invalid_limit")
		}
		if n > 0 {
			limit = min(n, maxHistoryLimit)
		}
	}
	oldest, latest := c.p.str("oldest"), c.p.str("latest")
	inclusive := c.p.bool("inclusive")
	withMeta := c.p.bool("include_all_metadata")
	if cur := c.p.str("cursor"); cur != "" {
		b, err := base64.StdEncoding.DecodeString(cur)
		ts, ok := strings.CutPrefix(string(b), "before:")
		if err != nil || !ok {
			return nil, errf("invalid_cursor")
		}
		latest, inclusive = ts, false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[c.p.str("channel")]
	if !ok {
		return nil, errf("channel_not_found")
	}
	if ch.BotNotMember {
		return nil, errf("not_in_channel")
	}
	var msgs []*Message
	if l := s.logs[ch.ID]; l != nil {
		msgs = l.msgs
	}
	out := []any{}
	hasMore := false
	next := ""
	for i := len(msgs) - 1; i >= 0; i-- { // newest first
		m := msgs[i]
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			continue // a thread reply
		}
		if !tsAfter(m.TS, oldest, inclusive) || !tsBefore(m.TS, latest, inclusive) {
			continue
		}
		if len(out) == limit {
			hasMore = true
			last := out[len(out)-1].(map[string]any)["ts"].(string)
			next = base64.StdEncoding.EncodeToString([]byte("before:" + last))
			break
		}
		j := s.messageJSON(m)
		delete(j, "channel") // history messages do not repeat their channel
		if withMeta && m.Metadata != nil {
			j["metadata"] = m.Metadata
		}
		out = append(out, j)
	}
	return map[string]any{
		"messages": out, "has_more": hasMore, "pin_count": 0,
		"channel_actions_ts": nil, "channel_actions_count": 0,
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// tsAfter reports whether ts is after oldest ("" or "0": the beginning).
func tsAfter(ts, oldest string, inclusive bool) bool {
	if oldest == "" || oldest == "0" {
		return true
	}
	c := compareTS(ts, oldest)
	return c > 0 || (inclusive && c == 0)
}

// tsBefore reports whether ts is before latest ("": now).
func tsBefore(ts, latest string, inclusive bool) bool {
	if latest == "" {
		return true
	}
	c := compareTS(ts, latest)
	return c < 0 || (inclusive && c == 0)
}

// compareTS compares two Slack timestamps ("seconds.micros") as times.
func compareTS(a, b string) int {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		if ai < bi {
			return -1
		}
		return 1
	}
	af, bf = (af + "000000")[:6], (bf + "000000")[:6]
	return strings.Compare(af, bf)
}

func (s *Server) conversationsReplies(c *call) (map[string]any, *apiError) {
	limit := 100
	if v := c.p.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errf("invalid_limit")
		}
		if n > 0 {
			limit = min(n, maxHistoryLimit)
		}
	}
	oldest, latest := c.p.str("oldest"), c.p.str("latest")
	inclusive := c.p.bool("inclusive")
	withMeta := c.p.bool("include_all_metadata")
	after := ""
	if cur := c.p.str("cursor"); cur != "" {
		b, err := base64.StdEncoding.DecodeString(cur)
		ts, ok := strings.CutPrefix(string(b), "after:")
		if err != nil || !ok {
			return nil, errf("invalid_cursor")
		}
		after = ts
	}
	thread := c.p.str("ts")
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[c.p.str("channel")]
	if !ok {
		return nil, errf("channel_not_found")
	}
	if ch.BotNotMember {
		return nil, errf("not_in_channel")
	}
	if thread == "" || s.findMessageLocked(ch.ID, thread) == nil {
		return nil, errf("thread_not_found")
	}
	var msgs []*Message
	if l := s.logs[ch.ID]; l != nil {
		msgs = l.msgs
	}
	out := []any{}
	hasMore, next := false, ""
	for _, m := range msgs { // oldest first
		if m.TS != thread && m.ThreadTS != thread {
			continue
		}
		if after != "" && compareTS(m.TS, after) <= 0 {
			continue
		}
		if m.TS != thread && (!tsAfter(m.TS, oldest, inclusive) || !tsBefore(m.TS, latest, inclusive)) {
			continue
		}
		if len(out) == limit {
			hasMore = true
			last := out[len(out)-1].(map[string]any)["ts"].(string)
			next = base64.StdEncoding.EncodeToString([]byte("after:" + last))
			break
		}
		j := s.messageJSON(m)
		delete(j, "channel")
		if withMeta && m.Metadata != nil {
			j["metadata"] = m.Metadata
		}
		out = append(out, j)
	}
	return map[string]any{"messages": out, "has_more": hasMore, "response_metadata": map[string]any{"next_cursor": next}}, nil
}
