package decisions_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/service/decisions"
)

func TestLogInsideTheBoxIsTheirOwnCall(t *testing.T) {
	f := setup(t)
	d := f.log(t, 250)
	got := f.get(t, d.ID)
	if got.State != domain.StateAutonomous || got.Level != -1 {
		t.Errorf("state, level: got %s, %d; want autonomous, -1", got.State, got.Level)
	}
	if want := t0.Add(72 * time.Hour); !got.OutcomeDue.Equal(want) {
		t.Errorf("outcome due: got %v, want %v", got.OutcomeDue, want)
	}
	if n := f.notify.snapshot(); len(n.posted) != 0 || !cmp.Equal(n.changed, []string{d.ID}) {
		t.Errorf("posted %v, changed %v; want no card, one change", n.posted, n.changed)
	}
}

func TestLogAboveTheBoxAsksTheLevelThatCoversIt(t *testing.T) {
	f := setup(t)
	tests := []struct {
		amount int64
		tags   []string
		level  string
		why    string
	}{
		{900, nil, "team-lead", "$900 is above your $500 box"},
		{5000, nil, "manager", "$5,000 is above your $500 box"},
		{100, []string{"safety"}, "manager", "tagged #safety"},
	}
	for _, tt := range tests {
		d := f.log(t, tt.amount, tt.tags...)
		got := f.get(t, d.ID)
		if got.State != domain.StatePending || got.LevelName != tt.level {
			t.Errorf("$%d %v: got %s at %q, want pending at %q", tt.amount, tt.tags, got.State, got.LevelName, tt.level)
		}
		if got.Why != tt.why {
			t.Errorf("$%d %v: why %q, want %q", tt.amount, tt.tags, got.Why, tt.why)
		}
		if want := t0.Add(f.policy.RespondWithin(got.Level)); !got.Deadline.Equal(want) {
			t.Errorf("$%d: deadline %v, want %v", tt.amount, got.Deadline, want)
		}
		if _, ok := got.MessageFor(got.Level); !ok {
			t.Errorf("$%d: no card recorded for its level: %+v", tt.amount, got.Messages)
		}
	}
}

func TestLogRefusesAnUnknownActivity(t *testing.T) {
	f := setup(t)
	_, err := f.svc.Log(t.Context(), team, dave, box.Request{Activity: "discont", Amount: money.FromMajor(10)})
	if domain.ErrorCode(err) != domain.Invalid || !strings.HasPrefix(domain.ErrorMessage(err), "I don't know the activity") {
		t.Fatalf("got %v (%s), want an Invalid refusal that names the unknown activity, with no warning sign", err, domain.ErrorCode(err))
	}
	if ids, _ := f.store.DecisionsBetween(t.Context(), team, t0.Add(-time.Hour), t0.Add(time.Hour)); len(ids) != 0 {
		t.Errorf("stored %v, want nothing", ids)
	}
}

func TestApproveTellsTheRequesterAndUpdatesTheCards(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)
	f.clock.Advance(42 * time.Minute)
	got, err := f.svc.Approve(t.Context(), team, d.ID, bob)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	stored := f.get(t, d.ID)
	if stored.State != domain.StateApproved || stored.DecidedBy != bob || !stored.Deadline.IsZero() {
		t.Errorf("stored: %s by %q, deadline %v; want approved by bob, no deadline", stored.State, stored.DecidedBy, stored.Deadline)
	}
	if want := t0.Add(42*time.Minute + 72*time.Hour); !stored.OutcomeDue.Equal(want) {
		t.Errorf("outcome due %v, want %v", stored.OutcomeDue, want)
	}
	if got.Version != stored.Version {
		t.Errorf("returned version %d, stored %d", got.Version, stored.Version)
	}
	n := f.notify.snapshot()
	if want := []told{{d.ID, "approved", "approved"}}; !cmp.Equal(n.told, want) {
		t.Errorf("told %v, want %v", n.told, want)
	}
	if want := []domain.DecisionState{domain.StateApproved}; !cmp.Equal(n.updated, want) {
		t.Errorf("cards updated to %v, want %v", n.updated, want)
	}

	_, err = f.svc.Approve(t.Context(), team, d.ID, carol)
	wantRefusal(t, err, domain.Conflict, "<@U0BOB> already approved this one at 3:42 PM UTC (`"+d.ID+"`).")
}

func TestWhoMayAnswer(t *testing.T) {
	f := setup(t)
	small := f.log(t, 900)   // team-lead
	large := f.log(t, 5000)  // manager
	huge := f.log(t, 20_000) // above every limit: the manager, as the top
	tests := []struct {
		name string
		id   string
		user string
		code domain.Code
		msg  string
	}{
		{"the requester", small.ID, dave, domain.Forbidden,
			"This call is yours, so someone else answers it: your team lead, <@U0BOB> (`" + small.ID + "`)."},
		{"no approver", small.ID, mallory, domain.Forbidden,
			"Only its leaders can answer this one: the team lead, <@U0BOB>, or a leader above them (`" + small.ID + "`)."},
		{"a lower level", large.ID, bob, domain.Forbidden,
			"You approve discount up to $2,000, and this one is $5,000, so it's for the managers, <@U0CAROL> or <!subteam^S0MANAGERS> (`" + large.ID + "`)."},
		{"an unknown decision", "D-NOPE00", bob, domain.NotFound, "I can't find decision `D-NOPE00`; nothing changed."},
		{"the manager below the top", small.ID, carol, "", ""},
		{"the manager through a group", large.ID, mia, "", ""},
		{"the top above every limit", huge.ID, carol, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := f.svc.MayAct(t.Context(), team, tt.id, tt.user)
			if tt.code == "" {
				if err != nil || d == nil || d.ID != tt.id {
					t.Fatalf("MayAct = %v, %v; want %s", d, err, tt.id)
				}
				return
			}
			wantRefusal(t, err, tt.code, tt.msg)
		})
	}
}

