package recognition_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

const (
	team = "T1"
	bot  = "UBOT"
)

// t0 is a Monday, 15:00 UTC: 09:00 in Chicago.
var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// fakeNotifier records what the service asked to tell, and fails the calls
// its fail set names.
type fakeNotifier struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]bool
	// unreachable are the people SendFollowUp can never reach.
	unreachable map[string]bool
	// praiseAt is where PraiseOutcome says it posted.
	praiseAt domain.MessageRef
}

func (n *fakeNotifier) record(call string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, call)
	if n.fail[strings.Fields(call)[0]] {
		return errors.New("slack says no")
	}
	return nil
}

// Calls returns the calls so far, in order.
func (n *fakeNotifier) Calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.calls)
}

func (n *fakeNotifier) PostPraise(_ context.Context, p domain.PraiseGiven) error {
	return n.record("PostPraise " + p.Giver + " " + p.To)
}
func (n *fakeNotifier) TellPraised(_ context.Context, p domain.PraiseGiven) error {
	return n.record("TellPraised " + p.To)
}
func (n *fakeNotifier) PostWin(_ context.Context, w domain.Win) error {
	return n.record("PostWin " + w.Giver)
}
func (n *fakeNotifier) TellCredited(_ context.Context, _ domain.Win, user string) error {
	return n.record("TellCredited " + user)
}
func (n *fakeNotifier) PraiseOutcome(_ context.Context, d *domain.Decision) (domain.MessageRef, error) {
	if err := n.record("PraiseOutcome " + d.ID); err != nil {
		return domain.MessageRef{}, err
	}
	return n.praiseAt, nil
}
func (n *fakeNotifier) UpdatePraise(_ context.Context, d *domain.Decision, at domain.MessageRef) error {
	return n.record("UpdatePraise " + d.ID + " " + at.Channel + "|" + at.TS + " " + d.Outcome.Note)
}
func (n *fakeNotifier) ThankRequester(_ context.Context, d *domain.Decision) error {
	return n.record("ThankRequester " + d.Requester)
}
func (n *fakeNotifier) TellLeader(_ context.Context, d *domain.Decision, leader string, news recognition.News) error {
	what := map[recognition.News]string{recognition.NewsWorked: "worked", recognition.NewsFailed: "failed", recognition.NewsNoted: "noted"}[news]
	return n.record("TellLeader " + leader + " " + what)
}
func (n *fakeNotifier) SendFollowUp(_ context.Context, d *domain.Decision) (domain.MessageRef, error) {
	err := n.record("SendFollowUp " + d.ID)
	n.mu.Lock()
	unreachable := n.unreachable[d.Requester]
	n.mu.Unlock()
	switch {
	case unreachable:
		return domain.MessageRef{}, &recognition.UnreachableError{Reason: "user_not_found", Err: errors.New("slack: user_not_found")}
	case err != nil:
		return domain.MessageRef{}, err
	}
	return domain.MessageRef{Channel: "D" + d.Requester, TS: d.ID}, nil
}
func (n *fakeNotifier) ShowRecorded(_ context.Context, d *domain.Decision, at domain.MessageRef) error {
	return n.record("ShowRecorded " + d.ID + " " + at.Channel + "|" + at.TS + " " + d.Outcome.Result)
}
func (n *fakeNotifier) Touched(_ context.Context, _ string, users ...string) {
	_ = n.record("Touched " + strings.Join(users, " "))
}

// fakeDirectory knows people and the approvers of each level.
type fakeDirectory struct {
	people    map[string]recognition.Person
	down      bool // Person cannot answer
	approvers map[int][]string
}

func (d *fakeDirectory) Person(_ context.Context, user string) (recognition.Person, error) {
	if d.down {
		return recognition.Person{}, errors.New("slack is down")
	}
	p, ok := d.people[user]
	if !ok {
		return recognition.Person{}, recognition.ErrNoSuchPerson
	}
	return p, nil
}

func (d *fakeDirectory) Approvers(_ context.Context, _ *domain.Decision, level int) []string {
	return d.approvers[level]
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
	c.now = t
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	svc    *recognition.Service
	store  *store.Store
	notify *fakeNotifier
	dir    *fakeDirectory
	clock  *clock
}

