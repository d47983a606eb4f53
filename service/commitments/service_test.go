package commitments_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

var _ commitments.Store = (*store.Store)(nil)

const (
	team    = "T1"
	bob     = "U0BOB"   // team lead, named directly
	carol   = "U0CAROL" // manager, through the S0MANAGERS group
	dave    = "U0DAVE"
	erin    = "U0ERIN"
	botUser = "U0BOT"
)

var chicago = func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	return loc
}()

// wednesday is Wednesday 2026-11-18, 10:00 in Chicago.
var wednesday = time.Date(2026, 11, 18, 10, 0, 0, 0, chicago)

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// notifier records what the service asked it to say, one line a call:
// "<method> <commitment> [<event type>]".
type notifier struct {
	mu      sync.Mutex
	calls   []string
	askFail error // AskLeader fails with it
	dmFail  error // TellEmployee and TellLeader fail with it
	// remindFail makes Remind fail (guarded by mu).
	remindFail error
}

func (n *notifier) record(format string, args ...any) {
	n.mu.Lock()
	n.calls = append(n.calls, fmt.Sprintf(format, args...))
	n.mu.Unlock()
}

func (n *notifier) AskLeader(_ context.Context, c *domain.CommitmentRecord) (domain.MessageRef, error) {
	n.record("ask-leader %s", c.ID)
	if n.askFail != nil {
		return domain.MessageRef{}, n.askFail
	}
	return domain.MessageRef{Channel: "D" + c.Leader, TS: "1.5"}, nil
}

func (n *notifier) TellEmployee(_ context.Context, c *domain.CommitmentRecord, ev domain.Event) error {
	n.record("tell-employee %s %s", c.ID, ev.Type())
	return n.dmFail
}

func (n *notifier) TellLeader(_ context.Context, c *domain.CommitmentRecord, ev domain.Event) error {
	n.record("tell-leader %s %s", c.ID, ev.Type())
	return n.dmFail
}

func (n *notifier) ShowAnswered(_ context.Context, c *domain.CommitmentRecord, at commitments.Origin) {
	n.record("show-answered %s %v", c.ID, at)
}

func (n *notifier) ShowSettled(_ context.Context, c *domain.CommitmentRecord, at commitments.Origin, _ []domain.MessageRef) {
	n.record("show-settled %s %v", c.ID, at)
}

func (n *notifier) Remind(_ context.Context, c *domain.CommitmentRecord, kind domain.ReminderKind, today dates.Date) (domain.MessageRef, error) {
	n.mu.Lock()
	fail := n.remindFail
	n.mu.Unlock()
	if fail != nil {
		return domain.MessageRef{}, fail
	}
	n.record("remind %s %s %s", c.ID, kind, today)
	return domain.MessageRef{Channel: "D" + c.Leader, TS: today.String()}, nil
}

func (n *notifier) Changed(_ context.Context, c *domain.CommitmentRecord) {
	n.record("changed %s", c.ID)
}

// take returns the calls recorded since the last take.
func (n *notifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.calls
	n.calls = nil
	return out
}

// directory knows the test's people and the S0MANAGERS group.
type directory struct {
	people map[string]commitments.Person
	fail   error // Person fails with it
}

func (d *directory) IsMember(_ context.Context, _, user string, ids []string) (bool, error) {
	if slices.Contains(ids, user) {
		return true, nil
	}
	return slices.Contains(ids, "S0MANAGERS") && user == carol, nil
}

func (d *directory) Person(_ context.Context, _, user string) (commitments.Person, error) {
	if d.fail != nil {
		return commitments.Person{}, d.fail
	}
	return d.people[user], nil
}

