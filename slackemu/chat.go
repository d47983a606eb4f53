package slackemu

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxMessageText is the length above which Slack answers msg_too_long.
const maxMessageText = 40000

func (s *Server) authTest(*call) (map[string]any, *apiError) {
	return map[string]any{
		"url":                   s.base,
		"team":                  "Emulator",
		"user":                  "empowerbot",
		"team_id":               s.opts.TeamID,
		"user_id":               s.opts.BotUserID,
		"bot_id":                s.opts.BotID,
		"is_enterprise_install": false,
	}, nil
}

// messageContent validates and normalises the text and blocks of a message.
func messageContent(p params) (text string, blocks json.RawMessage, e *apiError) {
	text = p.str("text")
	blocks = p.json("blocks")
	hasAttachments := len(p.json("attachments")) > 2
	if utf8.RuneCountInString(text) > maxMessageText {
		return "", nil, errf("msg_too_long")
	}
	if blocks != nil {
		if blocks, e = checkMessageBlocks(blocks); e != nil {
			return "", nil, e
		}
	}
	if text == "" && blocks == nil && !hasAttachments {
		return "", nil, errf("no_text")
	}
	return text, blocks, nil
}

func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type":    "message",
		"text":    m.Text,
		"user":    m.User,
		"ts":      m.TS,
		"team":    s.opts.TeamID,
		"bot_id":  s.opts.BotID,
		"app_id":  s.opts.AppID,
		"channel": m.Channel,
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Files) > 0 {
		files := make([]any, len(m.Files))
		for i, f := range m.Files {
			files[i] = s.fileJSON(&f)
		}
		out["files"] = files
	}
	if m.Updated > 0 {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	return out
}

func (s *Server) chatPostMessage(c *call) (map[string]any, *apiError) {
	text, blocks, e := messageContent(c.p)
	if e != nil {
		return nil, e
	}
	md, e := messageMetadata(c.p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.resolveChannelLocked(c.p.str("channel"))
	if !ok {
		return nil, errf("channel_not_found")
	}
	m := &Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: c.p.str("thread_ts"), User: s.opts.BotUserID,
		Text: text, Blocks: blocks, Metadata: md, Source: c.method}
	s.recordMessageLocked(m)
	return map[string]any{"channel": ch, "ts": m.TS, "message": s.messageJSON(m)}, nil
}

func (s *Server) chatPostEphemeral(c *call) (map[string]any, *apiError) {
	text, blocks, e := messageContent(c.p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	userID := c.p.str("user")
	if _, ok := s.users[userID]; !ok {
		return nil, errf("user_not_found")
	}
	ch, ok := s.resolveChannelLocked(c.p.str("channel"))
	if !ok {
		return nil, errf("channel_not_found")
	}
	m := &Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: c.p.str("thread_ts"), User: s.opts.BotUserID,
		Text: text, Blocks: blocks, Ephemeral: true, EphemeralUser: userID, Source: c.method}
	s.recordMessageLocked(m)
	return map[string]any{"message_ts": m.TS}, nil
}

