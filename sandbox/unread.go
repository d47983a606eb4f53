package sandbox

import (
	"net/http"
	"strings"

	"github.com/empowerbot/empowerbot/slackemu"
)

// Unread counts are kept per person, as Slack does: what each person has
// read in each conversation is remembered here, so switching person on the
// page clears nobody's badges, and the person picker shows what waits for
// each one ("Bob · team-lead (2)").

// Unread is one person's unread count in one conversation.
type Unread struct {
	// Messages counts the messages by others since the person last read it.
	Messages int `json:"messages"`
	// Mentions counts those of them that are for the person: every one in
	// their DM with the bot, those naming them (or a group of theirs)
	// in a channel. The page shows it as the red badge.
	Mentions int `json:"mentions"`
}

// convKey is the page's name of a conversation: a channel ID, or "app" for
// the person's DM with the bot.
func (s *Sandbox) convKey(user, channel string) string {
	if channel == s.Emu.DMChannelID(user) {
		return "app"
	}
	return channel
}

// markRead remembers that user has read channel up to its latest message.
func (s *Sandbox) markRead(user, channel string) {
	last := ""
	for _, m := range s.Emu.Messages(channel) {
		if tsLess(last, m.TS) {
			last = m.TS
		}
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if s.reads[user] == nil {
		s.reads[user] = map[string]string{}
	}
	if tsLess(s.reads[user][channel], last) {
		s.reads[user][channel] = last
	}
}

// unread counts, for every person, the unread messages of each
// conversation that has some.
func (s *Sandbox) unread() map[string]map[string]Unread {
	groups := map[string][]string{} // user -> group IDs
	for _, g := range s.Emu.UserGroups() {
		for _, u := range g.Users {
			groups[u] = append(groups[u], g.ID)
		}
	}
	rooms := map[string][]slackemu.Message{}
	for _, r := range s.dir.rooms {
		rooms[r.ID] = s.Emu.Messages(r.ID)
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	out := map[string]map[string]Unread{}
	for _, p := range s.dir.people {
		count := func(ch string, msgs []slackemu.Message, dm bool) {
			read := s.reads[p.ID][ch]
			var u Unread
			for _, m := range msgs {
				if m.User == p.ID || !tsLess(read, m.TS) {
					continue
				}
				u.Messages++
				if dm || mentions(m, p.ID, groups[p.ID]) {
					u.Mentions++
				}
			}
			if u.Messages > 0 {
				if out[p.ID] == nil {
					out[p.ID] = map[string]Unread{}
				}
				out[p.ID][s.convKey(p.ID, ch)] = u
			}
		}
		for ch, msgs := range rooms {
			count(ch, msgs, false)
		}
		dm := s.Emu.DMChannelID(p.ID)
		count(dm, s.Emu.Messages(dm), true)
	}
	return out
}

// mentions reports whether m names user or one of their groups.
func mentions(m slackemu.Message, user string, groups []string) bool {
	t := m.AllText()
	if strings.Contains(t, "<@"+user+">") || strings.Contains(t, "<@"+user+"|") {
		return true
	}
	for _, g := range groups {
		if strings.Contains(t, "<!subteam^"+g) {
			return true
		}
	}
	return false
}

func (s *Sandbox) handleRead(w http.ResponseWriter, r *http.Request) {
	a, ch, ok := s.readChannelAction(w, r)
	if !ok {
		return
	}
	s.markRead(a.User, ch)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "unread": s.unread()})
}
