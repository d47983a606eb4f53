package slackemu

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Reaction is one emoji on a message and who added it, in order.
type Reaction struct {
	Name  string
	Users []string
}

// React adds emoji name (without colons) to the message channel/ts as userID, as a person
// clicking a reaction in Slack does, and delivers the reaction_added event Slack sends for it:
// only when the bot is a member of the channel and its token has the reactions:read scope
// (Slack delivers no reaction event from a conversation the bot is not in). It returns the
// event's envelope ID, empty when no event was delivered. Reacting twice with the same emoji is
// already_reacted, as reactions.add answers.
func (s *Server) React(ctx context.Context, userID, channel, ts, name string) (envelopeID string, err error) {
	return s.deliverReaction(ctx, userID, channel, ts, name, true)
}

// Unreact removes userID's emoji name from the message channel/ts (reactions.remove) and,
// under the same conditions as React, delivers reaction_removed (as Slack does to an app
// subscribed to it). Removing a reaction that is not there is no_reaction.
func (s *Server) Unreact(ctx context.Context, userID, channel, ts, name string) (envelopeID string, err error) {
	return s.deliverReaction(ctx, userID, channel, ts, name, false)
}

// deliverReaction changes the reactions of a message and sends the event, if any.
func (s *Server) deliverReaction(ctx context.Context, userID, channel, ts, name string, add bool) (string, error) {
	ev, err := s.react(userID, channel, ts, name, add)
	if err != nil || ev == nil {
		return "", err
	}
	id, _ := s.SendEvent(ctx, ev)
	return id, nil
}

// react changes the reactions of a message and returns the event to deliver, nil when Slack
// would deliver none to the bot.
func (s *Server) react(userID, channel, ts, name string, add bool) (map[string]any, error) {
	name = strings.Trim(name, ":")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return nil, fmt.Errorf("slackemu: unknown user %s", userID)
	}
	ch, ok := s.resolveChannelLocked(channel)
	if !ok {
		return nil, &apiError{code: "channel_not_found"}
	}
	m := s.findMessageLocked(ch, ts)
	if m == nil {
		return nil, &apiError{code: "message_not_found"}
	}
	i := slices.IndexFunc(m.Reactions, func(r Reaction) bool { return r.Name == name })
	typ := "reaction_added"
	switch {
	case add && i >= 0 && slices.Contains(m.Reactions[i].Users, userID):
		return nil, &apiError{code: "already_reacted"}
	case add && i >= 0:
		m.Reactions[i].Users = append(m.Reactions[i].Users, userID)
	case add:
		m.Reactions = append(m.Reactions, Reaction{Name: name, Users: []string{userID}})
	case i < 0 || !slices.Contains(m.Reactions[i].Users, userID):
		return nil, &apiError{code: "no_reaction"}
	default:
		typ = "reaction_removed"
		m.Reactions[i].Users = slices.DeleteFunc(m.Reactions[i].Users, func(u string) bool { return u == userID })
		if len(m.Reactions[i].Users) == 0 {
			m.Reactions = slices.Delete(m.Reactions, i, i+1)
		}
	}
	s.wakeLocked("c:" + m.Channel)
	s.publishLocked(Change{Kind: ChangeMessageUpdated, Channel: m.Channel, User: s.dmUser[m.Channel], Message: copyMsg(m)})
	if c := s.channels[ch]; c == nil || c.BotNotMember || !slices.Contains(s.scopesLocked(), "reactions:read") {
		return nil, nil
	}
	ev := map[string]any{
		"type": typ, "user": userID, "reaction": name,
		"item":     map[string]any{"type": "message", "channel": ch, "ts": m.TS},
		"event_ts": s.nextTSLocked(),
	}
	if m.User != "" {
		ev["item_user"] = m.User
	}
	return ev, nil
}
