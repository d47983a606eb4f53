package slackemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Call is one recorded Web API call.
type Call struct {
	Method string
	// Params holds the decoded arguments: form fields as strings, JSON bodies as decoded JSON
	// (objects as map[string]any). The token is left out.
	Params map[string]any
	Time   time.Time
	OK     bool
	Error  string // Slack error code when !OK, e.g. "invalid_blocks", "ratelimited"
	Status int    // HTTP status of the answer

	// raw is what Params is decoded from, when Calls is first asked for
	// the call: a load run records calls by the hundred thousand and
	// reads few of them.
	raw params
}

// Param returns a parameter as a string (JSON values other than strings are re-encoded).
func (c Call) Param(name string) string {
	switch v := c.Params[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// apiError is a Slack error answer.
type apiError struct {
	code     string
	messages []string
	extra    map[string]any
}

func (e *apiError) Error() string { return e.code }

func errf(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

// params are the arguments of one call, every value as raw JSON (form values as JSON strings).
type params map[string]json.RawMessage

func (p params) str(k string) string {
	raw, ok := p[k]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

func (p params) has(k string) bool {
	_, ok := p[k]
	return ok && p.str(k) != ""
}

// json returns a parameter holding JSON: a JSON string is decoded first (forms carry blocks as
// a JSON string), anything else is returned as is.
func (p params) json(k string) json.RawMessage {
	raw, ok := p[k]
	if !ok {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return json.RawMessage(s)
	}
	if string(raw) == "null" {
		return nil
	}
	return raw
}

func (p params) bool(k string) bool {
	v := strings.ToLower(p.str(k))
	return v == "true" || v == "1"
}

func (p params) decoded() map[string]any {
	out := make(map[string]any, len(p))
	for k, raw := range p {
		if k == "token" {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) == nil {
			out[k] = v
		}
	}
	return out
}

func parseParams(r *http.Request) (params, error) {
	p := params{}
	addValues := func(vals url.Values) {
		for k, v := range vals {
			if len(v) > 0 {
				b, _ := json.Marshal(v[0])
				p[k] = b
			}
		}
	}
	addValues(r.URL.Query())
	if r.Method != http.MethodPost {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json":
		if len(bytes.TrimSpace(body)) == 0 {
			return p, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("decode json body: %w", err)
		}
		for k, v := range m {
			p[k] = v
		}
	case ct == "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(16 << 20); err != nil {
			return nil, fmt.Errorf("decode multipart body: %w", err)
		}
		addValues(r.MultipartForm.Value)
	default:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("decode form body: %w", err)
		}
		addValues(vals)
	}
	return p, nil
}

// call is the context of one Web API call.
type call struct {
	method string
	p      params
	r      *http.Request
}

type apiHandler func(c *call) (map[string]any, *apiError)

type injection struct {
	retryAfter time.Duration // > 0: answer 429
	status     int           // > 0: answer this HTTP status (a 5xx) without doing the call
	delay      time.Duration // > 0: do the call, answering after this long
	slackErr   string
	after      bool   // with status: do the call, then answer status
	hook       func() // not nil: run it, then do the call and answer
}

// InjectStatus makes the next times calls of method answer HTTP status (e.g. 503, as Slack does
// when it is down) without doing anything, the way a failing Slack front end answers.
func (s *Server) InjectStatus(method string, times int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.injections[method] = append(s.injections[method], injection{status: status, slackErr: "service_unavailable"})
	}
}

// InjectStatusAfter makes the next times calls of method be done and then
// answered HTTP status (e.g. 504), as Slack does when its front end gives up
// on a call its back end went on to complete: the message is posted, the
// caller is told it failed.
func (s *Server) InjectStatusAfter(method string, times int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.injections[method] = append(s.injections[method], injection{status: status, slackErr: "service_unavailable", after: true})
	}
}

// InjectDelay makes the next times calls of method wait d before they are
// done and answered, as a slow Slack does.
func (s *Server) InjectDelay(method string, times int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.injections[method] = append(s.injections[method], injection{delay: max(d, time.Nanosecond)})
	}
}

