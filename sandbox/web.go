package sandbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/slackemu"
)

//go:embed web
var webFS embed.FS

// actionTimeout bounds one action of the page (a command, a click, a
// submission): the bot acknowledges within 3s, and redelivery takes longer.
const actionTimeout = 15 * time.Second

// Handler serves the page, its static files and its JSON API:
//
//	GET  /                       the page
//	GET  /api/state              people, channels, jobs, clock, banner
//	GET  /api/messages?user=&channel=   what the person sees in a channel or their DM
//	GET  /api/views?user=        the person's open modal (top of the stack) and App Home
//	GET  /api/events?user=       server-sent events: every change the person can see
//	POST /api/command            {user, channel, text}: /empower text
//	POST /api/message            {user, channel, text}: a plain message
//	POST /api/click              {user, channel, ts, block_id, action_id} or {user, view_id, …}
//	POST /api/choose             the same with value: a select menu, overflow or picker
//	POST /api/submit             {user, view_id, values}: submit a modal
//	POST /api/close              {user, view_id}: cancel a modal
//	POST /api/home               {user}: open the App Home tab
//	POST /api/jobs/run           {name}: run a scheduled job now
//	POST /api/clock              {advance: "72h"} or {reset: true}; with run_due, the jobs that came due run
//	GET  /api/files/{id}         the bytes of an uploaded file (a chart), for the page to show
//	GET  /api/tour               the guided tour's steps, with what is done
//	POST /api/read               {user, channel}: the person has read it; every person's unread counts
//	GET  /favicon.ico            the page's icon
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFS, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", s.handleState)
	mux.HandleFunc("GET /api/messages", s.handleMessages)
	mux.HandleFunc("GET /api/views", s.handleViews)
	mux.HandleFunc("GET /api/events", s.handleEvents)
	mux.HandleFunc("POST /api/command", s.handleCommand)
	mux.HandleFunc("POST /api/message", s.handleMessage)
	mux.HandleFunc("POST /api/click", s.handleClick)
	mux.HandleFunc("POST /api/react", s.handleReact)
	mux.HandleFunc("POST /api/choose", s.handleChoose)
	mux.HandleFunc("POST /api/submit", s.handleSubmit)
	mux.HandleFunc("POST /api/close", s.handleClose)
	mux.HandleFunc("POST /api/home", s.handleHome)
	mux.HandleFunc("POST /api/jobs/run", s.handleRunJob)
	mux.HandleFunc("POST /api/clock", s.handleClock)
	mux.HandleFunc("GET /api/files/{id}", s.handleFile)
	mux.HandleFunc("GET /api/tour", s.handleTour)
	mux.HandleFunc("POST /api/read", s.handleRead)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "max-age=86400")
		b, _ := webFS.ReadFile("web/favicon.svg")
		_, _ = w.Write(b)
	})
	return loopbackHostOnly(mux)
}

// loopbackHostOnly refuses requests whose Host is a name other than
// localhost or a literal IP address: a page of another site that rebinds
// its own DNS name to 127.0.0.1 cannot drive the sandbox.
func loopbackHostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if host != "localhost" && net.ParseIP(host) == nil {
			fail(w, http.StatusForbidden, "open the sandbox at an IP address or localhost, not %q", r.Host)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]any{"ok": false, "error": fmt.Sprintf(format, args...)})
}

// decode reads a JSON body of at most 1 MiB. It wants Content-Type
// application/json, which a page of another site cannot send without the
// browser asking first (CORS), so other sites cannot act in the sandbox.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		fail(w, http.StatusUnsupportedMediaType, "want Content-Type application/json, got %q", ct)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "bad request body: %v", err)
		return false
	}
	return true
}

