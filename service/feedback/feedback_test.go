package feedback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

const (
	team    = "T1"
	leaders = "CLEADERS"
)

// t0 is a Monday, 15:00 UTC.
var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// dm is one DM the notifier was asked to send.
type dm struct {
	Kind, Round, Person string
}

// fakeNotifier records the DMs and posts the service asked for.
type fakeNotifier struct {
	mu    sync.Mutex
	dms   []dm
	posts []domain.FeedbackAnswer
	// postErr is PostAnswer's answer.
	postErr error
	// channels are the channels PostAnswer was asked to post to.
	channels []string
}

func (n *fakeNotifier) send(kind string, r domain.FeedbackRound) feedback.Send {
	return func(_ context.Context, person string) (string, string, error) {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.dms = append(n.dms, dm{kind, r.ID, person})
		return "D" + person, fmt.Sprintf("%d.1", len(n.dms)), nil
	}
}

func (n *fakeNotifier) Question(_ context.Context, _ string, r domain.FeedbackRound, _ []string, _ feedback.News) feedback.Send {
	return n.send("question", r)
}

func (n *fakeNotifier) Reminder(_ context.Context, _ string, r domain.FeedbackRound, _ []string) feedback.Send {
	return n.send("reminder", r)
}

func (n *fakeNotifier) PostAnswer(_ context.Context, channel string, a domain.FeedbackAnswer, _ domain.AnswerStatus) (domain.MessageRef, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.channels = append(n.channels, channel)
	if n.postErr != nil {
		return domain.MessageRef{}, n.postErr
	}
	n.posts = append(n.posts, a)
	return domain.MessageRef{Channel: channel, TS: fmt.Sprintf("%d.1", len(n.posts))}, nil
}

func (n *fakeNotifier) ShowAnswer(context.Context, domain.FeedbackAnswer, domain.AnswerStatus) {}

func (n *fakeNotifier) ShowAnswered(context.Context, domain.FeedbackRound, string, domain.MessageRef, []feedback.Done) error {
	return nil
}

func (n *fakeNotifier) RelayReply(context.Context, string, string, domain.FeedbackAnswer, string, string) error {
	return nil
}

// count returns how many DMs of kind and round each person got.
func (n *fakeNotifier) count(kind, round string) map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]int{}
	for _, d := range n.dms {
		if d.Kind == kind && d.Round == round {
			out[d.Person]++
		}
	}
	return out
}

// fakeDirectory knows people and user groups.
type fakeDirectory struct {
	people map[string]feedback.Person
	groups map[string][]string
	// down makes every call fail as a directory that cannot answer.
	down bool
}

func (d *fakeDirectory) GroupMembers(_ context.Context, id string) ([]string, error) {
	if d.down {
		return nil, errors.New("slack is down")
	}
	m, ok := d.groups[id]
	if !ok {
		return nil, fmt.Errorf("no_such_subteam: %w", feedback.ErrUnknownGroup)
	}
	return m, nil
}