// InjectHook makes the next times calls of method run fn first (with
// nothing of the emulator locked, so fn may drive the bot through it), then
// be done and answered as usual: a test puts something in the middle of
// the bot's work, at a moment of its choosing and without sleeping.
func (s *Server) InjectHook(method string, times int, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.injections[method] = append(s.injections[method], injection{hook: fn})
	}
}

// InjectRateLimit makes the next times calls of method answer HTTP 429 with a Retry-After
// header of retryAfter (in whole seconds, rounded up, at least 1).
func (s *Server) InjectRateLimit(method string, times int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.injections[method] = append(s.injections[method], injection{retryAfter: max(retryAfter, time.Nanosecond)})
	}
}

// InjectError makes the next times calls of method answer {"ok":false,"error":slackError}.
func (s *Server) InjectError(method string, times int, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.injections[method] = append(s.injections[method], injection{slackErr: slackError})
	}
}

// SetRateLimit enforces a real rate limit on method: perMinute calls a minute with the given
// burst; calls over it answer 429 with Retry-After. perMinute <= 0 removes the limit.
func (s *Server) SetRateLimit(method string, perMinute float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perMinute <= 0 {
		delete(s.limiters, method)
		return
	}
	s.limiters[method] = rate.NewLimiter(rate.Limit(perMinute/60), max(burst, 1))
}

// Calls returns the recorded calls of method in order ("" returns every call).
// A successful call is recorded once its handler has returned, a moment after
// its effect (a message posted or updated) can be seen.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "" {
		for j := range s.calls {
			s.decodeCallLocked(j)
		}
		return slices.Clone(s.calls)
	}
	idx := s.callIdx[method]
	out := make([]Call, len(idx))
	for i, j := range idx {
		s.decodeCallLocked(j)
		out[i] = s.calls[j]
	}
	return out
}

// decodeCallLocked fills the Params of call j from its raw parameters,
// once.
func (s *Server) decodeCallLocked(j int) {
	if c := &s.calls[j]; c.raw != nil {
		c.Params, c.raw = c.raw.decoded(), nil
	}
}

// CallCount returns how many times method was called (failed calls included).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.callIdx[method])
}

func (s *Server) recordCallLocked(method string, p params, status int, errCode string) {
	s.callIdx[method] = append(s.callIdx[method], len(s.calls))
	s.calls = append(s.calls, Call{Method: method, Params: map[string]any{}, raw: maps.Clone(p), Time: time.Now(), OK: errCode == "", Error: errCode, Status: status})
	s.wakeLocked("calls")
}

// WaitCalls waits until method was called at least n times.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) error {
	_, err := waitFor(ctx, s, "calls", func() (struct{}, bool) {
		return struct{}{}, len(s.callIdx[method]) >= n
	})
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"ok":false,"error":"internal_error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	p, err := parseParams(r)
	if err != nil {
		s.mu.Lock()
		s.recordCallLocked(method, params{}, http.StatusOK, "invalid_form_data")
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data", "response_metadata": map[string]any{"messages": []string{err.Error()}}})
		return
	}
	status, body := s.serveCall(method, p, r)
	if method != "apps.connections.open" {
		w.Header().Set("X-OAuth-Scopes", s.scopesHeader())
	}
	writeJSONWithRetry(w, status, body)
}

func writeJSONWithRetry(w http.ResponseWriter, status int, body map[string]any) {
	if ra, ok := body["__retry_after"].(int); ok {
		delete(body, "__retry_after")
		w.Header().Set("Retry-After", strconv.Itoa(ra))
	}
	writeJSON(w, status, body)
}