// person returns the person with this ID, or false.
func (s *Sandbox) person(id string) (Person, bool) {
	for _, p := range s.dir.people {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

// StateJSON is what GET /api/state returns.
type StateJSON struct {
	Team     string    `json:"team"`
	Bot      Person    `json:"bot"`
	People   []Person  `json:"people"`
	Channels []Room    `json:"channels"`
	Jobs     []JobJSON `json:"jobs"`
	Clock    ClockJSON `json:"clock"`
	Banner   string    `json:"banner,omitempty"`
	Policy   string    `json:"policy"`
	Command  string    `json:"command"`
	// Timezone is the policy's zone, in which the page shows times.
	Timezone string `json:"timezone"`
	// Activities and Values help the composer's hints.
	Activities []string `json:"activities"`
	Values     []string `json:"values"`
	// Users maps every user ID to its display name, for mentions.
	Users map[string]string `json:"users"`
	// Unread is every person's unread counts per conversation ("app" is
	// their DM with the bot).
	Unread map[string]map[string]Unread `json:"unread"`
	// Reaction is the policy's praise.reaction: the page offers it on
	// people's messages ("" hides the button).
	Reaction string `json:"reaction,omitempty"`
}

// JobJSON is a scheduled job.
type JobJSON struct {
	Name    string `json:"name"`
	Spec    string `json:"spec"`
	Running bool   `json:"running"`
	// About says what it does; Every says its schedule in words; Next is
	// its next run in bot time (absent when it has no schedule).
	About string     `json:"about,omitempty"`
	Every string     `json:"every"`
	Next  *time.Time `json:"next,omitempty"`
}

// ClockJSON is the sandbox clock.
type ClockJSON struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
	// OffsetSeconds is the offset in seconds.
	OffsetSeconds int64 `json:"offset_seconds"`
}

func (s *Sandbox) clockJSON() ClockJSON {
	off := s.Clock.Offset()
	return ClockJSON{Now: s.Clock.Now().In(s.cfg.Policy.Location), Offset: off.Round(time.Second).String(), OffsetSeconds: int64(off / time.Second)}
}

func (s *Sandbox) specOf(name string) string {
	sc := s.cfg.Policy.Schedules
	return map[string]string{
		"feedback":             sc.Feedback,
		"feedback_reminder":    sc.FeedbackReminder,
		"commitment_reminders": sc.CommitmentReminders,
		"escalation_timeouts":  sc.EscalationTimeouts,
		"outcome_followups":    sc.OutcomeFollowups,
		"digest":               sc.Digest,
	}[name]
}

func (s *Sandbox) handleState(w http.ResponseWriter, _ *http.Request) {
	st := StateJSON{
		Team:     s.Emu.TeamID(),
		Bot:      Person{ID: s.Emu.BotUserID(), Name: "empowerbot", RealName: "empowerbot", Role: "app"},
		People:   s.dir.people,
		Channels: s.dir.rooms,
		Clock:    s.clockJSON(),
		Policy:   s.cfg.PolicySource,
		Command:  s.Emu.Command(),
		Timezone: s.cfg.Policy.Location.String(),
		Values:   s.cfg.Policy.Values,
		Users:    map[string]string{},
		Unread:   s.unread(),
		Reaction: s.cfg.Policy.Praise.Reaction,
	}
	if s.InMemory() {
		st.Banner = InMemoryBanner
	}
	for _, a := range s.cfg.Policy.Activities {
		st.Activities = append(st.Activities, a.Name)
	}
	for _, u := range s.Emu.Users() {
		st.Users[u.ID] = u.Name
	}
	now := s.Clock.Now()
	s.jobMu.Lock()
	for _, n := range s.App.Jobs.Names() {
		j := JobJSON{Name: n, Spec: s.specOf(n), Running: s.running[n], About: jobAbout[n], Every: specWords(s.specOf(n))}
		if next := s.nextRun(n, now); !next.IsZero() {
			j.Next = &next
		}
		st.Jobs = append(st.Jobs, j)
	}
	s.jobMu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

// MessageJSON is a message as the page shows it.
type MessageJSON struct {
	Channel       string          `json:"channel"`
	TS            string          `json:"ts"`
	ThreadTS      string          `json:"thread_ts,omitempty"`
	User          string          `json:"user"`
	Text          string          `json:"text"`
	Blocks        json.RawMessage `json:"blocks,omitempty"`
	Ephemeral     bool            `json:"ephemeral,omitempty"`
	EphemeralUser string          `json:"ephemeral_user,omitempty"`
	Updated       int             `json:"updated,omitempty"`
	Deleted       bool            `json:"deleted,omitempty"`
	// Files are the files shared with the message (files.completeUploadExternal).
	Files []FileJSON `json:"files,omitempty"`
	// At is when it was posted by the bot's clock, as the bot's own
	// history and cards count time.
	At time.Time `json:"at"`
	// Reactions are the emoji people added, with who added them.
	Reactions []ReactionJSON `json:"reactions,omitempty"`
}

// ReactionJSON is one emoji on a message.
type ReactionJSON struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
}

// FileJSON is a file shared in a message; URL serves its bytes to the page.
type FileJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Title   string `json:"title"`
	AltText string `json:"alt_text,omitempty"`
	Size    int    `json:"size"`
	// Mimetype is sniffed from the content; the page shows image/* inline.
	Mimetype string `json:"mimetype"`
	URL      string `json:"url"`
}