func TestEscalateMovesUpAndPostsTheNextLevelsCard(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)
	f.clock.Advance(time.Hour)
	if _, err := f.svc.Escalate(t.Context(), team, d.ID, 0, bob); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	got := f.get(t, d.ID)
	if got.Level != 1 || got.LevelName != "manager" || !got.Deadline.Equal(t0.Add(25*time.Hour)) {
		t.Errorf("got level %d %q, deadline %v; want manager, 24h from now", got.Level, got.LevelName, got.Deadline)
	}
	if last := got.History[len(got.History)-1]; last.Action != "escalated" || last.Actor != bob || last.From != "team-lead" || last.To != "manager" {
		t.Errorf("last history entry %+v", last)
	}
	if len(got.Messages) != 2 || got.Messages[1].Level != 1 {
		t.Errorf("cards %+v, want one per level", got.Messages)
	}
	if n := f.notify.snapshot(); !cmp.Equal(n.told, []told{{d.ID, "escalated", "pending"}}) {
		t.Errorf("told %v", n.told)
	}

	_, err := f.svc.Escalate(t.Context(), team, d.ID, 0, carol)
	wantRefusal(t, err, domain.Conflict,
		"<@U0BOB> moved it up at 4:00 PM UTC: it's with the managers, <@U0CAROL> or <!subteam^S0MANAGERS>, now (`"+d.ID+"`).")
	_, err = f.svc.Escalate(t.Context(), team, d.ID, 1, carol)
	wantRefusal(t, err, domain.Conflict, "There's no one higher to pass this to: it's yours to approve or decline (`"+d.ID+"`).")
}

func TestDecline(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)

	_, err := f.svc.Decline(t.Context(), team, d.ID, bob, strings.Repeat("x", decisions.MaxDeclineReason+1))
	var fe *decisions.FormError
	if !errors.As(err, &fe) {
		t.Fatalf("a long reason: got %v, want a *FormError", err)
	}
	wantRefusal(t, err, domain.Invalid, "Please keep the reason to 2000 characters (it has 2001).")

	_, err = f.svc.Decline(t.Context(), team, "D-NOPE00", bob, "")
	if errors.As(err, &fe) {
		t.Errorf("an unknown decision is a *FormError: %v", err)
	}
	wantRefusal(t, err, domain.NotFound, "I can't find that decision any more.")

	if _, err := f.svc.Decline(t.Context(), team, d.ID, bob, "  too much this quarter  "); err != nil {
		t.Fatalf("Decline: %v", err)
	}
	got := f.get(t, d.ID)
	if got.State != domain.StateDeclined || got.DeclineReason != "too much this quarter" || got.DecidedBy != bob {
		t.Errorf("got %s by %q with %q", got.State, got.DecidedBy, got.DeclineReason)
	}
	if !got.OutcomeDue.IsZero() {
		t.Errorf("a declined decision has an outcome due: %v", got.OutcomeDue)
	}
	if n := f.notify.snapshot(); !cmp.Equal(n.told, []told{{d.ID, "declined", "declined"}}) {
		t.Errorf("told %v", n.told)
	}
}

func TestDeclineThatLosesTheRaceStaysInTheForm(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)
	hs := &hookedStore{Store: f.store}
	svc := decisions.New(domain.NewPolicies(f.policy), hs, f.notify, f.roster, nil, f.clock, nil)
	hs.beforeUpdate = func() {
		if _, err := f.svc.Approve(t.Context(), team, d.ID, carol); err != nil {
			t.Errorf("Approve: %v", err)
		}
	}
	_, err := svc.Decline(t.Context(), team, d.ID, bob, "no")
	var fe *decisions.FormError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FormError", err)
	}
	wantRefusal(t, err, domain.Conflict, "<@U0CAROL> already approved this one at 3:00 PM UTC (`"+d.ID+"`).")
	if got := f.get(t, d.ID); got.State != domain.StateApproved {
		t.Errorf("state %s, want approved", got.State)
	}
}

func TestConcurrentAnswersChangeTheDecisionOnce(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, user := range []string{bob, carol} {
		wg.Go(func() { _, errs[i] = f.svc.Approve(t.Context(), team, d.ID, user) })
	}
	wg.Wait()
	var won, lost int
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case domain.ErrorCode(err) == domain.Conflict && strings.Contains(domain.ErrorMessage(err), "already approved"):
			lost++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Errorf("%d won, %d lost; want one of each", won, lost)
	}
	if n := f.notify.snapshot(); len(n.told) != 1 {
		t.Errorf("requester told %d times, want once", len(n.told))
	}
}
