package slackemu

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Message is the current version of a message as a person would see it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	// User is who posted it: the bot's user ID for everything the bot sends.
	User string
	Text string
	// Blocks is the message's Block Kit JSON array (nil when it has none). Use SlackBlocks to
	// decode it, Buttons to list its buttons, AllText to search its text.
	Blocks json.RawMessage
	Files  []File
	// Reactions are the emoji people added to it (React, Unreact), in order.
	Reactions []Reaction
	// Metadata is the message's metadata (chat.postMessage's metadata: an
	// event_type and an event_payload), nil when it has none.
	Metadata *slack.SlackMetadata
	// Updated counts chat.update / replace_original edits applied to this message.
	Updated int
	// Ephemeral messages are visible only to EphemeralUser (chat.postEphemeral, response_url
	// and slash-command ack replies).
	Ephemeral     bool
	EphemeralUser string
	// Source is how the message arrived: "chat.postMessage", "chat.postEphemeral",
	// "response_url", "ack" or "files.completeUploadExternal".
	Source string
	Time   time.Time
	// At is when it was posted by Options.MessageClock (zero without one).
	At time.Time
}

// SlackBlocks decodes Blocks with slack-go.
func (m Message) SlackBlocks() (slack.Blocks, error) {
	var b slack.Blocks
	if len(m.Blocks) == 0 {
		return b, nil
	}
	err := json.Unmarshal(m.Blocks, &b)
	return b, err
}

// Buttons lists the buttons of the message (in actions blocks and section accessories), in order.
func (m Message) Buttons() []Button { return buttonsIn(m.Blocks) }

// AllText returns the message text followed by every text found in its blocks, one per line,
// for assertions like strings.Contains(msg.AllText(), "Approved by").
func (m Message) AllText() string {
	var b strings.Builder
	b.WriteString(m.Text)
	collectText(&b, decodeAny(m.Blocks))
	return b.String()
}

// File is an uploaded file.
type File struct {
	ID    string
	Name  string
	Title string
	Size  int
	// AltText is the alt_txt given to files.getUploadURLExternal.
	AltText  string
	Content  []byte
	Channels []string
	Complete bool
}

// ChangeKind names the kind of a Change.
type ChangeKind string

// Kinds of Change.
const (
	ChangeMessagePosted  ChangeKind = "message_posted"
	ChangeMessageUpdated ChangeKind = "message_updated"
	ChangeMessageDeleted ChangeKind = "message_deleted"
	ChangeEphemeral      ChangeKind = "ephemeral"
	ChangeViewOpened     ChangeKind = "view_opened"
	ChangeViewUpdated    ChangeKind = "view_updated"
	ChangeViewClosed     ChangeKind = "view_closed"
	ChangeHomePublished  ChangeKind = "home_published"
	ChangeFile           ChangeKind = "file"
	ChangeConnection     ChangeKind = "connection"
)

// Change is one state change of the emulator, as delivered by Subscribe.
type Change struct {
	Kind    ChangeKind
	Channel string // message changes
	User    string // ephemeral, view and home changes: whose screen changed
	Message *Message
	View    *View
	File    *File
	Time    time.Time
}

type chanLog struct {
	msgs []*Message
	byTS map[string]*Message
}

// recordMessageLocked appends a message to its channel (or the ephemeral list) and notifies.
func (s *Server) recordMessageLocked(m *Message) {
	m.Time = time.Now()
	if s.opts.MessageClock != nil {
		m.At = s.opts.MessageClock()
	}
	if m.Ephemeral {
		s.ephemerals[m.EphemeralUser] = append(s.ephemerals[m.EphemeralUser], m)
		s.ephByKey[m.Channel+"/"+m.TS] = m
		s.wakeLocked("e:" + m.EphemeralUser)
		s.publishLocked(Change{Kind: ChangeEphemeral, Channel: m.Channel, User: m.EphemeralUser, Message: copyMsg(m)})
		return
	}
	l := s.logs[m.Channel]
	if l == nil {
		l = &chanLog{byTS: map[string]*Message{}}
		s.logs[m.Channel] = l
	}
	l.msgs = append(l.msgs, m)
	l.byTS[m.TS] = m
	s.wakeLocked("c:" + m.Channel)
	s.publishLocked(Change{Kind: ChangeMessagePosted, Channel: m.Channel, User: s.dmUser[m.Channel], Message: copyMsg(m)})
}

func (s *Server) findMessageLocked(channel, ts string) *Message {
	if l := s.logs[channel]; l != nil {
		return l.byTS[ts]
	}
	return nil
}

// updateMessageLocked notifies about an edited message (m was changed in place).
func (s *Server) updateMessageLocked(m *Message) {
	m.Updated++
	if m.Ephemeral {
		s.wakeLocked("e:" + m.EphemeralUser)
		s.publishLocked(Change{Kind: ChangeEphemeral, Channel: m.Channel, User: m.EphemeralUser, Message: copyMsg(m)})
		return
	}
	s.wakeLocked("c:" + m.Channel)
	s.publishLocked(Change{Kind: ChangeMessageUpdated, Channel: m.Channel, User: s.dmUser[m.Channel], Message: copyMsg(m)})
}