func messageJSON(m slackemu.Message) MessageJSON {
	out := MessageJSON{
		Channel: m.Channel, TS: m.TS, ThreadTS: m.ThreadTS, User: m.User, Text: m.Text,
		Blocks: m.Blocks, Ephemeral: m.Ephemeral, EphemeralUser: m.EphemeralUser, Updated: m.Updated,
		At: m.At,
	}
	if out.At.IsZero() {
		out.At = m.Time
	}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, ReactionJSON{Name: r.Name, Users: r.Users})
	}
	for _, f := range m.Files {
		out.Files = append(out.Files, FileJSON{
			ID: f.ID, Name: f.Name, Title: f.Title, AltText: f.AltText, Size: len(f.Content),
			Mimetype: fileType(f.Content), URL: "/api/files/" + url.PathEscape(f.ID),
		})
	}
	return out
}

// fileType sniffs a file's content type; only the image types a browser
// shows safely count as images, anything else is served as a download.
func fileType(content []byte) string {
	switch t := http.DetectContentType(content); t {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return t
	default:
		return "application/octet-stream"
	}
}

// handleFile serves the bytes of a completed upload: images inline, anything
// else as an attachment, never sniffed into HTML by the browser.
func (s *Sandbox) handleFile(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, f := range s.Emu.Files() {
		if f.ID != id || !f.Complete {
			continue
		}
		ct := fileType(f.Content)
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		if !strings.HasPrefix(ct, "image/") {
			w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(path.Base(f.Name), `"`, "")+`"`)
		}
		_, _ = w.Write(f.Content)
		return
	}
	fail(w, http.StatusNotFound, "no file %q", id)
}

// ViewJSON is a modal or the App Home as the page shows it.
type ViewJSON struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	User   string          `json:"user"`
	Open   bool            `json:"open"`
	Title  string          `json:"title"`
	Blocks json.RawMessage `json:"blocks"`
	// View is the whole view object (submit and close labels, state).
	View json.RawMessage `json:"view"`
	// Version counts the view's updates (views.update, views.publish): of
	// two copies of one view, the page keeps the higher version, so a copy
	// fetched before an update that arrives after it is not shown.
	Version int `json:"version"`
}

func viewJSON(v slackemu.View) ViewJSON {
	return ViewJSON{ID: v.ID, Type: v.Type, User: v.UserID, Open: v.Open, Title: v.Title, Blocks: v.Blocks, View: v.JSON, Version: v.Updated}
}

// channelFor maps the page's channel argument to the emulator's: "dm" or
// "" is the person's DM with the bot.
func (s *Sandbox) channelFor(user, ch string) (string, error) {
	if ch == "" || ch == "dm" {
		return s.Emu.DMChannelID(user), nil
	}
	if ch == s.Emu.DMChannelID(user) {
		return ch, nil
	}
	for _, r := range s.dir.rooms {
		if r.ID == ch {
			return ch, nil
		}
	}
	return "", fmt.Errorf("unknown channel %q", ch)
}

func (s *Sandbox) handleMessages(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if _, ok := s.person(user); !ok {
		fail(w, http.StatusBadRequest, "unknown user %q", user)
		return
	}
	ch, err := s.channelFor(user, r.URL.Query().Get("channel"))
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	var out []MessageJSON
	for _, m := range s.Emu.Messages(ch) {
		out = append(out, messageJSON(m))
	}
	for _, m := range s.Emu.Ephemerals(user) {
		if m.Channel == ch {
			out = append(out, messageJSON(m))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return tsLess(out[i].TS, out[j].TS) })
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch, "messages": out})
}