type env struct {
	svc    *commitments.Service
	store  *store.Store
	clock  *clock
	notify *notifier
	dir    *directory
	// policies holds the policy the service reads.
	policies *domain.Policies
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client(t), store.NewKeys(srv.Prefix(t)))
	p := &domain.Policy{
		Timezone: "America/Chicago", Location: chicago,
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{bob}},
			{Name: "manager", Approvers: []string{"S0MANAGERS", bob}},
		},
		Commitments: domain.Commitments{RemindBefore: 24 * time.Hour},
	}
	e := &env{
		store: st, clock: &clock{now: wednesday}, notify: &notifier{},
		dir: &directory{people: map[string]commitments.Person{
			bob: {Exists: true}, carol: {Exists: true}, dave: {Exists: true}, erin: {Exists: true},
			"U0ROBOT": {Exists: true, Bot: true}, "U0GONE": {Exists: true, Deactivated: true},
		}},
	}
	e.policies = domain.NewPolicies(p)
	e.svc = commitments.New(commitments.Config{
		Store: st, Notifier: e.notify, Directory: e.dir, Clock: e.clock, Policies: e.policies, BotUserID: botUser,
	})
	return e
}

// commit makes bob's commitment to dave of text, due when.
func (e *env) commit(t *testing.T, text, when string) *domain.CommitmentRecord {
	t.Helper()
	c, err := e.svc.Commit(t.Context(), commitments.CommitRequest{Team: team, Leader: bob, Employee: dave, Text: text, When: when})
	if err != nil {
		t.Fatalf("commit %q by %s: %v", text, when, err)
	}
	e.notify.take()
	return c
}

// ask makes dave's ask of bob.
func (e *env) ask(t *testing.T, text, when string) *domain.CommitmentRecord {
	t.Helper()
	c, reached, err := e.svc.Ask(t.Context(), commitments.AskRequest{Team: team, Employee: dave, Leader: bob, Text: text, When: when,
		HasBy: when != "", Typed: text + " by " + when})
	if err != nil || !reached {
		t.Fatalf("ask %q: reached %v, %v", text, reached, err)
	}
	e.notify.take()
	return c
}