func (s *Server) deleteMessageLocked(m *Message) {
	if m.Ephemeral {
		list := s.ephemerals[m.EphemeralUser]
		if i := slices.Index(list, m); i >= 0 {
			s.ephemerals[m.EphemeralUser] = slices.Delete(list, i, i+1)
		}
		delete(s.ephByKey, m.Channel+"/"+m.TS)
		s.wakeLocked("e:" + m.EphemeralUser)
		return
	}
	l := s.logs[m.Channel]
	if l == nil {
		return
	}
	if i := slices.Index(l.msgs, m); i >= 0 {
		l.msgs = slices.Delete(l.msgs, i, i+1)
	}
	delete(l.byTS, m.TS)
	s.wakeLocked("c:" + m.Channel)
	s.publishLocked(Change{Kind: ChangeMessageDeleted, Channel: m.Channel, User: s.dmUser[m.Channel], Message: copyMsg(m)})
}

func copyMsg(m *Message) *Message {
	c := *m
	c.Files = slices.Clone(m.Files)
	c.Reactions = slices.Clone(m.Reactions)
	for i, r := range c.Reactions {
		c.Reactions[i].Users = slices.Clone(r.Users)
	}
	if m.Metadata != nil {
		md := *m.Metadata
		c.Metadata = &md
	}
	return &c
}

func copyMsgs(list []*Message) []Message {
	out := make([]Message, len(list))
	for i, m := range list {
		out[i] = *copyMsg(m)
	}
	return out
}

// Messages returns the current version of every message in a channel (or DM), oldest first.
// Deleted messages are left out; ephemeral messages are in Ephemerals.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.logs[channelID]; l != nil {
		return copyMsgs(l.msgs)
	}
	return nil
}

// Message returns one message by channel and ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMessageLocked(channelID, ts); m != nil {
		return *copyMsg(m), true
	}
	return Message{}, false
}

// DMs returns the messages of the bot's DM channel with userID, oldest first.
func (s *Server) DMs(userID string) []Message { return s.Messages(s.DMChannelID(userID)) }

// Ephemerals returns the ephemeral messages shown to userID (chat.postEphemeral, response_url
// replies that were not in_channel, and slash-command ack replies), oldest first.
func (s *Server) Ephemerals(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyMsgs(s.ephemerals[userID])
}

// WaitMessage waits until a message of channelID satisfies pred (nil matches any) and returns
// it. Messages already posted count. pred sees the current version of each message, so it can
// also wait for an update:
//
//	msg, err := emu.WaitMessage(ctx, "C0ESCALATE", func(m slackemu.Message) bool {
//		return strings.Contains(m.AllText(), "Approved by")
//	})
func (s *Server) WaitMessage(ctx context.Context, channelID string, pred func(Message) bool) (Message, error) {
	return waitFor(ctx, s, "c:"+channelID, func() (Message, bool) {
		if l := s.logs[channelID]; l != nil {
			for _, m := range l.msgs {
				if c := *copyMsg(m); pred == nil || pred(c) {
					return c, true
				}
			}
		}
		return Message{}, false
	})
}

// WaitDM waits until a message in the bot's DM with userID satisfies pred (nil matches any).
func (s *Server) WaitDM(ctx context.Context, userID string, pred func(Message) bool) (Message, error) {
	return s.WaitMessage(ctx, s.DMChannelID(userID), pred)
}

// WaitEphemeral waits until an ephemeral message shown to userID satisfies pred (nil matches any).
func (s *Server) WaitEphemeral(ctx context.Context, userID string, pred func(Message) bool) (Message, error) {
	return waitFor(ctx, s, "e:"+userID, func() (Message, bool) {
		for _, m := range s.ephemerals[userID] {
			if c := *copyMsg(m); pred == nil || pred(c) {
				return c, true
			}
		}
		return Message{}, false
	})
}

// Files returns every uploaded file in upload order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		f := *s.files[id]
		f.Channels = slices.Clone(f.Channels)
		out = append(out, f)
	}
	return out
}

// Subscribe returns a channel that receives every later state change, in order, and a cancel
// function that ends the subscription and closes the channel. Changes are queued without bound
// for slow readers, so the emulator never blocks on a subscriber.
func (s *Server) Subscribe() (<-chan Change, func()) {
	sub := &subscriber{out: make(chan Change), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	s.mu.Lock()
	s.seq++
	id := int(s.seq)
	if s.closed {
		sub.close()
	} else {
		s.subs[id] = sub
	}
	s.mu.Unlock()
	go sub.pump()
	cancel := func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
		sub.close()
	}
	return sub.out, cancel
}

func (s *Server) publishLocked(c Change) {
	if len(s.subs) == 0 {
		return
	}
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	for _, sub := range s.subs {
		sub.push(c)
	}
}

// subscriber queues changes for one Subscribe caller; pump (its goroutine) forwards them to out
// and exits, closing out, when stop is closed.
type subscriber struct {
	mu    sync.Mutex // guards queue
	queue []Change
	wake  chan struct{}
	stop  chan struct{}
	once  sync.Once
	out   chan Change
}

func (sub *subscriber) push(c Change) {
	sub.mu.Lock()
	sub.queue = append(sub.queue, c)
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

func (sub *subscriber) close() { sub.once.Do(func() { close(sub.stop) }) }

func (sub *subscriber) pump() {
	defer close(sub.out)
	for {
		sub.mu.Lock()
		q := sub.queue
		sub.queue = nil
		sub.mu.Unlock()
		for _, c := range q {
			select {
			case sub.out <- c:
			case <-sub.stop:
				return
			}
		}
		select {
		case <-sub.wake:
		case <-sub.stop:
			return
		}
	}
}