// tsLess orders Slack timestamps ("1700000000.000100").
func tsLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func (s *Sandbox) handleViews(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if _, ok := s.person(user); !ok {
		fail(w, http.StatusBadRequest, "unknown user %q", user)
		return
	}
	res := map[string]any{"ok": true}
	if stack := s.Emu.OpenViews(user); len(stack) > 0 {
		res["modal"] = viewJSON(stack[len(stack)-1])
	}
	if h, ok := s.Emu.Home(user); ok {
		res["home"] = viewJSON(h)
	}
	writeJSON(w, http.StatusOK, res)
}

// EventJSON is one server-sent event; kind "unread" carries every
// person's unread counts after messages changed anywhere.
type EventJSON struct {
	Kind    string                       `json:"kind"`
	Unread  map[string]map[string]Unread `json:"unread,omitempty"`
	Channel string                       `json:"channel,omitempty"`
	User    string                       `json:"user,omitempty"`
	Message *MessageJSON                 `json:"message,omitempty"`
	View    *ViewJSON                    `json:"view,omitempty"`
}

// visible reports whether user may see change c: ephemerals, views and
// homes are the person's own; DMs are theirs; channel messages are everyone's.
func (s *Sandbox) visible(user string, c slackemu.Change) bool {
	switch c.Kind {
	case slackemu.ChangeEphemeral, slackemu.ChangeViewOpened, slackemu.ChangeViewUpdated,
		slackemu.ChangeViewClosed, slackemu.ChangeHomePublished:
		return c.User == user
	case slackemu.ChangeMessagePosted, slackemu.ChangeMessageUpdated, slackemu.ChangeMessageDeleted:
		if strings.HasPrefix(c.Channel, "D") {
			return c.Channel == s.Emu.DMChannelID(user)
		}
		return true
	}
	return false
}

func (s *Sandbox) handleEvents(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if _, ok := s.person(user); !ok {
		fail(w, http.StatusBadRequest, "unknown user %q", user)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	changes, cancel := s.Emu.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\nevent: hello\ndata: {}\n\n")
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	// Unread counts go out once a burst of messages is over.
	var unreadDue <-chan time.Time
	send := func(ev EventJSON) {
		b, err := json.Marshal(ev)
		if err != nil {
			return
		}
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case <-unreadDue:
			unreadDue = nil
			send(EventJSON{Kind: "unread", Unread: s.unread()})
		case c, ok := <-changes:
			if !ok {
				return
			}
			if (c.Kind == slackemu.ChangeMessagePosted || c.Kind == slackemu.ChangeMessageDeleted) && unreadDue == nil {
				unreadDue = time.After(50 * time.Millisecond)
			}
			if !s.visible(user, c) {
				continue
			}
			ev := EventJSON{Kind: string(c.Kind), Channel: c.Channel, User: c.User}
			if c.Message != nil {
				m := messageJSON(*c.Message)
				m.Deleted = c.Kind == slackemu.ChangeMessageDeleted
				ev.Message = &m
			}
			if c.View != nil {
				v := viewJSON(*c.View)
				ev.View = &v
			}
			send(ev)
		}
	}
}

// actionRequest is the body of the page's POSTs.
type actionRequest struct {
	User     string                    `json:"user"`
	Channel  string                    `json:"channel"`
	Text     string                    `json:"text"`
	TS       string                    `json:"ts"`
	ViewID   string                    `json:"view_id"`
	BlockID  string                    `json:"block_id"`
	ActionID string                    `json:"action_id"`
	Values   map[string]map[string]any `json:"values"`
	Value    any                       `json:"value"`
	Name     string                    `json:"name"`
	Advance  string                    `json:"advance"`
	Reset    bool                      `json:"reset"`
	RunDue   bool                      `json:"run_due"`
}

// readAction decodes the body and checks its user.
func (s *Sandbox) readAction(w http.ResponseWriter, r *http.Request) (actionRequest, bool) {
	var a actionRequest
	if !decode(w, r, &a) {
		return a, false
	}
	if _, ok := s.person(a.User); !ok {
		fail(w, http.StatusBadRequest, "unknown user %q", a.User)
		return a, false
	}
	return a, true
}

// readChannelAction is readAction for an action in a channel: it also
// resolves the action's channel for its user.
func (s *Sandbox) readChannelAction(w http.ResponseWriter, r *http.Request) (actionRequest, string, bool) {
	a, ok := s.readAction(w, r)
	if !ok {
		return a, "", false
	}
	ch, err := s.channelFor(a.User, a.Channel)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return a, "", false
	}
	return a, ch, true
}