func (e *env) get(t *testing.T, id string) *domain.CommitmentRecord {
	t.Helper()
	c, err := e.store.GetCommitment(t.Context(), team, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return c
}

// audit returns the types of the audit events of id.
func (e *env) audit(t *testing.T, id string) []domain.Event {
	t.Helper()
	evs, err := e.store.ReadAudit(t.Context(), team, time.Unix(0, 0), wednesday.Add(1000*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.Event
	for _, ev := range evs {
		if ev.Subject == id {
			out = append(out, ev)
		}
	}
	return out
}

func types(evs []domain.Event) []domain.EventType {
	var out []domain.EventType
	for _, ev := range evs {
		out = append(out, ev.Type())
	}
	return out
}

// wantRefusal fails unless err has code and a message containing want.
func wantRefusal(t *testing.T, err error, code domain.Code, want string) {
	t.Helper()
	if domain.ErrorCode(err) != code || !strings.Contains(domain.ErrorMessage(err), want) {
		t.Errorf("error %v (code %q); want %q containing %q", err, domain.ErrorCode(err), code, want)
	}
}

// wantField fails unless err is a *FieldError on field with code and want.
func wantField(t *testing.T, err error, field commitments.Field, code domain.Code, want string) {
	t.Helper()
	var fe *commitments.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Errorf("error %v; want a FieldError on field %d", err, field)
		return
	}
	wantRefusal(t, err, code, want)
}

func TestCommitRefusals(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	req := func(leader, employee, text, when string) commitments.CommitRequest {
		return commitments.CommitRequest{Team: team, Leader: leader, Employee: employee, Text: text, When: when}
	}
	tests := []struct {
		name string
		r    commitments.CommitRequest
		code domain.Code
		want string
	}{
		{"not a leader", req(dave, erin, "the course", "friday"), domain.Forbidden, "Commitments are what leaders promise their people, so only leaders make them"},
		{"to oneself", req(bob, bob, "the course", "friday"), domain.Invalid, "not to yourself"},
		{"no text", req(bob, dave, " ", "friday"), domain.Invalid, "Say what you will do for them"},
		{"too long", req(bob, dave, strings.Repeat("x", 501), "friday"), domain.Invalid, "Please keep it to 500 characters (it has 501)."},
		{"no date", req(bob, dave, "the course", ""), domain.Invalid, "end with `by <date>`"},
		{"unreadable date", req(bob, dave, "the course", "some <day>"), domain.Invalid, ":calendar: I can't read `some &lt;day&gt;` as a date"},
		{"past date", req(bob, dave, "the course", "2026-11-01"), domain.Invalid, "That's in the past (Sun Nov 1; today is Wed Nov 18)"},
		{"the bot", req(bob, botUser, "the course", "friday"), domain.Invalid, "That's me: name a person."},
		{"nobody", req(bob, "U0NOBODY", "the course", "friday"), domain.NotFound, "I can't find <@U0NOBODY> in this workspace."},
		{"a bot", req(bob, "U0ROBOT", "the course", "friday"), domain.Invalid, "<@U0ROBOT> is a bot or a deactivated account"},
		{"deactivated", req(bob, "U0GONE", "the course", "friday"), domain.Invalid, "<@U0GONE> is a bot or a deactivated account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := e.svc.Commit(ctx, tt.r)
			if c != nil {
				t.Errorf("made %s", c.ID)
			}
			wantRefusal(t, err, tt.code, tt.want)
		})
	}
	if got := e.notify.take(); len(got) != 0 {
		t.Errorf("told after refusals: %q", got)
	}
	if evs, _ := e.store.ReadAudit(ctx, team, time.Unix(0, 0), wednesday.Add(1000*time.Hour)); len(evs) != 0 {
		t.Errorf("audit events after refusals: %v", types(evs))
	}
}

func TestCommitTellsBothSides(t *testing.T) {
	e := setup(t)
	// Carol leads through a user group; the directory cannot say who Dave
	// is right now, so the commitment goes ahead.
	e.dir.fail = errors.New("users.info: ratelimited")
	c, err := e.svc.Commit(t.Context(), commitments.CommitRequest{Team: team, Leader: carol, Employee: dave, Text: "a van", When: "friday"})
	if err != nil {
		t.Fatal(err)
	}
	got := e.get(t, c.ID)
	if got.State != domain.CommitmentOpen || got.Due != "2026-11-20" || got.Source != domain.SourceCommit ||
		got.Leader != carol || got.Employee != dave || !got.MadeAt.Equal(wednesday) || got.Version != 1 {
		t.Errorf("stored: %+v", got)
	}
	evs := e.audit(t, c.ID)
	if len(evs) != 1 || evs[0].Actor != carol || evs[0].To != "open" {
		t.Fatalf("audit: %+v", evs)
	}
	if p, _ := evs[0].Payload.(domain.CommitmentMadeData); p.Due != "2026-11-20" || p.Source != domain.SourceCommit || p.Text != "a van" {
		t.Errorf("made event: %+v", evs[0].Payload)
	}
	want := []string{"tell-employee " + c.ID + " commitment.made", "tell-leader " + c.ID + " commitment.made", "changed " + c.ID}
	if got := e.notify.take(); !slices.Equal(got, want) {
		t.Errorf("told %q; want %q", got, want)
	}
	// A DM that fails does not undo the commitment.
	e.notify.dmFail = errors.New("channel_not_found")
	if _, err := e.svc.Commit(t.Context(), commitments.CommitRequest{Team: team, Leader: bob, Employee: dave, Text: "boots", When: "tomorrow"}); err != nil {
		t.Errorf("commit with failing DMs: %v", err)
	}
}

func TestAsk(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	ask := func(leader, text, when string, hasBy bool, typed string) (*domain.CommitmentRecord, bool, error) {
		return e.svc.Ask(ctx, commitments.AskRequest{Team: team, Employee: dave, Leader: leader, Text: text, When: when, HasBy: hasBy, Typed: typed})
	}
	_, _, err := ask(erin, "cover my shift", "", false, "cover my shift")
	wantRefusal(t, err, domain.Invalid, "<@U0ERIN> doesn't lead a team here, so I can't pass this on to them; you can ask <@U0BOB> <!subteam^S0MANAGERS>.")
	_, _, err = e.svc.Ask(ctx, commitments.AskRequest{Team: team, Employee: bob, Leader: bob, Text: "x"})
	wantRefusal(t, err, domain.Invalid, "You can't ask yourself: name one of the leaders, <@U0BOB> <!subteam^S0MANAGERS>.")
	_, _, err = ask(bob, "a van", "2026-01-01", true, "a van by 2026-01-01")
	wantRefusal(t, err, domain.Invalid, "in the past")
	_, _, err = ask(bob, "", "", false, "")
	wantRefusal(t, err, domain.Invalid, "Say what would help you.")

	// A date: the ask carries it.
	c, reached, err := ask(carol, "a second van", "friday", true, "a second van by friday")
	if err != nil || !reached {
		t.Fatalf("ask: %v, reached %v", err, reached)
	}
	if got := e.get(t, c.ID); got.State != domain.CommitmentAsked || got.AskedDue != "2026-11-20" || got.Due != "" || got.AskDM != (domain.MessageRef{Channel: "DU0CAROL", TS: "1.5"}) {
		t.Errorf("stored ask: %+v", got)
	}
	if got, want := e.notify.take(), []string{"ask-leader " + c.ID, "changed " + c.ID}; !slices.Equal(got, want) {
		t.Errorf("told %q; want %q", got, want)
	}
	if evs := e.audit(t, c.ID); len(evs) != 1 || evs[0].Actor != dave || evs[0].Type() != domain.EventCommitmentAsked {
		t.Errorf("audit: %+v", evs)
	}
	// "by" followed by no date, or by nothing, is part of the text.
	for _, tt := range []struct{ text, when, typed string }{
		{"help me", "covering the Tuesday route", "help me by covering the Tuesday route"},
		{"stand", "", "stand by"},
	} {
		c, _, err := ask(bob, tt.text, tt.when, true, tt.typed)
		if err != nil {
			t.Fatalf("ask %q: %v", tt.typed, err)
		}
		if got := e.get(t, c.ID); got.Text != tt.typed || got.AskedDue != "" {
			t.Errorf("ask %q: text %q, asked due %q", tt.typed, got.Text, got.AskedDue)
		}
	}
	e.notify.take()
	// The leader cannot be reached: the ask is kept, the asker is to tell them.
	e.notify.askFail = errors.New("channel_not_found")
	c, reached, err = ask(bob, "a ladder", "", false, "a ladder")
	if err != nil || reached {
		t.Fatalf("ask with a failing DM: %v, reached %v", err, reached)
	}
	if got := e.get(t, c.ID); got.State != domain.CommitmentAsked || !got.AskDM.IsZero() {
		t.Errorf("stored ask: %+v", got)
	}
	if got, want := e.notify.take(), []string{"ask-leader " + c.ID}; !slices.Equal(got, want) {
		t.Errorf("told %q; want %q", got, want)
	}
}

func TestAcceptAndDecline(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	c := e.ask(t, "a second van", "friday")
	act := func(user string) commitments.Action {
		return commitments.Action{Team: team, ID: c.ID, User: user, At: "dm"}
	}
	_, err := e.svc.Answerable(ctx, act(carol))
	wantRefusal(t, err, domain.Forbidden, "Only <@U0BOB> can answer this ask: it was put to them (`"+c.ID+"`).")
	if _, err := e.svc.Answerable(ctx, act(bob)); err != nil {
		t.Fatalf("answerable: %v", err)
	}
	_, err = e.svc.Accept(ctx, act(bob), "2026-11-10")
	wantField(t, err, commitments.FieldDue, domain.Invalid, "Tue Nov 10 is in the past: pick today or a later date.")
	_, err = e.svc.Accept(ctx, act(bob), "")
	wantField(t, err, commitments.FieldDue, domain.Invalid, "Pick a date.")
	_, err = e.svc.Accept(ctx, act(bob), "2040-01-01")
	wantField(t, err, commitments.FieldDue, domain.Invalid, "That's more than 5 years away")
	_, err = e.svc.DeclineAsk(ctx, act(bob), strings.Repeat("x", 501))
	wantField(t, err, commitments.FieldReason, domain.Invalid, "Please keep the reason to 500 characters (it has 501).")
	if got := e.notify.take(); len(got) != 0 {
		t.Errorf("told after refusals: %q", got)
	}

	got, err := e.svc.Accept(ctx, act(bob), "2026-11-27")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.CommitmentOpen || got.Due != "2026-11-27" || got.AskedDue != "2026-11-20" || !got.MadeAt.Equal(wednesday) {
		t.Errorf("accepted: %+v", got)
	}
	if told, want := e.notify.take(), []string{"show-answered " + c.ID + " dm", "tell-employee " + c.ID + " commitment.made", "changed " + c.ID}; !slices.Equal(told, want) {
		t.Errorf("told %q; want %q", told, want)
	}
	evs := e.audit(t, c.ID)
	if !slices.Equal(types(evs), []domain.EventType{domain.EventCommitmentAsked, domain.EventCommitmentMade}) {
		t.Fatalf("audit: %v", types(evs))
	}
	if p, _ := evs[1].Payload.(domain.CommitmentMadeData); evs[1].Actor != bob || p.Due != "2026-11-27" || p.AskedDue != "2026-11-20" || p.Source != domain.SourceAsk {
		t.Errorf("made event: %+v", evs[1])
	}
	// Answered: a second answer, from the same form or the other one, is refused beside its field.
	_, err = e.svc.Accept(ctx, act(bob), "2026-11-28")
	wantField(t, err, commitments.FieldDue, domain.Conflict, "That ask was accepted already: it's a commitment due Fri Nov 27 (`"+c.ID+"`).")
	_, err = e.svc.DeclineAsk(ctx, act(bob), "")
	wantField(t, err, commitments.FieldReason, domain.Conflict, "was accepted already")
	_, err = e.svc.Answerable(ctx, act(bob))
	wantRefusal(t, err, domain.Conflict, "was accepted already")

	// Declined, with the reason trimmed.
	d := e.ask(t, "a quieter route", "")
	dec, err := e.svc.DeclineAsk(ctx, commitments.Action{Team: team, ID: d.ID, User: bob}, "  covered by Erin  ")
	if err != nil {
		t.Fatal(err)
	}
	if dec.State != domain.CommitmentDeclined || dec.DeclineReason != "covered by Erin" || !dec.ClosedAt.Equal(wednesday) {
		t.Errorf("declined: %+v", dec)
	}
	evs = e.audit(t, d.ID)
	if p, _ := evs[len(evs)-1].Payload.(domain.CommitmentDeclinedData); p.Reason != "covered by Erin" {
		t.Errorf("declined event: %+v", evs)
	}
	_, err = e.svc.Accept(ctx, commitments.Action{Team: team, ID: d.ID, User: bob}, "2026-11-27")
	wantField(t, err, commitments.FieldDue, domain.Conflict, "That ask was declined already (`"+d.ID+"`).")
}

func TestDoneAndNewDate(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	c := e.commit(t, "fix the heater", "tomorrow")
	act := func(user string) commitments.Action {
		return commitments.Action{Team: team, ID: c.ID, User: user, At: "reminder"}
	}

	_, err := e.svc.Done(ctx, act(dave))
	wantRefusal(t, err, domain.Forbidden, "That's <@U0BOB>'s commitment (`"+c.ID+"`): only they can mark it done or move its date.")
	_, err = e.svc.Changeable(ctx, act(dave))
	wantRefusal(t, err, domain.Forbidden, "only they can mark it done")
	_, err = e.svc.Redate(ctx, act(bob), "2026-11-19")
	wantField(t, err, commitments.FieldDue, domain.Invalid, "That's the date it has already: pick another one.")
	_, err = e.svc.Redate(ctx, act(bob), "2026-11-17")
	wantField(t, err, commitments.FieldDue, domain.Invalid, "is in the past")

	got, err := e.svc.Redate(ctx, act(bob), "2026-11-24")
	if err != nil {
		t.Fatal(err)
	}
	if got.Due != "2026-11-24" || got.Redates != 1 {
		t.Errorf("new date: %+v", got)
	}
	if told, want := e.notify.take(), []string{"show-settled " + c.ID + " reminder", "tell-employee " + c.ID + " commitment.redated", "changed " + c.ID}; !slices.Equal(told, want) {
		t.Errorf("told %q; want %q", told, want)
	}
	// Done on the new due date: on time.
	e.clock.Advance(6 * 24 * time.Hour)
	got, err = e.svc.Done(ctx, act(bob))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.CommitmentDone || !got.OnTime {
		t.Errorf("done: %+v", got)
	}
	if told, want := e.notify.take(), []string{"show-settled " + c.ID + " reminder", "tell-employee " + c.ID + " commitment.done", "changed " + c.ID}; !slices.Equal(told, want) {
		t.Errorf("told %q; want %q", told, want)
	}
	evs := e.audit(t, c.ID)
	if !slices.Equal(types(evs), []domain.EventType{domain.EventCommitmentMade, domain.EventCommitmentRedated, domain.EventCommitmentDone}) {
		t.Fatalf("audit: %v", types(evs))
	}
	if evs[1].From != "2026-11-19" || evs[1].To != "2026-11-24" {
		t.Errorf("redated %s → %s", evs[1].From, evs[1].To)
	}
	if p, _ := evs[2].Payload.(domain.CommitmentDoneData); p.OnTime == nil || !*p.OnTime {
		t.Errorf("done event: %+v", evs[2].Payload)
	}
	// Settled: every later click says where it stands.
	_, err = e.svc.Done(ctx, act(bob))
	wantRefusal(t, err, domain.Conflict, "That commitment is already done (Tue Nov 24, `"+c.ID+"`).")
	_, err = e.svc.Changeable(ctx, act(bob))
	wantRefusal(t, err, domain.Conflict, "is already done")
	_, err = e.svc.Redate(ctx, act(bob), "2026-12-01")
	wantField(t, err, commitments.FieldDue, domain.Conflict, "is already done")

	// Done after its date: late.
	late := e.commit(t, "order gloves", "today")
	e.clock.Advance(48 * time.Hour)
	if got, err := e.svc.Done(ctx, commitments.Action{Team: team, ID: late.ID, User: bob}); err != nil || got.OnTime {
		t.Errorf("late done: %+v, %v", got, err)
	}
}

func TestButtonsOutOfDate(t *testing.T) {
	e := setup(t)
	_, err := e.svc.Done(t.Context(), commitments.Action{Team: team, ID: "nope", User: bob})
	wantRefusal(t, err, domain.Invalid, "That button is out of date; nothing changed.")
	_, err = e.svc.Answerable(t.Context(), commitments.Action{Team: team, ID: "C-AAAAAA", User: bob})
	wantRefusal(t, err, domain.NotFound, "I can't find commitment `C-AAAAAA`; nothing changed.")
}

func TestConcurrentDoneChangesOnce(t *testing.T) {
	e := setup(t)
	c := e.commit(t, "a torque wrench", "friday")
	const clicks = 4
	errs := make([]error, clicks)
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Go(func() {
			_, errs[i] = e.svc.Done(t.Context(), commitments.Action{Team: team, ID: c.ID, User: bob})
		})
	}
	wg.Wait()
	done := 0
	for _, err := range errs {
		switch {
		case err == nil:
			done++
		default:
			wantRefusal(t, err, domain.Conflict, "is already done")
		}
	}
	if done != 1 {
		t.Errorf("%d clicks made it done; want 1", done)
	}
	told := 0
	for _, call := range e.notify.take() {
		if strings.HasPrefix(call, "tell-employee") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("employee told %d times; want 1", told)
	}
	if n := len(e.audit(t, c.ID)); n != 2 {
		t.Errorf("%d audit events; want 2 (made, done)", n)
	}
}