func setup(t *testing.T, limit int) *env {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client(t), store.NewKeys(srv.Prefix(t)))
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t:      t,
		store:  st,
		notify: &fakeNotifier{fail: map[string]bool{}, praiseAt: domain.MessageRef{Channel: "C0PRAISE", TS: "9.9"}},
		dir: &fakeDirectory{
			people: map[string]recognition.Person{
				"U0DAVE": {}, "U0ERIN": {}, "U0BOB": {},
				"U0HUBOT": {Bot: true}, "U0GONE": {Deactivated: true},
			},
			approvers: map[int][]string{0: {"U0BOB", "U0DAVE", "U0BOB", "U0CAROL"}},
		},
		clock: &clock{now: t0},
	}
	e.svc = recognition.New(st, e.notify, e.dir, e.clock, nil, recognition.Config{BotUserID: bot, DailyLimit: limit, Location: loc})
	return e
}

// audit returns the types of the audit events of the test so far.
func (e *env) audit() []domain.EventType {
	e.t.Helper()
	evs, err := e.store.ReadAudit(e.t.Context(), team, t0.Add(-time.Hour), t0.Add(1000*time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.EventType
	for _, ev := range evs {
		out = append(out, ev.Type())
	}
	return out
}

// decision stores a decision of U0DAVE in state, approved by approver when
// that is set.
func (e *env) decision(id string, state domain.DecisionState, approver string) *domain.Decision {
	e.t.Helper()
	d := &domain.DecisionRecord{Decision: domain.Decision{
		ID: id, Team: team, Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(250),
		Currency: "USD", Customer: "ACME", Tags: []string{"courage"}, State: state, Level: -1,
		CreatedAt: t0, DecidedBy: approver,
	}}
	ev := domain.Event{Actor: d.Requester, Subject: d.ID, To: string(state), At: t0,
		Payload: domain.DecisionCreatedData{DecisionFacts: domain.DecisionFacts{Amount: d.Amount, Activity: d.Activity}}}
	if err := e.store.CreateDecision(e.t.Context(), d, ev); err != nil {
		e.t.Fatal(err)
	}
	return &d.Decision
}

func wantCode(t *testing.T, what string, err error, code domain.Code, msg string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != code || !strings.Contains(domain.ErrorMessage(err), msg) {
		t.Errorf("%s: %v (%s); want %s containing %q", what, err, got, code, msg)
	}
}

func TestPraiseRefusals(t *testing.T) {
	e := setup(t, 10)
	for _, c := range []struct {
		name string
		p    domain.PraiseGiven
		code domain.Code
		msg  string
	}{
		{"yourself", domain.PraiseGiven{Giver: "U0DAVE", To: "U0DAVE", Text: "great"}, domain.Invalid, "Praising yourself doesn't count"},
		{"the bot", domain.PraiseGiven{Giver: "U0DAVE", To: bot, Text: "great"}, domain.Invalid, "Thank you, but I'm a bot: praise a person"},
		{"no text", domain.PraiseGiven{Giver: "U0DAVE", To: "U0ERIN", Text: "  "}, domain.Invalid, "Say what <@U0ERIN> did"},
		{"unknown person", domain.PraiseGiven{Giver: "U0DAVE", To: "U0NOBODY", Text: "great"}, domain.NotFound, "I can't find <@U0NOBODY> in this workspace; nothing was posted."},
		{"a bot", domain.PraiseGiven{Giver: "U0DAVE", To: "U0HUBOT", Text: "great"}, domain.Invalid, "<@U0HUBOT> isn't someone I can praise (a bot or a deactivated account)"},
		{"deactivated", domain.PraiseGiven{Giver: "U0DAVE", To: "U0GONE", Text: "great"}, domain.Invalid, "<@U0GONE> isn't someone I can praise"},
	} {
		c.p.Team = team
		err := e.svc.Praise(t.Context(), c.p)
		wantCode(t, c.name, err, c.code, c.msg)
		if c.code == domain.Invalid || c.code == domain.NotFound {
			if !strings.Contains(domain.ErrorMessage(err), "Usage") {
				t.Errorf("%s: %q lacks the usage line", c.name, domain.ErrorMessage(err))
			}
		}
	}
	if err := e.svc.CheckRecipient("U0DAVE", "U0DAVE"); domain.ErrorCode(err) != domain.Invalid {
		t.Errorf("CheckRecipient(self) = %v; want invalid", err)
	}
	if err := e.svc.CheckRecipient("U0DAVE", "U0ERIN"); err != nil {
		t.Errorf("CheckRecipient(someone else) = %v", err)
	}
	if got := e.notify.Calls(); len(got) != 0 {
		t.Errorf("refused praise told Slack %q; want nothing", got)
	}
	if got := e.audit(); len(got) != 0 {
		t.Errorf("refused praise audited %v; want nothing", got)
	}
}

func TestPraisePostsOnceAndTellsThePerson(t *testing.T) {
	e := setup(t, 10)
	e.notify.fail["TellPraised"] = true // a DM that fails does not undo the post
	p := domain.PraiseGiven{Team: team, Giver: "U0DAVE", To: "U0ERIN", Text: "saved the day", Values: []string{"courage"}}
	if err := e.svc.Praise(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	want := []string{"PostPraise U0DAVE U0ERIN", "TellPraised U0ERIN", "Touched U0DAVE U0ERIN"}
	if got := e.notify.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q; want %q", got, want)
	}
	if got := e.audit(); !slices.Equal(got, []domain.EventType{domain.EventPraiseGiven}) {
		t.Errorf("audit = %v; want one praise.given", got)
	}
	// When Slack cannot say who the person is, the praise goes ahead.
	e.dir.down = true
	if err := e.svc.Praise(t.Context(), domain.PraiseGiven{Team: team, Giver: "U0DAVE", To: "U0NOBODY", Text: "again"}); err != nil {
		t.Errorf("praise with the directory down: %v; want it posted", err)
	}
}

func TestPraiseDailyLimitCountsWhatWasPosted(t *testing.T) {
	e := setup(t, 2)
	praise := func(text string) error {
		return e.svc.Praise(t.Context(), domain.PraiseGiven{Team: team, Giver: "U0DAVE", To: "U0ERIN", Text: text})
	}
	// A failed post is taken back: neither counted nor audited.
	e.notify.fail["PostPraise"] = true
	if err := praise("lost"); err == nil || domain.IsRefusal(err) {
		t.Fatalf("praise whose post fails = %v; want a failure", err)
	}
	e.notify.fail["PostPraise"] = false
	for i := range 2 {
		if err := praise("ok"); err != nil {
			t.Fatalf("praise %d: %v", i+1, err)
		}
	}
	wantCode(t, "third praise", praise("too many"), domain.Forbidden, "You've shared 2 praise posts today, as many as a day holds: thank you for noticing so much!")
	// Wins are counted apart.
	if err := e.svc.Win(t.Context(), domain.Win{Team: team, Giver: "U0DAVE", Text: "shipped"}); err != nil {
		t.Fatalf("win after the praise limit: %v", err)
	}
	// The day is the policy's: 23:59 in Chicago is still the same day, and
	// 00:00 the next.
	e.clock.Set(time.Date(2026, 3, 3, 5, 59, 0, 0, time.UTC))
	wantCode(t, "praise late the same day", praise("still today"), domain.Forbidden, "You've shared 2 praise posts today")
	e.clock.Set(time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC))
	if err := praise("tomorrow"); err != nil {
		t.Errorf("praise on the next day: %v", err)
	}
	n := 0
	for _, typ := range e.audit() {
		if typ == domain.EventPraiseGiven {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d praise.given events; want 3 (the failed post is not audited)", n)
	}
}

func TestWin(t *testing.T) {
	e := setup(t, 1)
	wantCode(t, "no text", e.svc.Win(t.Context(), domain.Win{Team: team, Giver: "U0DAVE", Users: []string{"U0ERIN"}}), domain.Invalid, "Say what the team won, not just who.")
	wantCode(t, "credits the bot", e.svc.Win(t.Context(), domain.Win{Team: team, Giver: "U0DAVE", Text: "shipped", Users: []string{"U0ERIN", bot}}),
		domain.Invalid, "Thank you, but I'm a bot: credit the people who made it happen.")
	if got := e.notify.Calls(); len(got) != 0 {
		t.Fatalf("refused wins told Slack %q", got)
	}
	e.notify.fail["TellCredited"] = true
	if err := e.svc.Win(t.Context(), domain.Win{Team: team, Giver: "U0DAVE", Text: "shipped", Users: []string{"U0ERIN", "U0DAVE", "U0BOB"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"PostWin U0DAVE", "TellCredited U0ERIN", "TellCredited U0BOB", "Touched U0DAVE U0ERIN U0DAVE U0BOB"}
	if got := e.notify.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q; want %q", got, want)
	}
	wantCode(t, "second win", e.svc.Win(t.Context(), domain.Win{Team: team, Giver: "U0DAVE", Text: "again"}), domain.Forbidden, "You've shared 1 win today")
}

func TestOutcomeWorkedIsPraisedInPublic(t *testing.T) {
	for _, c := range []struct {
		name     string
		state    domain.DecisionState
		approver string
		leaders  []string
	}{
		// The first level's approvers, each once, never the requester.
		{"autonomous", domain.StateAutonomous, "", []string{"U0BOB", "U0CAROL"}},
		// The approver alone.
		{"approved", domain.StateApproved, "U0ERIN", []string{"U0ERIN"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t, 10)
			d := e.decision("D-AAAAA1", c.state, c.approver)
			got, err := e.svc.RecordOutcome(t.Context(), team, "U0DAVE", d.ID, domain.OutcomeWorked, "renewed")
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome.Result != domain.OutcomeWorked || got.Outcome.Note != "renewed" {
				t.Errorf("recorded %+v", got.Outcome)
			}
			want := []string{"PraiseOutcome D-AAAAA1"}
			for _, l := range c.leaders {
				want = append(want, "TellLeader "+l+" worked")
			}
			want = append(want, "Touched "+strings.Join(append([]string{"U0DAVE"}, c.leaders...), " "))
			if calls := e.notify.Calls(); !slices.Equal(calls, want) {
				t.Errorf("calls = %q; want %q", calls, want)
			}
			// Where the praise is, for a note later.
			after, err := e.store.Decision(t.Context(), team, d.ID)
			if err != nil || after.Outcome.PraisePost != e.notify.praiseAt {
				t.Errorf("praise post = %+v, %v; want %+v", after.Outcome.PraisePost, err, e.notify.praiseAt)
			}
		})
	}
}

func TestOutcomeFailedStaysPrivate(t *testing.T) {
	e := setup(t, 10)
	d := e.decision("D-AAAAA2", domain.StateApproved, "U0BOB")
	if _, err := e.svc.RecordOutcome(t.Context(), team, "U0DAVE", d.ID, domain.OutcomeFailed, ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"ThankRequester U0DAVE", "TellLeader U0BOB failed", "Touched U0DAVE U0BOB"}
	if got := e.notify.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q; want %q (never a public post)", got, want)
	}
	if got := e.audit(); !slices.Contains(got, domain.EventOutcomeFailed) {
		t.Errorf("audit = %v; want outcome.failed", got)
	}
}

func TestOutcomeRefusals(t *testing.T) {
	e := setup(t, 10)
	auto := e.decision("D-AAAAA3", domain.StateAutonomous, "")
	pending := e.decision("D-AAAAA4", domain.StatePending, "")
	declined := e.decision("D-AAAAA5", domain.StateDeclined, "U0BOB")
	record := func(user, id, result string) error {
		_, err := e.svc.RecordOutcome(t.Context(), team, user, id, result, "")
		return err
	}
	wantCode(t, "unknown", record("U0DAVE", "D-ZZZZZZ", domain.OutcomeWorked), domain.NotFound,
		"I can't find decision `D-ZZZZZZ`. Check the ID in your confirmation or the follow-up DM. Nothing was recorded.\nUsage")
	wantCode(t, "someone else", record("U0ERIN", auto.ID, domain.OutcomeWorked), domain.Forbidden, "Only <@U0DAVE> can say how this one turned out: it was their call (`D-AAAAA3`).")
	wantCode(t, "pending", record("U0DAVE", pending.ID, domain.OutcomeWorked), domain.Conflict, "still waiting for a leader's answer")
	wantCode(t, "declined", record("U0DAVE", declined.ID, domain.OutcomeFailed), domain.Conflict, "That decision was declined, so it never happened and has no outcome to record (`D-AAAAA5`)")
	if got := e.notify.Calls(); len(got) != 0 {
		t.Fatalf("refusals told Slack %q", got)
	}
	if err := record("U0DAVE", auto.ID, domain.OutcomeFailed); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "twice", record("U0DAVE", auto.ID, domain.OutcomeWorked), domain.Conflict, "You told me already: it didn't work out (`D-AAAAA3`).")
	wantCode(t, "twice, someone else", record("U0ERIN", auto.ID, domain.OutcomeWorked), domain.Forbidden, "Only <@U0DAVE> can say")
}

