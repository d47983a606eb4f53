package slackemu

import (
	"slices"
	"strings"
	"time"
)

// User is a person (or bot) of the emulated workspace.
type User struct {
	ID       string
	Name     string // handle, e.g. "dave"
	RealName string
	TZ       string // IANA zone, e.g. "America/Chicago"; empty means none (as for some bots)
	IsBot    bool
	Deleted  bool
	IsAdmin  bool
	Email    string
}

// UserGroup is a user group (S… ID) with its members.
type UserGroup struct {
	ID     string
	Handle string
	Name   string
	Users  []string
}

// Channel is a conversation of the workspace.
type Channel struct {
	ID        string
	Name      string
	IsIM      bool
	User      string // the other party of a DM
	IsPrivate bool
	// BotNotMember: the bot was not invited (SetBotMember); the zero value
	// is a channel the bot is in.
	BotNotMember bool
}

// AddUser adds or replaces a user in the directory.
func (s *Server) AddUser(u User) {
	if u.Name == "" {
		u.Name = strings.ToLower(u.ID)
	}
	if u.RealName == "" {
		u.RealName = u.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	s.users[u.ID] = &u
}

// AddUsers adds many users at once (cheaper than AddUser in a loop for 10,000 people).
func (s *Server) AddUsers(users ...User) {
	for _, u := range users {
		s.AddUser(u)
	}
}

// AddUserGroup adds or replaces a user group.
func (s *Server) AddUserGroup(id, handle string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[id]; !ok {
		s.groupOrder = append(s.groupOrder, id)
	}
	s.groups[id] = &UserGroup{ID: id, Handle: handle, Name: handle, Users: slices.Clone(members)}
}

// AddChannel adds a public channel. Posting to a channel the directory does not know answers
// channel_not_found.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = &Channel{ID: id, Name: name, IsPrivate: strings.HasPrefix(id, "G")}
}

// AddPrivateChannel adds a private channel (Slack gives new private
// channels C… IDs too).
func (s *Server) AddPrivateChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = &Channel{ID: id, Name: name, IsPrivate: true}
}

// User returns a user of the directory.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// DMChannelID returns the ID of the bot's DM channel with userID, whether or not it was opened.
// The ID is stable: "D" followed by the user ID.
func (s *Server) DMChannelID(userID string) string { return "D" + userID }

// resolveChannelLocked maps a channel argument (channel ID, DM ID or user ID) to a channel ID.
func (s *Server) resolveChannelLocked(ch string) (string, bool) {
	if _, ok := s.channels[ch]; ok {
		return ch, true
	}
	if u, ok := s.users[ch]; ok {
		return s.openDMLocked(u.ID), true
	}
	if strings.HasPrefix(ch, "D") {
		if _, ok := s.users[ch[1:]]; ok {
			return s.openDMLocked(ch[1:]), true
		}
	}
	return "", false
}

// openDMLocked returns the DM channel with userID, creating it.
func (s *Server) openDMLocked(userID string) string {
	if id, ok := s.dmByUser[userID]; ok {
		return id
	}
	id := s.DMChannelID(userID)
	s.dmByUser[userID] = id
	s.dmUser[id] = userID
	s.channels[id] = &Channel{ID: id, Name: userID, IsIM: true, User: userID}
	return id
}

func (s *Server) channelNameLocked(id string) string {
	if c, ok := s.channels[id]; ok {
		if c.IsIM {
			return "directmessage"
		}
		return c.Name
	}
	return id
}

func (s *Server) userNameLocked(id string) string {
	if u, ok := s.users[id]; ok {
		return u.Name
	}
	return strings.ToLower(id)
}

// userJSON renders a user the way users.info returns it.
func (s *Server) userJSON(u *User) map[string]any {
	tzLabel, offset := "", 0
	tz := u.TZ
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			name, off := time.Now().In(loc).Zone()
			tzLabel, offset = name, off
		}
	}
	return map[string]any{
		"id":        u.ID,
		"team_id":   s.opts.TeamID,
		"name":      u.Name,
		"real_name": u.RealName,
		"deleted":   u.Deleted,
		"tz":        tz,
		"tz_label":  tzLabel,
		"tz_offset": offset,
		"is_bot":    u.IsBot,
		"is_admin":  u.IsAdmin,
		"profile": map[string]any{
			"real_name":    u.RealName,
			"display_name": u.Name,
			"email":        u.Email,
			"team":         s.opts.TeamID,
		},
	}
}

// Users returns every user of the directory (the bot included) in the order they were added.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.userOrder))
	for _, id := range s.userOrder {
		out = append(out, *s.users[id])
	}
	return out
}

// UserGroups returns every user group in the order they were added.
func (s *Server) UserGroups() []UserGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UserGroup, 0, len(s.groupOrder))
	for _, id := range s.groupOrder {
		g := *s.groups[id]
		g.Users = slices.Clone(g.Users)
		out = append(out, g)
	}
	return out
}

// Channels returns every channel, DMs opened so far included, sorted by ID.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channels))
	for _, c := range s.channels {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Channel) int { return strings.Compare(a.ID, b.ID) })
	return out
}