var mentionRE = regexp.MustCompile(`(?i)(^|[\s(])@([a-z0-9._-]+)`)

// escapeMentions turns "@bob" into "<@U0BOB|bob>", as Slack does for a slash
// command whose app asks for escaped mentions (and for messages).
func (s *Sandbox) escapeMentions(text string) string {
	byName := map[string]string{}
	for _, u := range s.Emu.Users() {
		byName[strings.ToLower(u.Name)] = u.ID
	}
	groups := map[string]string{}
	for _, g := range s.Emu.UserGroups() {
		groups[strings.ToLower(g.Handle)] = g.ID
	}
	return mentionRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		name := strings.ToLower(sub[2])
		if id, ok := byName[name]; ok {
			return sub[1] + "<@" + id + "|" + name + ">"
		}
		if id, ok := groups[name]; ok {
			return sub[1] + "<!subteam^" + id + "|@" + name + ">"
		}
		switch name {
		case "channel", "here", "everyone":
			return sub[1] + "<!" + name + ">"
		}
		return m
	})
}

func (s *Sandbox) handleCommand(w http.ResponseWriter, r *http.Request) {
	a, ch, ok := s.readChannelAction(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(a.Text)
	if cmd := s.Emu.Command(); text == cmd || strings.HasPrefix(text, cmd+" ") {
		text = strings.TrimSpace(strings.TrimPrefix(text, cmd))
	}
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	res, err := s.Emu.SlashCommand(ctx, a.User, ch, s.escapeMentions(text))
	if err != nil {
		fail(w, http.StatusBadGateway, "the bot did not answer: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "text": res.Text, "response_type": res.ResponseType})
}

func (s *Sandbox) handleMessage(w http.ResponseWriter, r *http.Request) {
	a, ch, ok := s.readChannelAction(w, r)
	if !ok {
		return
	}
	post := func() (slackemu.Message, error) { return s.Emu.PostAsUser(a.User, ch, s.escapeMentions(a.Text)) }
	if ch == s.Emu.DMChannelID(a.User) {
		// The bot's Messages tab: Slack sends message.im, and the bot answers.
		post = func() (slackemu.Message, error) { return s.Emu.SendDM(r.Context(), a.User, s.escapeMentions(a.Text)) }
	}
	m, err := post()
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "ts": m.TS})
}

// handleReact adds the emoji a.Name to the message a.Channel/a.TS as a.User,
// or takes it away when they had added it, as clicking a reaction in Slack
// does; the emulator sends the bot reaction_added (praise by reaction).
func (s *Sandbox) handleReact(w http.ResponseWriter, r *http.Request) {
	a, ok := s.readAction(w, r)
	if !ok {
		return
	}
	msg, status, err := s.messageOf(a)
	if err != nil {
		fail(w, status, "%v", err)
		return
	}
	react := s.Emu.React
	for _, re := range msg.Reactions {
		if re.Name == a.Name && slices.Contains(re.Users, a.User) {
			react = s.Emu.Unreact
		}
	}
	if _, err := react(r.Context(), a.User, msg.Channel, msg.TS, a.Name); err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// messageOf finds the message an action names (channel and ts), as the
// person sees it; the status is the HTTP one for the error.
func (s *Sandbox) messageOf(a actionRequest) (slackemu.Message, int, error) {
	ch, err := s.channelFor(a.User, a.Channel)
	if err != nil {
		return slackemu.Message{}, http.StatusBadRequest, err
	}
	msg, found := s.Emu.FindMessage(a.User, ch, a.TS)
	if !found {
		return slackemu.Message{}, http.StatusNotFound, fmt.Errorf("no message %s in %s", a.TS, ch)
	}
	return msg, http.StatusOK, nil
}

// stringList turns a JSON array ([]any) into the []string the emulator
// wants for multi-value inputs; other values are returned as they are.
func stringList(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	strs := make([]string, 0, len(list))
	for _, x := range list {
		strs = append(strs, fmt.Sprint(x))
	}
	return strs
}

func ackJSON(ack slackemu.Ack) map[string]any {
	return map[string]any{"ok": true, "response_action": ack.ResponseAction, "errors": ack.Errors}
}

func (s *Sandbox) handleClick(w http.ResponseWriter, r *http.Request) {
	a, ok := s.readAction(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	var ack slackemu.Ack
	var err error
	if a.ViewID != "" {
		ack, err = s.Emu.ClickActionInView(ctx, a.User, a.ViewID, a.BlockID, a.ActionID)
	} else {
		msg, status, ferr := s.messageOf(a)
		if ferr != nil {
			fail(w, status, "%v", ferr)
			return
		}
		ack, err = s.Emu.ClickAction(ctx, a.User, msg, a.BlockID, a.ActionID)
	}
	if err != nil {
		fail(w, http.StatusBadGateway, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, ackJSON(ack))
}

func (s *Sandbox) handleChoose(w http.ResponseWriter, r *http.Request) {
	a, ok := s.readAction(w, r)
	if !ok {
		return
	}
	a.Value = stringList(a.Value)
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	var ack slackemu.Ack
	var err error
	if a.ViewID != "" {
		ack, err = s.Emu.ChooseActionInView(ctx, a.User, a.ViewID, a.BlockID, a.ActionID, a.Value)
	} else {
		msg, status, ferr := s.messageOf(a)
		if ferr != nil {
			fail(w, status, "%v", ferr)
			return
		}
		ack, err = s.Emu.ChooseAction(ctx, a.User, msg, a.BlockID, a.ActionID, a.Value)
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, ackJSON(ack))
}

func (s *Sandbox) handleSubmit(w http.ResponseWriter, r *http.Request) {
	a, ok := s.readAction(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	values := slackemu.Values{}
	for b, acts := range a.Values {
		for act, v := range acts {
			values.Set(b, act, stringList(v))
		}
	}
	ack, err := s.Emu.SubmitView(ctx, a.User, a.ViewID, values)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, ackJSON(ack))
}

func (s *Sandbox) handleClose(w http.ResponseWriter, r *http.Request) {
	a, ok := s.readAction(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	if err := s.Emu.CloseView(ctx, a.User, a.ViewID); err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Sandbox) handleHome(w http.ResponseWriter, r *http.Request) {
	a, ok := s.readAction(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	if _, err := s.Emu.OpenHome(ctx, a.User); err != nil {
		fail(w, http.StatusBadGateway, "%v", err)
		return
	}
	res := map[string]any{"ok": true}
	if h, ok := s.Emu.Home(a.User); ok {
		res["home"] = viewJSON(h)
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Sandbox) handleRunJob(w http.ResponseWriter, r *http.Request) {
	var a actionRequest
	if !decode(w, r, &a) {
		return
	}
	if !slices.Contains(s.App.Jobs.Names(), a.Name) {
		fail(w, http.StatusBadRequest, "no job %q; jobs: %s", a.Name, strings.Join(s.App.Jobs.Names(), ", "))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	if err := s.runJob(ctx, a.Name); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errRunning) {
			status = http.StatusConflict
		}
		fail(w, status, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "name": a.Name, "duration_ms": time.Since(start).Milliseconds()})
}

func (s *Sandbox) handleClock(w http.ResponseWriter, r *http.Request) {
	var a actionRequest
	if !decode(w, r, &a) {
		return
	}
	switch {
	case a.Reset:
		s.Clock.Advance(-s.Clock.Offset())
	case a.Advance != "":
		d, err := dates.ParseDuration(a.Advance)
		if err != nil || d <= 0 {
			fail(w, http.StatusBadRequest, "advance %q: want a positive duration like 4h, 72h or 7d", a.Advance)
			return
		}
		if d > 366*24*time.Hour {
			fail(w, http.StatusBadRequest, "advance %q: at most a year at a time", a.Advance)
			return
		}
		from := s.Clock.Now()
		s.Clock.Advance(d)
		if s.mem != nil {
			if err := s.mem.Advance(r.Context(), d); err != nil {
				fail(w, http.StatusInternalServerError, "%v", err)
				return
			}
		}
		if a.RunDue {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
			defer cancel()
			ran := s.runDue(ctx, from, s.Clock.Now())
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "clock": s.clockJSON(), "ran": ran})
			return
		}
	default:
		fail(w, http.StatusBadRequest, `want {"advance": "72h"} or {"reset": true}`)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "clock": s.clockJSON()})
}
