package slackemu

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// maxViewStack is how many modals may be stacked (root + 2 pushes).
const maxViewStack = 3

// View is a modal or App Home view as the bot last set it.
type View struct {
	ID              string
	Type            string // "modal" or "home"
	UserID          string // whose screen it is on
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Title           string // title text (modals)
	Hash            string
	RootViewID      string
	PreviousViewID  string
	NotifyOnClose   bool
	// Blocks is the view's Block Kit JSON array.
	Blocks json.RawMessage
	// JSON is the whole view object in Slack's shape (as sent in view_submission payloads).
	JSON json.RawMessage
	// Open reports whether the modal is still on the user's screen (always true for Home).
	Open bool
	// Updated counts views.update calls and response_action updates applied to it.
	Updated int
}

// Buttons lists the buttons of the view, in order.
func (v View) Buttons() []Button { return buttonsIn(v.Blocks) }

// AllText returns the title followed by every text of the view's blocks, one per line.
func (v View) AllText() string {
	var b strings.Builder
	b.WriteString(v.Title)
	collectText(&b, decodeAny(v.Blocks))
	return b.String()
}

type viewRec struct {
	id, user string
	obj      map[string]any // the view as the bot sent it, normalised
	hash     string
	rootID   string
	prevID   string
	open     bool
	updated  int
	state    map[string]any // block_id -> action_id -> value, from the last submission
}

type trigger struct {
	user   string
	issued time.Time
	used   bool
}

func (s *Server) issueTriggerLocked(user string) string {
	s.seq++
	now := s.opts.Now()
	id := fmt.Sprintf("%d.%d.%s", now.Unix(), s.seq, randomHex(8))
	s.triggers[id] = &trigger{user: user, issued: now}
	return id
}

func (s *Server) useTriggerLocked(id string) (string, *apiError) {
	t, ok := s.triggers[id]
	switch {
	case id == "":
		return "", errf("invalid_arguments", "[ERROR] missing required field: trigger_id [json-pointer:/trigger_id]")
	case !ok:
		return "", errf("invalid_trigger_id")
	case t.used:
		return "", errf("exchanged_trigger_id")
	case s.opts.Now().Sub(t.issued) > s.opts.TriggerTTL:
		return "", errf("expired_trigger_id")
	}
	t.used = true
	return t.user, nil
}

func (s *Server) newHash() string { return fmt.Sprintf("%d.%s", time.Now().Unix(), randomHex(4)) }

