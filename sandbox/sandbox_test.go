package sandbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/sandbox"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// start runs a sandbox on a free loopback port until the test ends.
func start(t *testing.T, cfg sandbox.Config) (*sandbox.Sandbox, string) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	sb, err := sandbox.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("sandbox.New: %v", err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx, func(url string) { ready <- url }) }()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("sandbox stopped before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("sandbox not ready within 30s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox.Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("sandbox did not stop within 20s")
		}
	})
	return sb, url
}

// post sends a JSON POST and decodes the JSON answer.
func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: answer is not JSON: %v", url, err)
	}
	return resp.StatusCode, out
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// stream is one person's server-sent event stream.
type stream struct {
	t      *testing.T
	events chan sandbox.EventJSON
}

// openStream connects to /api/events as user and waits for its hello.
func openStream(t *testing.T, base, user string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"api/events?user="+user, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("events: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("events Content-Type = %q", ct)
	}
	s := &stream{t: t, events: make(chan sandbox.EventJSON, 1000)}
	hello := make(chan struct{})
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			line := sc.Text()
			if line == "event: hello" {
				close(hello)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok && data != "{}" {
				var ev sandbox.EventJSON
				if json.Unmarshal([]byte(data), &ev) == nil {
					s.events <- ev
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	select {
	case <-hello:
	case <-time.After(10 * time.Second):
		t.Fatalf("no hello on %s's event stream", user)
	}
	return s
}

// next returns the next event that satisfies pred, failing the test after
// 15s; seen gets every event passed over.
func (s *stream) next(what string, pred func(sandbox.EventJSON) bool, seen func(sandbox.EventJSON)) sandbox.EventJSON {
	s.t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatalf("event stream closed while waiting for %s", what)
			}
			if pred(ev) {
				return ev
			}
			if seen != nil {
				seen(ev)
			}
		case <-timeout:
			s.t.Fatalf("no event %s within 15s", what)
		}
	}
}

func msgText(ev sandbox.EventJSON) string {
	if ev.Message == nil {
		return ""
	}
	return ev.Message.Text + " " + string(ev.Message.Blocks)
}

// buttonOf finds a button of a Block Kit message by its label.
func buttonOf(t *testing.T, blocks json.RawMessage, label string) (blockID, actionID string) {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(blocks, &bs)
	for _, b := range bs {
		for _, e := range b.Elements {
			if e.Type == "button" && e.Text.Text == label {
				return b.BlockID, e.ActionID
			}
		}
	}
	t.Fatalf("no %q button in %s", label, blocks)
	return "", ""
}