func TestOutcomeNote(t *testing.T) {
	e := setup(t, 10)
	worked := e.decision("D-AAAAA6", domain.StateAutonomous, "")
	failed := e.decision("D-AAAAA7", domain.StateApproved, "U0BOB")

	wantCode(t, "note before the outcome", func() error { _, err := e.svc.CanAddNote(t.Context(), team, "U0DAVE", worked.ID); return err }(),
		domain.Conflict, "Tell me how it turned out first; then you can add a note (`D-AAAAA6`).")
	_, err := e.svc.AddNote(t.Context(), team, "U0DAVE", worked.ID, "x", domain.MessageRef{})
	wantCode(t, "note before the outcome", err, domain.Conflict, "Tell me how it turned out first; then you can add a note (`D-AAAAA6`).")
	for _, d := range []*domain.Decision{worked, failed} {
		result := domain.OutcomeWorked
		if d == failed {
			result = domain.OutcomeFailed
		}
		if _, err := e.svc.RecordOutcome(t.Context(), team, "U0DAVE", d.ID, result, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.svc.CanAddNote(t.Context(), team, "U0ERIN", worked.ID)
	wantCode(t, "someone else's", err, domain.Forbidden, "Only <@U0DAVE> can say")
	_, err = e.svc.CanAddNote(t.Context(), team, "U0DAVE", "D-ZZZZZZ")
	wantCode(t, "unknown", err, domain.NotFound, "I can't find decision `D-ZZZZZZ` any more; nothing changed.")
	if d, err := e.svc.CanAddNote(t.Context(), team, "U0DAVE", worked.ID); err != nil || d.ID != worked.ID {
		t.Fatalf("CanAddNote = %v, %v", d, err)
	}

	before := len(e.notify.Calls())
	dm := domain.MessageRef{Channel: "DU0DAVE", TS: "1.1"}
	if _, err := e.svc.AddNote(t.Context(), team, "U0DAVE", worked.ID, "renewed for 3 years", dm); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddNote(t.Context(), team, "U0DAVE", failed.ID, "they churned", domain.MessageRef{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		// Worked: the DM the note came from, then the praise post.
		"ShowRecorded D-AAAAA6 DU0DAVE|1.1 worked", "UpdatePraise D-AAAAA6 C0PRAISE|9.9 renewed for 3 years", "Touched U0DAVE",
		// Failed, no follow-up DM known: the leader only.
		"TellLeader U0BOB noted", "Touched U0DAVE",
	}
	if got := e.notify.Calls()[before:]; !slices.Equal(got, want) {
		t.Errorf("calls = %q; want %q", got, want)
	}
	_, err = e.svc.AddNote(t.Context(), team, "U0DAVE", worked.ID, "again", dm)
	wantCode(t, "second note", err, domain.Conflict, "You already added a note to `D-AAAAA6`; nothing changed.")
	_, err = e.svc.CanAddNote(t.Context(), team, "U0DAVE", worked.ID)
	wantCode(t, "second note", err, domain.Conflict, "You already added a note to `D-AAAAA6`; nothing changed.")
	_, err = e.svc.AddNote(t.Context(), team, "U0DAVE", "D-ZZZZZZ", "x", dm)
	wantCode(t, "note of unknown", err, domain.NotFound, "I can't find decision `D-ZZZZZZ` any more; nothing changed.")
}