func (d *fakeDirectory) People(_ context.Context, ids []string) (map[string]feedback.Person, error) {
	if d.down {
		return nil, errors.New("slack is down")
	}
	out := map[string]feedback.Person{}
	for _, id := range ids {
		if p, ok := d.people[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

// delivery is a feedback.Delivery on the store's fan-out ledger, one person
// at a time; it stops (as a bot shut down mid-run) after stopAfter sends
// when that is set.
type delivery struct {
	st        *store.Store
	clock     *clock
	mu        sync.Mutex
	stopAfter int
}

var errStopped = errors.New("stopped mid-run")

func (d *delivery) Deliver(ctx context.Context, x feedback.Dispatch) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	const owner = "test"
	ledger, err := d.st.FanoutBegin(ctx, x.Team, x.Job, x.Run, d.clock.Now())
	if err != nil {
		return err
	}
	sent := 0
	for _, p := range x.People {
		if ledger[p].Final() {
			continue
		}
		if d.stopAfter > 0 && sent == d.stopAfter {
			d.stopAfter = 0
			return errStopped
		}
		st, _, err := d.st.FanoutClaim(ctx, x.Team, x.Job, x.Run, p, owner, time.Minute)
		if err != nil {
			return err
		}
		if st != store.LeaseClaimed {
			continue
		}
		ch, ts, err := x.Send(ctx, p)
		if err != nil {
			return err
		}
		if err := d.st.FanoutSent(ctx, x.Team, x.Job, x.Run, p, owner, ch, ts); err != nil {
			return err
		}
		sent++
	}
	return d.st.FanoutComplete(ctx, x.Team, x.Job, x.Run)
}

// clock is a clock the test sets.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a Service over a real store and fakes.
type env struct {
	svc    *feedback.Service
	st     *store.Store
	notify *fakeNotifier
	dir    *fakeDirectory
	deliv  *delivery
	clock  *clock
	logs   *syncBuffer
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	srv := redistest.Start(t)
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.NewKeys(srv.Prefix(t)))
}

// setup returns a Service whose frontline is U1, U2 and the group S1 (U3,
// U4, a bot and a deactivated user).
func setup(t *testing.T, cfg feedback.Config) *env {
	t.Helper()
	e := &env{
		st:     newStore(t),
		notify: &fakeNotifier{},
		dir: &fakeDirectory{
			people: map[string]feedback.Person{
				"U1": {}, "U2": {}, "U3": {}, "U4": {}, "UBOT": {Bot: true}, "UGONE": {Deactivated: true},
			},
			groups: map[string][]string{"S1": {"U3", "U4", "UBOT", "UGONE"}},
		},
		clock: &clock{now: t0},
		logs:  &syncBuffer{},
	}
	e.deliv = &delivery{st: e.st, clock: e.clock}
	cfg.Team = team
	if cfg.Frontline == nil {
		cfg.Frontline = []string{"U1", "U2", "S1"}
	}
	if cfg.Questions == nil {
		cfg.Questions = []string{"Q0?", "Q1?", "Q2?"}
	}
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.svc = feedback.New(e.st, e.notify, e.dir, e.deliv, e.clock, log, cfg)
	return e
}

// rates returns the feedback.round events as "to answered/sent".
func (e *env) rates(t *testing.T) []string {
	t.Helper()
	evs, err := e.st.ReadAudit(t.Context(), team, t0.Add(-time.Hour), t0.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		if p, ok := ev.Payload.(domain.FeedbackRoundData); ok {
			out = append(out, fmt.Sprintf("%s %s %d/%d", ev.Subject, ev.To, p.Answered, p.Sent))
		}
	}
	return out
}

func TestQuestionOfWeek(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{"A?", "B?", "C?"}
	mon := time.Date(2026, 3, 2, 9, 0, 0, 0, chicago) // a Monday
	_, base := feedback.QuestionOfWeek(qs, chicago, mon)
	tests := []struct {
		name string
		at   time.Time
		step int // weeks after mon's question
	}{
		{"same Monday", mon, 0},
		{"Sunday night, same week", time.Date(2026, 3, 8, 23, 59, 0, 0, chicago), 0},
		{"next Monday, just after midnight local", time.Date(2026, 3, 9, 0, 0, 1, 0, chicago), 1},
		{"Sunday night local is Monday in UTC", time.Date(2026, 3, 9, 4, 30, 0, 0, time.UTC), 0},
		{"two weeks later", mon.AddDate(0, 0, 14), 2},
		{"three weeks later wraps", mon.AddDate(0, 0, 21), 0},
		{"a week before", mon.AddDate(0, 0, -7), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, i := feedback.QuestionOfWeek(qs, chicago, tt.at)
			want := (base + tt.step) % 3
			if i != want || q != qs[want] {
				t.Errorf("QuestionOfWeek(%v) = %q, %d; want %q, %d", tt.at, q, i, qs[want], want)
			}
		})
	}
	// Weeks before 1970 rotate the same way.
	_, first := feedback.QuestionOfWeek(qs, time.UTC, time.Date(1970, 1, 5, 12, 0, 0, 0, time.UTC)) // a Monday
	for _, at := range []time.Time{time.Date(1970, 1, 4, 12, 0, 0, 0, time.UTC), time.Date(1969, 12, 29, 0, 0, 0, 0, time.UTC)} {
		if _, i := feedback.QuestionOfWeek(qs, time.UTC, at); i != (first+2)%3 {
			t.Errorf("QuestionOfWeek(%v) = question %d; want %d, the week before %d", at, i, (first+2)%3, first)
		}
	}
	// No questions in the policy: the six defaults; no zone: UTC.
	q, _ := feedback.QuestionOfWeek(nil, nil, mon)
	if !slices.Contains(domain.DefaultQuestions(), q) {
		t.Errorf("QuestionOfWeek without questions = %q; want one of the defaults", q)
	}
}