func TestSandboxPageAndState(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	code, body, h := get(t, base)
	if code != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "empowerbot") || !strings.Contains(body, "app.js") {
		t.Fatalf("GET / = %d %q:\n%.300s", code, h.Get("Content-Type"), body)
	}
	for _, f := range []string{"app.js", "style.css"} {
		if code, _, _ := get(t, base+f); code != http.StatusOK {
			t.Errorf("GET /%s = %d", f, code)
		}
	}
	code, body, _ = get(t, base+"api/state")
	var st sandbox.StateJSON
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != http.StatusOK {
		t.Fatalf("state = %d %v %s", code, err, body)
	}
	roles := map[string]string{}
	for _, p := range st.People {
		roles[p.RealName] = p.Role
	}
	want := map[string]string{
		"Alice Adams": "front line (north)", "Dave Diaz": "front line (north)", "Bob Brown": "team lead (north)",
		"Erin Evans": "front line (south)", "Frank Fischer": "front line (south)", "Grace Green": "team lead (south)",
		"Carol Chen": "manager", "Heidi Hill": "manager",
	}
	for name, role := range want {
		if roles[name] != role {
			t.Errorf("%s's role = %q, want %q (people: %v)", name, roles[name], role, roles)
		}
	}
	var chans []string
	for _, c := range st.Channels {
		chans = append(chans, c.Name)
	}
	if strings.Join(chans, ",") != "praise,escalations,leaders,south-escalations,south-leaders,general" {
		t.Errorf("channels = %v", chans)
	}
	var jobs []string
	for _, j := range st.Jobs {
		jobs = append(jobs, j.Name)
		if j.Spec == "" && (j.Name == "escalation_timeouts" || j.Name == "feedback") {
			t.Errorf("job %s has no spec", j.Name)
		}
	}
	if !strings.Contains(strings.Join(jobs, ","), "escalation_timeouts") || !strings.Contains(strings.Join(jobs, ","), "feedback") {
		t.Errorf("jobs = %v", jobs)
	}
	if st.Banner != sandbox.InMemoryBanner {
		t.Errorf("banner = %q, want the in-memory banner", st.Banner)
	}
	resp, err := http.Post(base+"api/command", "text/plain", strings.NewReader(`{"user":"U0ALICE","text":"help"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain POST (what another site's form can send) = %d, want 415", resp.StatusCode)
	}
	if code, _, _ := get(t, base+"api/messages?user=U0NOBODY&channel=C0GENERAL"); code != http.StatusBadRequest {
		t.Errorf("messages of an unknown person = %d, want 400", code)
	}
}

// TestSandboxFlowThroughTheAPI is the browser test's flow without a browser:
// Alice logs a $900 discount through the page's API, Bob sees the escalation
// live and approves it, Alice gets the DM; nobody sees another's ephemerals.
func TestSandboxFlowThroughTheAPI(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	alice := openStream(t, base, "U0ALICE")
	bob := openStream(t, base, "U0BOB")

	code, res := post(t, base+"api/command", map[string]any{"user": "U0ALICE", "channel": "C0GENERAL", "text": "/empower discount 900 for ACME loyal customer #customer-first"})
	if code != http.StatusOK || !strings.Contains(res["text"].(string), "above your box") {
		t.Fatalf("command = %d %v", code, res)
	}
	alice.next("Alice's ephemeral reply", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "ephemeral" && strings.Contains(msgText(ev), "above your box")
	}, nil)
	leak := func(ev sandbox.EventJSON) {
		if ev.Kind == "ephemeral" || (ev.Message != nil && ev.Message.Ephemeral) {
			t.Errorf("Bob's stream carries an ephemeral message: %+v", ev.Message)
		}
	}
	esc := bob.next("the escalation in #escalations", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "C0ESCALATE" && strings.Contains(msgText(ev), "$900")
	}, leak)

	// What the page loads for Bob: the escalation, and none of Alice's ephemerals.
	_, body, _ := get(t, base+"api/messages?user=U0BOB&channel=C0ESCALATE")
	if !strings.Contains(body, esc.Message.TS) {
		t.Errorf("Bob's #escalations does not list the escalation %s: %s", esc.Message.TS, body)
	}
	_, body, _ = get(t, base+"api/messages?user=U0BOB&channel=C0GENERAL")
	if strings.Contains(body, "above your box") {
		t.Errorf("Bob sees Alice's ephemeral reply in #general: %s", body)
	}
	_, body, _ = get(t, base+"api/messages?user=U0ALICE&channel=C0GENERAL")
	if !strings.Contains(body, "above your box") {
		t.Errorf("Alice does not see her reply in #general: %s", body)
	}

	blockID, actionID := buttonOf(t, esc.Message.Blocks, "Approve")
	code, res = post(t, base+"api/click", map[string]any{"user": "U0BOB", "channel": "C0ESCALATE", "ts": esc.Message.TS, "block_id": blockID, "action_id": actionID})
	if code != http.StatusOK {
		t.Fatalf("click Approve = %d %v", code, res)
	}
	bob.next("the escalation updated in place", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_updated" && ev.Message.TS == esc.Message.TS && strings.Contains(msgText(ev), "Approved by")
	}, leak)
	alice.next("Alice's approval DM", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "DU0ALICE" && strings.Contains(msgText(ev), "approved your")
	}, nil)

	// Bob posts a plain message; everything before it has reached his stream.
	if code, res := post(t, base+"api/message", map[string]any{"user": "U0BOB", "channel": "C0GENERAL", "text": "thanks @Alice"}); code != http.StatusOK {
		t.Fatalf("message = %d %v", code, res)
	}
	m := bob.next("Bob's own message", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "C0GENERAL" && ev.Message.User == "U0BOB"
	}, func(ev sandbox.EventJSON) {
		leak(ev)
		if ev.Channel == "DU0ALICE" {
			t.Errorf("Bob's stream carries Alice's DM: %+v", ev.Message)
		}
	})
	if m.Message.Text != "thanks <@U0ALICE|alice>" {
		t.Errorf("mention (typed @Alice) not escaped as Slack does: %q", m.Message.Text)
	}
	if code, _ := post(t, base+"api/message", map[string]any{"user": "U0BOB", "channel": "C0NOPE", "text": "x"}); code != http.StatusBadRequest {
		t.Errorf("message to an unknown channel = %d, want 400", code)
	}
}

func TestSandboxModalWithFieldErrors(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	dave := openStream(t, base, "U0DAVE")
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0DAVE", "channel": "dm", "text": "/empower"}); code != http.StatusOK {
		t.Fatalf("/empower = %d %v", code, res)
	}
	ev := dave.next("the log modal", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "view_opened" && ev.View != nil && ev.View.Type == "modal"
	}, nil)
	code, res := post(t, base+"api/submit", map[string]any{"user": "U0DAVE", "view_id": ev.View.ID,
		"values": map[string]any{"activity": map[string]any{"activity": "discount"}, "amount": map[string]any{"amount": "12.345"}}})
	if code != http.StatusOK || res["response_action"] != "errors" {
		t.Fatalf("bad amount: %d %v, want field errors", code, res)
	}
	if errs, _ := res["errors"].(map[string]any); errs["amount"] == nil {
		t.Errorf("no error on the amount field: %v", res)
	}
	code, res = post(t, base+"api/submit", map[string]any{"user": "U0DAVE", "view_id": ev.View.ID,
		"values": map[string]any{
			"activity": map[string]any{"activity": "discount"}, "amount": map[string]any{"amount": "120"},
			"customer": map[string]any{"customer": "ACME"}, "reason": map[string]any{"reason": "late delivery"},
			"tags": map[string]any{"tags": []string{"customer-first"}},
		}})
	if code != http.StatusOK || res["response_action"] == "errors" {
		t.Fatalf("good submission: %d %v", code, res)
	}
	_, body, _ := get(t, base+"api/views?user=U0DAVE")
	if !strings.Contains(body, "D-") {
		t.Errorf("the modal does not show the logged decision: %s", body)
	}
}

func TestSandboxJobsAndClock(t *testing.T) {
	sb, base := start(t, sandbox.Config{})
	code, res := post(t, base+"api/clock", map[string]any{"advance": "72h"})
	if code != http.StatusOK {
		t.Fatalf("advance = %d %v", code, res)
	}
	if got := sb.Clock.Offset(); got != 72*time.Hour {
		t.Errorf("clock offset = %v, want 72h", got)
	}
	for _, bad := range []map[string]any{{"advance": "soon"}, {"advance": "-1h"}, {}} {
		if code, _ := post(t, base+"api/clock", bad); code != http.StatusBadRequest {
			t.Errorf("clock %v = %d, want 400", bad, code)
		}
	}
	if code, _ := post(t, base+"api/clock", map[string]any{"reset": true}); code != http.StatusOK || sb.Clock.Offset() != 0 {
		t.Errorf("reset = %d, offset %v", code, sb.Clock.Offset())
	}
	if code, res := post(t, base+"api/jobs/run", map[string]any{"name": "escalation_timeouts"}); code != http.StatusOK {
		t.Errorf("run escalation_timeouts = %d %v", code, res)
	}
	if code, _ := post(t, base+"api/jobs/run", map[string]any{"name": "nope"}); code != http.StatusBadRequest {
		t.Errorf("run an unknown job = %d, want 400", code)
	}
	if code, res := post(t, base+"api/home", map[string]any{"user": "U0BOB"}); code != http.StatusOK {
		t.Errorf("open Home = %d %v", code, res)
	}
}

// TestSandboxFeedbackRunNow runs the feedback job from the page: every front
// line person gets the week's question by DM.
func TestSandboxFeedbackRunNow(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	alice := openStream(t, base, "U0ALICE")
	if code, res := post(t, base+"api/jobs/run", map[string]any{"name": "feedback"}); code != http.StatusOK {
		t.Fatalf("run feedback = %d %v", code, res)
	}
	alice.next("the feedback DM", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "DU0ALICE"
	}, nil)
}

// TestSandboxWithRealRedis uses REDIS_URL's server instead of miniredis.
func TestSandboxWithRealRedis(t *testing.T) {
	rs := redistest.Start(t)
	sb, base := start(t, sandbox.Config{Redis: store.ClientOptions{URL: rs.URL()}, KeyPrefix: rs.Prefix(t)})
	if sb.InMemory() {
		t.Fatal("in memory although a Redis URL was given")
	}
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0DAVE", "channel": "C0GENERAL", "text": "discount 250 for ACME"}); code != http.StatusOK || !strings.Contains(res["text"].(string), "D-") {
		t.Fatalf("command = %d %v", code, res)
	}
	_, body, _ := get(t, base+"api/state")
	if strings.Contains(body, sandbox.InMemoryBanner) {
		t.Errorf("the page shows the in-memory banner with a real Redis")
	}
}

// TestSandboxClockMovesAnEscalationUp: the time controls show a timeout
// without waiting: Bob does not answer Alice's $900 discount within his 4h,
// the clock moves 5h, escalation_timeouts runs now, and Carol is asked.
func TestSandboxClockMovesAnEscalationUp(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	carol := openStream(t, base, "U0CAROL")
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0ALICE", "channel": "C0GENERAL", "text": "discount 900 for ACME"}); code != http.StatusOK {
		t.Fatalf("command = %d %v", code, res)
	}
	carol.next("the team-lead escalation", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "C0ESCALATE"
	}, nil)
	if code, res := post(t, base+"api/clock", map[string]any{"advance": "5h"}); code != http.StatusOK {
		t.Fatalf("advance = %d %v", code, res)
	}
	if code, res := post(t, base+"api/jobs/run", map[string]any{"name": "escalation_timeouts"}); code != http.StatusOK {
		t.Fatalf("run escalation_timeouts = %d %v", code, res)
	}
	carol.next("the escalation to the manager", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "C0ESCALATE" && strings.Contains(msgText(ev), "@U0CAROL")
	}, nil)
}

// TestSandboxChooseThroughTheAPI: select menus outside modals send the choice
// to the bot; a choice the menu does not offer is refused.
func TestSandboxChooseThroughTheAPI(t *testing.T) {
	sb, base := start(t, sandbox.Config{})
	api := slack.New(sb.Emu.BotToken(), slack.OptionAPIURL(sb.Emu.URL()))
	pt := slack.NewTextBlockObject(slack.PlainTextType, "Pick", false, false)
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt, "pick",
		slack.NewOptionBlockObject("a", slack.NewTextBlockObject(slack.PlainTextType, "A", false, false), nil))
	_, ts, err := api.PostMessage("C0GENERAL", slack.MsgOptionText("choose", false), slack.MsgOptionBlocks(slack.NewActionBlock("row", sel)))
	if err != nil {
		t.Fatal(err)
	}
	req := map[string]any{"user": "U0DAVE", "channel": "C0GENERAL", "ts": ts, "block_id": "row", "action_id": "pick", "value": "a"}
	if code, res := post(t, base+"api/choose", req); code != http.StatusOK {
		t.Errorf("choose a = %d %v", code, res)
	}
	req["value"] = "zzz"
	if code, _ := post(t, base+"api/choose", req); code != http.StatusBadRequest {
		t.Errorf("choose an option that is not offered = %d, want 400", code)
	}
}

func TestSandboxRefusesForeignHostNames(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	for host, want := range map[string]int{
		"":                     http.StatusOK, // the address itself
		"localhost":            http.StatusOK,
		"localhost:3000":       http.StatusOK,
		"[::1]:3000":           http.StatusOK,
		"evil.example.com":     http.StatusForbidden,
		"evil.example.com:300": http.StatusForbidden,
	} {
		req, err := http.NewRequest(http.MethodGet, base+"api/state", nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /api/state with Host %q = %d, want %d", host, resp.StatusCode, want)
		}
	}
}