func (s *Server) serveCall(method string, p params, r *http.Request) (int, map[string]any) {
	fail := func(status int, e *apiError) (int, map[string]any) {
		s.mu.Lock()
		s.recordCallLocked(method, p, status, e.code)
		s.mu.Unlock()
		body := map[string]any{"ok": false, "error": e.code}
		if len(e.messages) > 0 {
			body["response_metadata"] = map[string]any{"messages": e.messages}
		}
		for k, v := range e.extra {
			body[k] = v
		}
		return status, body
	}

	if method == "apps.connections.open" {
		return s.connectionsOpen(p, r, fail)
	}
	h, ok := s.handlers[method]
	if !ok {
		return fail(http.StatusOK, &apiError{code: "unknown_method", extra: map[string]any{"req_method": method}})
	}
	token := p.str("token")
	if token == "" {
		token = trimBearer(r.Header.Get("Authorization"))
	}
	switch {
	case token == "":
		return fail(http.StatusOK, errf("not_authed"))
	case token == s.opts.AppToken:
		return fail(http.StatusOK, errf("not_allowed_token_type"))
	case token != s.opts.BotToken:
		return fail(http.StatusOK, errf("invalid_auth"))
	}

	s.mu.Lock()
	if e := s.workspaceCheckLocked(method, p); e != nil {
		s.mu.Unlock()
		return fail(http.StatusOK, e)
	}
	if inj := s.injections[method]; len(inj) > 0 && inj[0].hook != nil {
		fn := inj[0].hook
		s.injections[method] = inj[1:]
		s.mu.Unlock()
		fn()
		s.mu.Lock()
	} else if len(inj) > 0 && inj[0].delay > 0 {
		d := inj[0].delay
		s.injections[method] = inj[1:]
		s.mu.Unlock()
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		case <-s.done:
		}
		s.mu.Lock()
	} else if len(inj) > 0 {
		first := inj[0]
		s.injections[method] = inj[1:]
		if first.retryAfter > 0 {
			s.mu.Unlock()
			st, body := fail(http.StatusTooManyRequests, errf("ratelimited"))
			body["__retry_after"] = retryAfterSeconds(first.retryAfter)
			return st, body
		}
		s.mu.Unlock()
		if first.status > 0 && first.after {
			_, _ = h(&call{method: method, p: p, r: r})
			return fail(first.status, errf(first.slackErr))
		}
		if first.status > 0 {
			return fail(first.status, errf(first.slackErr))
		}
		return fail(http.StatusOK, errf(first.slackErr))
	}
	if lim := s.limiters[method]; lim != nil {
		res := lim.Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			s.mu.Unlock()
			st, body := fail(http.StatusTooManyRequests, errf("ratelimited"))
			body["__retry_after"] = retryAfterSeconds(d)
			return st, body
		}
	}
	s.mu.Unlock()

	res, e := h(&call{method: method, p: p, r: r})
	if e != nil {
		return fail(http.StatusOK, e)
	}
	s.mu.Lock()
	s.recordCallLocked(method, p, http.StatusOK, "")
	s.mu.Unlock()
	if res == nil {
		res = map[string]any{}
	}
	res["ok"] = true
	return http.StatusOK, res
}

func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func (s *Server) apiHandlers() map[string]apiHandler {
	return map[string]apiHandler{
		"api.test":                     func(*call) (map[string]any, *apiError) { return nil, nil },
		"auth.test":                    s.authTest,
		"chat.postMessage":             s.chatPostMessage,
		"chat.postEphemeral":           s.chatPostEphemeral,
		"chat.update":                  s.chatUpdate,
		"chat.delete":                  s.chatDelete,
		"chat.getPermalink":            s.chatGetPermalink,
		"conversations.open":           s.conversationsOpen,
		"conversations.info":           s.conversationsInfo,
		"conversations.history":        s.conversationsHistory,
		"conversations.replies":        s.conversationsReplies,
		"users.info":                   s.usersInfo,
		"users.list":                   s.usersList,
		"usergroups.list":              s.usergroupsList,
		"usergroups.users.list":        s.usergroupsUsersList,
		"views.open":                   s.viewsOpen,
		"views.push":                   s.viewsPush,
		"views.update":                 s.viewsUpdate,
		"views.publish":                s.viewsPublish,
		"files.getUploadURLExternal":   s.filesGetUploadURL,
		"files.completeUploadExternal": s.filesComplete,
	}
}