func TestAudience(t *testing.T) {
	tests := []struct {
		name      string
		frontline []string
		want      feedback.Audience
	}{
		{"users and a group, bots and deactivated left out", []string{"S1", "U1"},
			feedback.Audience{People: []string{"U1", "U3", "U4"}, Excluded: 2}},
		{"each person once", []string{"U3", "S1", "U3", "U1", "U1"},
			feedback.Audience{People: []string{"U1", "U3", "U4"}, Excluded: 2}},
		{"unknown users left out", []string{"U1", "UNOPE", "UBOT"},
			feedback.Audience{People: []string{"U1"}, Excluded: 2}},
		{"an unknown group is left out, everyone else reached", []string{"S404", "U2"},
			feedback.Audience{People: []string{"U2"}, Excluded: 1, Unresolved: []string{"S404"}}},
		{"nobody", []string{}, feedback.Audience{People: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, feedback.Config{Frontline: tt.frontline})
			got, err := e.svc.Audience(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Audience(%v) (-want +got):\n%s", tt.frontline, diff)
			}
		})
	}
	e := setup(t, feedback.Config{})
	e.dir.down = true
	if _, err := e.svc.Audience(t.Context()); err == nil {
		t.Error("Audience with the directory down: no error")
	}
}

func TestRunRoundOncePerPersonAndRound(t *testing.T) {
	e := setup(t, feedback.Config{Frontline: []string{"U1", "S1", "U2", "S404"}})
	ctx := t.Context()
	everyone := map[string]int{"U1": 1, "U2": 1, "U3": 1, "U4": 1}
	run := func(tick time.Time) error {
		t.Helper()
		e.clock.Set(tick)
		return e.svc.RunRound(ctx, tick)
	}

	// The first run stops after two DMs.
	t1 := t0
	r1 := domain.RoundID(t1)
	e.deliv.stopAfter = 2
	if err := run(t1); !errors.Is(err, errStopped) {
		t.Fatalf("RunRound stopped mid-run = %v; want the delivery's error", err)
	}
	if got := len(e.notify.count("question", r1)); got != 2 {
		t.Fatalf("%d people got round 1 before the stop; want 2", got)
	}
	if !strings.Contains(e.logs.String(), "S404") {
		t.Errorf("no warning names the unknown group:\n%s", e.logs.String())
	}
	q, i := feedback.QuestionOfWeek([]string{"Q0?", "Q1?", "Q2?"}, nil, t1)
	cur, err := e.st.CurrentFeedbackRound(ctx, team)
	if err != nil || cur == nil || cur.ID != r1 || cur.Question != q || cur.Index != i || !cur.Tick.Equal(t1) {
		t.Fatalf("current round after the first run = %+v, %v; want round %s asking %q", cur, err, r1, q)
	}

	// The next tick, an hour later: round 1 is finished first, then round 2
	// reaches everyone; a rerun of the tick (another replica, a catch-up)
	// sends nothing.
	t2 := t1.Add(time.Hour)
	r2 := domain.RoundID(t2)
	for range 2 {
		if err := run(t2); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []string{r1, r2} {
		if diff := cmp.Diff(everyone, e.notify.count("question", r)); diff != "" {
			t.Errorf("round %s DMs per person (-want +got):\n%s", r, diff)
		}
	}
	if cur, err := e.st.CurrentFeedbackRound(ctx, team); err != nil || cur == nil || cur.ID != r2 {
		t.Fatalf("current round = %+v, %v; want %s", cur, err, r2)
	}

	// A round left half sent longer than ResumeWithin ago is not finished.
	t3 := t2.Add(time.Hour)
	r3 := domain.RoundID(t3)
	e.deliv.stopAfter = 1
	if err := run(t3); !errors.Is(err, errStopped) {
		t.Fatalf("RunRound stopped mid-run = %v; want the delivery's error", err)
	}
	t4 := t3.Add(25 * time.Hour)
	r4 := domain.RoundID(t4)
	if err := run(t4); err != nil {
		t.Fatal(err)
	}
	if got := len(e.notify.count("question", r3)); got != 1 {
		t.Errorf("%d people got the stale round 3; want the 1 before its stop", got)
	}
	if diff := cmp.Diff(everyone, e.notify.count("question", r4)); diff != "" {
		t.Errorf("round 4 DMs per person (-want +got):\n%s", diff)
	}

	// Each round closed (with the DMs sent so far) when the next opened;
	// each opened with everyone reached.
	wantRates := []string{
		r1 + " closed 0/2", r2 + " open 0/4", r2 + " open 0/4",
		r2 + " closed 0/4",
		r3 + " closed 0/1", r4 + " open 0/4",
	}
	if diff := cmp.Diff(wantRates, e.rates(t)); diff != "" {
		t.Errorf("feedback.round events (-want +got):\n%s", diff)
	}
}

func TestRunReminderReachesOnlyNonResponders(t *testing.T) {
	e := setup(t, feedback.Config{AnonymousAllowed: true})
	ctx := t.Context()
	// No round yet: nothing to remind of.
	if err := e.svc.RunReminder(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if len(e.notify.dms) != 0 {
		t.Fatalf("reminder before any round sent %v", e.notify.dms)
	}
	if err := e.svc.RunRound(ctx, t0); err != nil {
		t.Fatal(err)
	}
	r := domain.RoundID(t0)
	if _, err := e.svc.Answer(ctx, team, "U1", feedback.Answer{Text: "more training"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Answer(ctx, team, "U3", feedback.Answer{Round: r, Text: "fewer meetings", Anonymous: true}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // once per round, however often it runs
		if err := e.svc.RunReminder(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]int{"U2": 1, "U4": 1}, e.notify.count("reminder", r)); diff != "" {
		t.Errorf("reminders per person (-want +got):\n%s", diff)
	}
	wantRates := []string{r + " open 0/4", r + " reminded 2/4", r + " reminded 2/4"}
	if diff := cmp.Diff(wantRates, e.rates(t)); diff != "" {
		t.Errorf("feedback.round events (-want +got):\n%s", diff)
	}
}

func TestAnswerRefusals(t *testing.T) {
	e := setup(t, feedback.Config{LeadersChannel: leaders})
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "Please write a few words: what would help you?"},
		{"blank", " \n\t ", "Please write a few words: what would help you?"},
		{"too long", strings.Repeat("é", feedback.MaxAnswerRunes+1), "Please keep it under 3000 characters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Answer(t.Context(), team, "U1", feedback.Answer{Text: tt.text})
			if domain.ErrorCode(err) != domain.Invalid || domain.ErrorMessage(err) != tt.want {
				t.Errorf("Answer(%.20q) error = %v (%s); want Invalid %q", tt.text, err, domain.ErrorCode(err), tt.want)
			}
		})
	}
	if _, err := e.svc.Answer(t.Context(), team, "U1", feedback.Answer{Text: strings.Repeat("é", feedback.MaxAnswerRunes)}); err != nil {
		t.Errorf("Answer of %d runes: %v", feedback.MaxAnswerRunes, err)
	}
	if len(e.notify.channels) != 1 {
		t.Errorf("%d posts; want only the accepted answer's", len(e.notify.channels))
	}
}

func TestAnswerNamedAndAnonymous(t *testing.T) {
	e := setup(t, feedback.Config{AnonymousAllowed: true, LeadersChannel: leaders})
	ctx := t.Context()
	if err := e.svc.RunRound(ctx, t0); err != nil {
		t.Fatal(err)
	}
	r := domain.RoundID(t0)
	q, _ := feedback.QuestionOfWeek([]string{"Q0?", "Q1?", "Q2?"}, nil, t0)
	fromLog := len(e.logs.String())

	rc, err := e.svc.Answer(ctx, team, "U1", feedback.Answer{Round: r, Text: "  more training  "})
	if err != nil || rc != (feedback.Receipt{Posted: true}) {
		t.Errorf("named Answer = %+v, %v; want posted, not anonymous", rc, err)
	}
	rc, err = e.svc.Answer(ctx, team, "USECRET", feedback.Answer{Round: r, Text: "clearer goals", Anonymous: true})
	if err != nil || rc != (feedback.Receipt{Anonymous: true, Posted: true}) {
		t.Errorf("anonymous Answer = %+v, %v; want posted anonymously", rc, err)
	}

	// The leaders' posts: the named one with its author, the anonymous one
	// without anyone, both to the leaders channel.
	if diff := cmp.Diff([]string{leaders, leaders}, e.notify.channels); diff != "" {
		t.Errorf("posted to (-want +got):\n%s", diff)
	}
	wantPosts := []domain.FeedbackAnswer{
		{Round: r, Question: q, Text: "more training", User: "U1", At: t0},
		{Round: r, Question: q, Text: "clearer goals", Anonymous: true, At: t0},
	}
	if diff := cmp.Diff(wantPosts, e.notify.posts, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		cmpopts.IgnoreFields(domain.FeedbackAnswer{}, "ID")); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	// Stored the same way; the audit events name only the named person.
	answers, err := e.st.FeedbackAnswers(ctx, team, r)
	if err != nil || len(answers) != 2 || answers[0].User != "U1" || answers[1].User != "" || !answers[1].Anonymous {
		t.Errorf("stored answers = %+v, %v; want U1's, then an anonymous one", answers, err)
	}
	evs, err := e.st.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, ev := range evs {
		if p, ok := ev.Payload.(domain.FeedbackAnsweredData); ok {
			actors = append(actors, fmt.Sprintf("%q anonymous=%v", ev.Actor, p.Anonymous))
		}
	}
	if diff := cmp.Diff([]string{`"U1" anonymous=false`, `"" anonymous=true`}, actors); diff != "" {
		t.Errorf("feedback.answered events (-want +got):\n%s", diff)
	}
	// Both count as answered, for the reminder and the rate.
	answered, err := e.st.FeedbackAnswered(ctx, team, r)
	if err != nil || !answered["U1"] || !answered["USECRET"] {
		t.Errorf("answered = %v, %v; want U1 and USECRET", answered, err)
	}

	// A post that fails leaves the answer stored; the log never names the
	// person.
	e.notify.postErr = errors.New("channel_not_found")
	rc, err = e.svc.Answer(ctx, team, "USECRET", feedback.Answer{Round: r, Text: "again", Anonymous: true})
	if err != nil || rc != (feedback.Receipt{Anonymous: true, Posted: false}) {
		t.Errorf("Answer with the post failing = %+v, %v; want stored, not posted", rc, err)
	}
	if answers, _ := e.st.FeedbackAnswers(ctx, team, r); len(answers) != 3 {
		t.Errorf("%d answers stored; want 3", len(answers))
	}
	logs := e.logs.String()[fromLog:]
	if !strings.Contains(logs, "not posted") || strings.Contains(logs, "USECRET") {
		t.Errorf("logs = %s; want the failed post logged without the person", logs)
	}
}

func TestAnswerAnonymityNotAllowed(t *testing.T) {
	e := setup(t, feedback.Config{AnonymousAllowed: false, LeadersChannel: leaders})
	rc, err := e.svc.Answer(t.Context(), team, "U1", feedback.Answer{Text: "x", Anonymous: true})
	if err != nil || rc.Anonymous {
		t.Fatalf("Answer asking anonymity the policy does not allow = %+v, %v; want a named answer", rc, err)
	}
	if len(e.notify.posts) != 1 || e.notify.posts[0].User != "U1" || e.notify.posts[0].Anonymous {
		t.Errorf("posts = %+v; want U1's named answer", e.notify.posts)
	}
}

func TestAnswerRounds(t *testing.T) {
	e := setup(t, feedback.Config{})
	ctx := t.Context()
	// Before the first round: this week's question, outside any round;
	// without a leaders channel nothing is posted.
	got, err := e.svc.Round(ctx, team, "")
	q, i := feedback.QuestionOfWeek([]string{"Q0?", "Q1?", "Q2?"}, nil, t0)
	if err != nil || got != (domain.FeedbackRound{ID: domain.NoRound, Question: q, Index: i}) {
		t.Errorf("Round before any = %+v, %v; want this week's question outside any round", got, err)
	}
	rc, err := e.svc.Answer(ctx, team, "U1", feedback.Answer{Text: "early"})
	if err != nil || !rc.Posted || len(e.notify.channels) != 0 {
		t.Errorf("Answer without leaders channel = %+v, %v (posts %v); want stored, nothing posted", rc, err, e.notify.channels)
	}
	if answers, _ := e.st.FeedbackAnswers(ctx, team, domain.NoRound); len(answers) != 1 || answers[0].Question != q {
		t.Errorf("answers outside any round = %+v; want the early one", answers)
	}

	if err := e.svc.RunRound(ctx, t0); err != nil {
		t.Fatal(err)
	}
	r := domain.RoundID(t0)
	for _, tt := range []struct{ id, want string }{
		{"", r},                          // the current round
		{r, r},                           // the DM's round
		{"999", domain.NoRound},          // an expired round
		{domain.NoRound, domain.NoRound}, // an Answer button without a round
	} {
		got, err := e.svc.Round(ctx, team, tt.id)
		if err != nil || got.ID != tt.want || got.Question == "" {
			t.Errorf("Round(%q) = %+v, %v; want round %s", tt.id, got, err, tt.want)
		}
	}
}
