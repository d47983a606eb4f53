package recognition_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// due stores a decision of requester in state whose follow-up is due
// ask after t0.
func (e *env) due(id, requester string, state domain.DecisionState, ask time.Duration) {
	e.t.Helper()
	d := &domain.DecisionRecord{Decision: domain.Decision{
		ID: id, Team: team, Requester: requester, Activity: "discount", Amount: money.FromMajor(100),
		Currency: "USD", State: state, Level: -1, CreatedAt: t0, OutcomeDue: t0.Add(ask),
	}}
	ev := domain.Event{Actor: requester, Subject: id, To: string(state), At: t0,
		Payload: domain.DecisionCreatedData{DecisionFacts: domain.DecisionFacts{Amount: d.Amount, Activity: d.Activity}}}
	if err := e.store.CreateDecision(e.t.Context(), d, ev); err != nil {
		e.t.Fatal(err)
	}
}

// sent counts the follow-ups sent for id so far.
func (e *env) sent(id string) int {
	n := 0
	for _, c := range e.notify.Calls() {
		if c == "SendFollowUp "+id {
			n++
		}
	}
	return n
}

// asked counts the outcome.asked events so far.
func (e *env) asked() int {
	n := 0
	for _, typ := range e.audit() {
		if typ == domain.EventOutcomeAsked {
			n++
		}
	}
	return n
}

func (e *env) isDue(id string) bool {
	e.t.Helper()
	_, due, err := e.store.FollowUpDue(e.t.Context(), team, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return due
}

func TestFollowUpsAskEachRequesterOnce(t *testing.T) {
	e := setup(t, 10)
	e.due("D-AAAAB1", "U0DAVE", domain.StateAutonomous, 72*time.Hour)
	e.due("D-AAAAB2", "U0ERIN", domain.StateAutonomous, 72*time.Hour)
	e.due("D-AAAAB3", "U0BOB", domain.StatePending, 72*time.Hour) // never asked about
	e.due("D-AAAAB4", "U0DAVE", domain.StateAutonomous, 100*time.Hour)

	if err := e.svc.FollowUps(t.Context(), team, "run-1"); err != nil {
		t.Fatal(err)
	}
	if got := e.notify.Calls(); len(got) != 0 {
		t.Fatalf("before outcomes.ask_after: %q; want nothing", got)
	}

	// Due: three replicas run at once; each requester is asked once.
	e.clock.Set(t0.Add(72*time.Hour + time.Minute))
	var wg sync.WaitGroup
	for _, owner := range []string{"run-a", "run-b", "run-c"} {
		wg.Go(func() {
			if err := e.svc.FollowUps(t.Context(), team, owner); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// And a rerun after a restart asks nothing again.
	if err := e.svc.FollowUps(t.Context(), team, "run-2"); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"D-AAAAB1": 1, "D-AAAAB2": 1, "D-AAAAB3": 0, "D-AAAAB4": 0} {
		if n := e.sent(id); n != want {
			t.Errorf("%s: %d follow-ups; want %d", id, n, want)
		}
	}
	if n := e.asked(); n != 2 {
		t.Errorf("%d outcome.asked events; want 2", n)
	}
	if !slices.Contains(e.notify.Calls(), "Touched U0DAVE") {
		t.Errorf("calls = %q; want the requester's Home touched", e.notify.Calls())
	}

	// The DM's place is kept: recording the outcome updates it.
	before := len(e.notify.Calls())
	if _, err := e.svc.RecordOutcome(t.Context(), team, "U0DAVE", "D-AAAAB1", domain.OutcomeFailed, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.notify.Calls()[before]; got != "ShowRecorded D-AAAAB1 DU0DAVE|D-AAAAB1 failed" {
		t.Errorf("first call after the outcome = %q; want the follow-up DM updated", got)
	}
	// Answered before its follow-up: never asked.
	if _, err := e.svc.RecordOutcome(t.Context(), team, "U0DAVE", "D-AAAAB4", domain.OutcomeWorked, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(t0.Add(200 * time.Hour))
	if err := e.svc.FollowUps(t.Context(), team, "run-3"); err != nil {
		t.Fatal(err)
	}
	if n := e.sent("D-AAAAB4"); n != 0 {
		t.Errorf("answered decision got %d follow-ups; want none", n)
	}
}

func TestFollowUpsRetryWhatMayPassNotWhatWillNot(t *testing.T) {
	e := setup(t, 10)
	e.due("D-AAAAC1", "U0DAVE", domain.StateAutonomous, time.Hour)
	e.due("D-AAAAC2", "U0GONE", domain.StateAutonomous, time.Hour)
	e.clock.Set(t0.Add(2 * time.Hour))

	// Slack fails for a reason that may pass; the other person can never
	// be reached.
	e.notify.fail["SendFollowUp"] = true
	e.notify.unreachable = map[string]bool{"U0GONE": true}
	err := e.svc.FollowUps(t.Context(), team, "run-1")
	if err == nil || !strings.Contains(err.Error(), "slack says no") {
		t.Errorf("run with a failed DM = %v; want its error", err)
	}
	if !e.isDue("D-AAAAC1") {
		t.Error("a follow-up that failed for a passing reason is due no more")
	}
	if e.isDue("D-AAAAC2") {
		t.Error("a follow-up to someone who can never be reached is still due")
	}

	// The next run sends the first; the second is never tried again.
	e.notify.fail["SendFollowUp"] = false
	if err := e.svc.FollowUps(t.Context(), team, "run-2"); err != nil {
		t.Fatal(err)
	}
	if n := e.sent("D-AAAAC1"); n != 2 {
		t.Errorf("D-AAAAC1: %d attempts; want 2 (failed, then sent)", n)
	}
	if n := e.sent("D-AAAAC2"); n != 1 {
		t.Errorf("D-AAAAC2: %d attempts; want 1", n)
	}
	if e.isDue("D-AAAAC1") {
		t.Error("sent follow-up still due")
	}
	if n := e.asked(); n != 1 {
		t.Errorf("%d outcome.asked events; want 1 (the refused one is not asked)", n)
	}
}