func (s *Server) viewJSONLocked(r *viewRec) map[string]any {
	out := maps.Clone(r.obj)
	state := r.state
	if state == nil {
		state = map[string]any{}
	}
	def := func(k string, v any) {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	out["id"] = r.id
	out["team_id"] = s.opts.TeamID
	out["state"] = map[string]any{"values": state}
	out["hash"] = r.hash
	out["root_view_id"] = r.rootID
	if r.prevID != "" {
		out["previous_view_id"] = r.prevID
	} else {
		out["previous_view_id"] = nil
	}
	out["app_id"] = s.opts.AppID
	out["bot_id"] = s.opts.BotID
	out["app_installed_team_id"] = s.opts.TeamID
	def("private_metadata", "")
	def("callback_id", "")
	def("external_id", "")
	def("clear_on_close", false)
	def("notify_on_close", false)
	return out
}

func (s *Server) viewLocked(r *viewRec) View {
	j, _ := json.Marshal(s.viewJSONLocked(r))
	blocks, _ := json.Marshal(r.obj["blocks"])
	notify, _ := r.obj["notify_on_close"].(bool)
	return View{
		ID: r.id, Type: str(r.obj, "type"), UserID: r.user, CallbackID: str(r.obj, "callback_id"),
		ExternalID: str(r.obj, "external_id"), PrivateMetadata: str(r.obj, "private_metadata"),
		Title: textOf(r.obj["title"]), Hash: r.hash, RootViewID: r.rootID, PreviousViewID: r.prevID,
		NotifyOnClose: notify, Blocks: blocks, JSON: j, Open: r.open, Updated: r.updated,
	}
}

// newViewLocked stores a new view for user.
func (s *Server) newViewLocked(user string, obj map[string]any) *viewRec {
	r := &viewRec{id: s.nextIDLocked("V"), user: user, obj: obj, hash: s.newHash(), open: true}
	r.rootID = r.id
	s.views[r.id] = r
	s.viewOrder = append(s.viewOrder, r.id)
	if ext := str(obj, "external_id"); ext != "" {
		s.extViews[ext] = r.id
	}
	return r
}

func (s *Server) viewChangedLocked(r *viewRec, kind ChangeKind) {
	s.wakeLocked("v:" + r.user)
	v := s.viewLocked(r)
	s.publishLocked(Change{Kind: kind, User: r.user, View: &v})
}

// openModalLocked replaces user's modal stack with a new root view.
func (s *Server) openModalLocked(user string, obj map[string]any) *viewRec {
	s.closeStackLocked(user, 0)
	r := s.newViewLocked(user, obj)
	s.stacks[user] = []string{r.id}
	s.viewChangedLocked(r, ChangeViewOpened)
	return r
}

// pushModalLocked pushes a view on user's stack.
func (s *Server) pushModalLocked(user string, obj map[string]any) (*viewRec, *apiError) {
	stack := s.stacks[user]
	if len(stack) == 0 {
		return nil, errf("not_found", "no modal is open to push onto")
	}
	if len(stack) >= maxViewStack {
		return nil, errf("push_limit_reached")
	}
	r := s.newViewLocked(user, obj)
	r.rootID = stack[0]
	r.prevID = stack[len(stack)-1]
	s.stacks[user] = append(stack, r.id)
	s.viewChangedLocked(r, ChangeViewOpened)
	return r, nil
}

// closeStackLocked closes the views of user's stack from position from upwards.
func (s *Server) closeStackLocked(user string, from int) {
	stack := s.stacks[user]
	if from >= len(stack) {
		return
	}
	for _, id := range stack[from:] {
		if r := s.views[id]; r != nil {
			r.open = false
			s.viewChangedLocked(r, ChangeViewClosed)
		}
	}
	s.stacks[user] = slices.Clone(stack[:from])
}

func (s *Server) viewsOpen(c *call) (map[string]any, *apiError) {
	obj, problems := checkView(c.p.json("view"), false)
	if problems != nil {
		return nil, errf("invalid_arguments", problems...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, e := s.useTriggerLocked(c.p.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	if e := s.checkExternalIDLocked(obj, ""); e != nil {
		return nil, e
	}
	r := s.openModalLocked(user, obj)
	return map[string]any{"view": s.viewJSONLocked(r)}, nil
}

func (s *Server) checkExternalIDLocked(obj map[string]any, self string) *apiError {
	if ext := str(obj, "external_id"); ext != "" {
		if id, ok := s.extViews[ext]; ok && id != self {
			return errf("duplicate_external_id")
		}
	}
	return nil
}

func (s *Server) viewsPush(c *call) (map[string]any, *apiError) {
	obj, problems := checkView(c.p.json("view"), false)
	if problems != nil {
		return nil, errf("invalid_arguments", problems...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, e := s.useTriggerLocked(c.p.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	if e := s.checkExternalIDLocked(obj, ""); e != nil {
		return nil, e
	}
	r, e := s.pushModalLocked(user, obj)
	if e != nil {
		return nil, e
	}
	return map[string]any{"view": s.viewJSONLocked(r)}, nil
}

func (s *Server) viewsUpdate(c *call) (map[string]any, *apiError) {
	raw := c.p.json("view")
	var probe struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &probe)
	obj, problems := checkView(raw, probe.Type == "home")
	if problems != nil {
		return nil, errf("invalid_arguments", problems...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.p.str("view_id")
	if id == "" {
		id = s.extViews[c.p.str("external_id")]
	}
	r := s.views[id]
	if r == nil || !r.open {
		return nil, errf("not_found")
	}
	if h := c.p.str("hash"); h != "" && h != r.hash {
		return nil, errf("hash_conflict")
	}
	if str(r.obj, "type") != str(obj, "type") {
		return nil, errf("invalid_arguments", "[ERROR] cannot change the view type [json-pointer:/view/type]")
	}
	if e := s.checkExternalIDLocked(obj, r.id); e != nil {
		return nil, e
	}
	if ext := str(obj, "external_id"); ext != "" {
		s.extViews[ext] = r.id
	}
	r.obj = obj
	r.hash = s.newHash()
	r.updated++
	kind := ChangeViewUpdated
	if str(obj, "type") == "home" {
		kind = ChangeHomePublished
	}
	s.viewChangedLocked(r, kind)
	return map[string]any{"view": s.viewJSONLocked(r)}, nil
}

func (s *Server) viewsPublish(c *call) (map[string]any, *apiError) {
	obj, problems := checkView(c.p.json("view"), true)
	if problems != nil {
		return nil, errf("invalid_arguments", problems...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user := c.p.str("user_id")
	if _, ok := s.users[user]; !ok {
		return nil, errf("user_not_found")
	}
	r := s.views[s.homes[user]]
	if r == nil {
		r = s.newViewLocked(user, obj)
		s.homes[user] = r.id
	} else {
		if h := c.p.str("hash"); h != "" && h != r.hash {
			return nil, errf("hash_conflict")
		}
		r.obj = obj
		r.hash = s.newHash()
		r.updated++
	}
	s.viewChangedLocked(r, ChangeHomePublished)
	return map[string]any{"view": s.viewJSONLocked(r)}, nil
}

// View returns a view by ID.
func (s *Server) View(viewID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.views[viewID]
	if r == nil {
		return View{}, false
	}
	return s.viewLocked(r), true
}

// OpenViews returns userID's open modal stack, root first (the last one is on top).
func (s *Server) OpenViews(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.stacks[userID] {
		out = append(out, s.viewLocked(s.views[id]))
	}
	return out
}

// Home returns userID's App Home view, if the bot published one.
func (s *Server) Home(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.views[s.homes[userID]]
	if r == nil {
		return View{}, false
	}
	return s.viewLocked(r), true
}

// WaitView waits until the modal on top of userID's stack satisfies pred (nil matches any).
//
//	v, err := emu.WaitView(ctx, "U0DAVE", func(v slackemu.View) bool { return v.CallbackID == "log_decision" })
func (s *Server) WaitView(ctx context.Context, userID string, pred func(View) bool) (View, error) {
	return waitFor(ctx, s, "v:"+userID, func() (View, bool) {
		stack := s.stacks[userID]
		if len(stack) == 0 {
			return View{}, false
		}
		v := s.viewLocked(s.views[stack[len(stack)-1]])
		return v, pred == nil || pred(v)
	})
}

// WaitHome waits until userID's App Home satisfies pred (nil matches any published Home).
func (s *Server) WaitHome(ctx context.Context, userID string, pred func(View) bool) (View, error) {
	return waitFor(ctx, s, "v:"+userID, func() (View, bool) {
		r := s.views[s.homes[userID]]
		if r == nil {
			return View{}, false
		}
		v := s.viewLocked(r)
		return v, pred == nil || pred(v)
	})
}