func (s *Server) chatUpdate(c *call) (map[string]any, *apiError) {
	text := c.p.str("text")
	blocks := c.p.json("blocks")
	if utf8.RuneCountInString(text) > maxMessageText {
		return nil, errf("msg_too_long")
	}
	if blocks != nil {
		var e *apiError
		if blocks, e = checkMessageBlocks(blocks); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.resolveChannelLocked(c.p.str("channel"))
	if !ok {
		return nil, errf("channel_not_found")
	}
	m := s.findMessageLocked(ch, c.p.str("ts"))
	if m == nil {
		return nil, errf("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return nil, errf("cant_update_message")
	}
	if _, ok := c.p["text"]; ok {
		m.Text = text
	}
	if _, ok := c.p["blocks"]; ok {
		m.Blocks = blocks
		if string(blocks) == "[]" {
			m.Blocks = nil
		}
	}
	if m.Text == "" && m.Blocks == nil && len(m.Files) == 0 {
		return nil, errf("no_text")
	}
	s.updateMessageLocked(m)
	return map[string]any{"channel": ch, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}, nil
}

func (s *Server) chatDelete(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.resolveChannelLocked(c.p.str("channel"))
	if !ok {
		return nil, errf("channel_not_found")
	}
	m := s.findMessageLocked(ch, c.p.str("ts"))
	if m == nil {
		return nil, errf("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return nil, errf("cant_delete_message")
	}
	s.deleteMessageLocked(m)
	return map[string]any{"channel": ch, "ts": m.TS}, nil
}

func (s *Server) chatGetPermalink(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.resolveChannelLocked(c.p.str("channel"))
	if !ok {
		return nil, errf("channel_not_found")
	}
	ts := c.p.str("message_ts")
	if s.findMessageLocked(ch, ts) == nil {
		return nil, errf("message_not_found")
	}
	return map[string]any{"channel": ch, "permalink": s.base + "archives/" + ch + "/p" + strings.Replace(ts, ".", "", 1)}, nil
}

func (s *Server) conversationsOpen(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := strings.Split(c.p.str("users"), ",")
	if c.p.has("channel") {
		ch, ok := s.resolveChannelLocked(c.p.str("channel"))
		if !ok {
			return nil, errf("channel_not_found")
		}
		return map[string]any{"channel": s.channelJSONLocked(ch)}, nil
	}
	if len(users) != 1 || users[0] == "" {
		if users[0] == "" {
			return nil, errf("users_list_not_supplied")
		}
		return nil, errf("not_supported_by_emulator", "group DMs are not emulated")
	}
	u, ok := s.users[strings.TrimSpace(users[0])]
	switch {
	case !ok:
		return nil, errf("user_not_found")
	case u.Deleted:
		return nil, errf("user_disabled")
	}
	_, already := s.dmByUser[u.ID]
	id := s.openDMLocked(u.ID)
	return map[string]any{"channel": s.channelJSONLocked(id), "already_open": already, "no_op": already}, nil
}

func (s *Server) channelJSONLocked(id string) map[string]any {
	c := s.channels[id]
	out := map[string]any{
		"id":         c.ID,
		"name":       c.Name,
		"is_channel": !c.IsIM && !c.IsPrivate,
		"is_group":   c.IsPrivate,
		"is_im":      c.IsIM,
		"is_private": c.IsPrivate || c.IsIM,
		"is_member":  !c.BotNotMember,
		"created":    1700000000,
	}
	if c.IsIM {
		out["user"] = c.User
		delete(out, "name")
	}
	return out
}

func (s *Server) conversationsInfo(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.p.str("channel")
	if _, ok := s.channels[id]; !ok {
		return nil, errf("channel_not_found")
	}
	return map[string]any{"channel": s.channelJSONLocked(id)}, nil
}

func (s *Server) usersInfo(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[c.p.str("user")]
	if !ok {
		return nil, errf("user_not_found")
	}
	return map[string]any{"user": s.userJSON(u)}, nil
}

func encodeCursor(n int) string {
	return base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(n)))
}

func decodeCursor(c string) (int, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	return n, err == nil && n >= 0
}

func (s *Server) usersList(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start, ok := decodeCursor(c.p.str("cursor"))
	if !ok {
		return nil, errf("invalid_cursor")
	}
	limit, _ := strconv.Atoi(c.p.str("limit"))
	if limit <= 0 {
		limit = len(s.userOrder)
	}
	end := min(start+limit, len(s.userOrder))
	start = min(start, end)
	members := make([]any, 0, end-start)
	for _, id := range s.userOrder[start:end] {
		members = append(members, s.userJSON(s.users[id]))
	}
	next := ""
	if end < len(s.userOrder) {
		next = encodeCursor(end)
	}
	return map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) usergroupsList(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	withUsers := c.p.bool("include_users")
	groups := make([]any, 0, len(s.groupOrder))
	for _, id := range s.groupOrder {
		g := s.groups[id]
		m := map[string]any{"id": g.ID, "team_id": s.opts.TeamID, "name": g.Name, "handle": g.Handle,
			"is_usergroup": true, "user_count": len(g.Users)}
		if withUsers {
			m["users"] = append([]string{}, g.Users...)
		}
		groups = append(groups, m)
	}
	return map[string]any{"usergroups": groups}, nil
}

func (s *Server) usergroupsUsersList(c *call) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[c.p.str("usergroup")]
	if !ok {
		return nil, errf("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, g.Users...)}, nil
}