func TestList(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	overdue := e.commit(t, "first aid kit", "tomorrow")
	open := e.commit(t, "new ladder", "11/28")
	done := e.commit(t, "parking pass", "12/20")
	asked := e.ask(t, "a quieter route", "")
	askedDated := e.ask(t, "a radio", "11/28")
	toBob, err := e.svc.Commit(ctx, commitments.CommitRequest{Team: team, Leader: carol, Employee: bob, Text: "your case", When: "11/20"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Done(ctx, commitments.Action{Team: team, ID: done.ID, User: bob}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(48 * time.Hour) // Friday Nov 20
	l, err := e.svc.List(ctx, team, bob)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id     string
		status commitments.Status
	}
	var gotOpen, gotClosed []row
	for _, it := range l.Open {
		gotOpen = append(gotOpen, row{it.ID, it.Status})
	}
	for _, it := range l.Closed {
		gotClosed = append(gotClosed, row{it.ID, it.Status})
	}
	wantOpen := []row{
		{overdue.ID, commitments.StatusOverdue}, {toBob.ID, commitments.StatusDueSoon}, {open.ID, commitments.StatusOpen},
		{askedDated.ID, commitments.StatusAsked}, {asked.ID, commitments.StatusAsked},
	}
	if !slices.Equal(gotOpen, wantOpen) {
		t.Errorf("open:\n got %v\nwant %v", gotOpen, wantOpen)
	}
	if want := []row{{done.ID, commitments.StatusDone}}; !slices.Equal(gotClosed, want) {
		t.Errorf("closed: %v; want %v", gotClosed, want)
	}
	if l.User != bob || l.Today.String() != "2026-11-20" {
		t.Errorf("list of %s on %s", l.User, l.Today)
	}
	// Dave sees what was made to him and his asks, not Carol's commitment to Bob.
	l, err = e.svc.List(ctx, team, dave)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Open) != 4 || len(l.Closed) != 1 {
		t.Errorf("Dave's list: %d open, %d closed; want 4, 1", len(l.Open), len(l.Closed))
	}
}

// remind runs the reminder job once, as a fresh run, and returns what it
// sent.
func (e *env) remind(t *testing.T) []string {
	t.Helper()
	n, err := e.svc.Remind(t.Context(), team, store.NewOwner())
	if err != nil {
		t.Fatalf("remind: %v", err)
	}
	got := e.notify.take()
	if n != len(got) {
		t.Errorf("Remind says %d sent; the notifier got %q", n, got)
	}
	return got
}

func TestRemindBeforeDueThenDailyWhenOverdue(t *testing.T) {
	e := setup(t)
	soon := e.commit(t, "sign off your overtime", "tomorrow")
	later := e.commit(t, "book the training", "in 5 days")
	done := e.commit(t, "a parking pass", "tomorrow")
	if _, err := e.svc.Done(t.Context(), commitments.Action{Team: team, ID: done.ID, User: bob}); err != nil {
		t.Fatal(err)
	}
	e.notify.take()

	// Wednesday: Thursday's is within remind_before (24h), Monday's is not.
	if got, want := e.remind(t), []string{"remind " + soon.ID + " soon 2026-11-18"}; !slices.Equal(got, want) {
		t.Errorf("Wednesday: %q; want %q", got, want)
	}
	if got := e.remind(t); len(got) != 0 {
		t.Errorf("Wednesday again: %q; want none", got)
	}
	// Thursday: due today, reminded once already.
	e.clock.Advance(24 * time.Hour)
	if got := e.remind(t); len(got) != 0 {
		t.Errorf("Thursday: %q; want none", got)
	}
	// Friday: overdue, once; one overdue event.
	e.clock.Advance(24 * time.Hour)
	if got, want := e.remind(t), []string{"remind " + soon.ID + " overdue 2026-11-20"}; !slices.Equal(got, want) {
		t.Errorf("Friday: %q; want %q", got, want)
	}
	if got := e.remind(t); len(got) != 0 {
		t.Errorf("Friday again: %q; want none", got)
	}
	evs := e.audit(t, soon.ID)
	if !slices.Equal(types(evs), []domain.EventType{domain.EventCommitmentMade, domain.EventCommitmentOverdue}) {
		t.Fatalf("audit: %v", types(evs))
	}
	if p, _ := evs[1].Payload.(domain.CommitmentOverdueData); evs[1].Actor != "" || p.DaysOverdue != 1 || p.Leader != bob {
		t.Errorf("overdue event: %+v", evs[1])
	}
	// Saturday: not a working day, no daily nudge.
	e.clock.Advance(24 * time.Hour)
	if got := e.remind(t); len(got) != 0 {
		t.Errorf("Saturday: %q; want none", got)
	}
	// Sunday: Monday's comes due (a due-soon reminder is no daily nudge);
	// still no overdue one.
	e.clock.Advance(24 * time.Hour)
	if got, want := e.remind(t), []string{"remind " + later.ID + " soon 2026-11-22"}; !slices.Equal(got, want) {
		t.Errorf("Sunday: %q; want %q", got, want)
	}
	// Monday: overdue again.
	e.clock.Advance(24 * time.Hour)
	if got, want := e.remind(t), []string{"remind " + soon.ID + " overdue 2026-11-23"}; !slices.Equal(got, want) {
		t.Errorf("Monday: %q; want %q", got, want)
	}
}

func TestRemindOverdueOnEveryWorkingDayThePolicyNames(t *testing.T) {
	e := setup(t)
	e.policies.Current().WorkingDays = []time.Weekday{time.Saturday}
	c := e.commit(t, "sign off your overtime", "today") // Wednesday
	e.remind(t)
	var days []string
	for range 7 {
		e.clock.Advance(24 * time.Hour)
		for _, r := range e.remind(t) {
			days = append(days, r)
		}
	}
	if want := []string{"remind " + c.ID + " overdue 2026-11-21"}; !slices.Equal(days, want) {
		t.Errorf("with working_days [SAT]: %q; want %q", days, want)
	}
}

func TestRemindGivesBackWhatItCouldNotSend(t *testing.T) {
	e := setup(t)
	c := e.commit(t, "fix the heater", "tomorrow")
	e.notify.remindFail = errors.New("ratelimited")
	if n, err := e.svc.Remind(t.Context(), team, store.NewOwner()); n != 0 || err == nil || !strings.Contains(err.Error(), c.ID) {
		t.Errorf("remind with a failing DM: %d sent, %v; want 0 and an error naming %s", n, err, c.ID)
	}
	e.notify.remindFail = nil
	if got, want := e.remind(t), []string{"remind " + c.ID + " soon 2026-11-18"}; !slices.Equal(got, want) {
		t.Errorf("after a failure: %q; want %q", got, want)
	}
}

func TestRemindOnReplicasSendsOnce(t *testing.T) {
	e := setup(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.commit(t, fmt.Sprintf("task %d", i), "tomorrow").ID)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := e.svc.Remind(t.Context(), team, store.NewOwner()); err != nil {
				t.Errorf("remind: %v", err)
			}
		})
	}
	wg.Wait()
	got := e.notify.take()
	slices.Sort(got)
	var want []string
	for _, id := range ids {
		want = append(want, "remind "+id+" soon 2026-11-18")
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("reminders on 4 replicas:\n got %q\nwant %q", got, want)
	}
}
