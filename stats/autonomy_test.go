package stats

import (
	"testing"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// Limits raised and reset are counted in their window, for the team, the
// person and the leader who changed them; proposals and Not now are not.
func TestComputeLimitsRaisedAndReset(t *testing.T) {
	facts := domain.AutonomyFacts{Person: "U0ALICE", Activity: "discount", Amount: money.FromMajor(900), Currency: "USD"}
	evs := []domain.Event{
		{Subject: "U0ALICE", To: "A-1", At: at(0, 9), Payload: domain.AutonomyProposedData{AutonomyFacts: facts}},
		{Actor: "U0BOB", Subject: "U0ALICE", From: "500", To: "900", At: at(0, 10),
			Payload: domain.AutonomyRaisedData{AutonomyFacts: facts, From: money.FromMajor(500)}},
		{Actor: "U0BOB", Subject: "U0DAVE", To: "A-2", At: at(1, 10), Payload: domain.AutonomyDeferredData{AutonomyFacts: facts}},
		{Actor: "U0CAROL", Subject: "U0ALICE", From: "900", To: "500", At: at(2, 10),
			Payload: domain.AutonomyResetData{AutonomyFacts: facts, To: money.FromMajor(500)}},
		// Before the window.
		{Actor: "U0BOB", Subject: "U0ERIN", At: weekFrom.Add(-1), Payload: domain.AutonomyRaisedData{AutonomyFacts: facts}},
	}
	f := Compute(evs, Input{From: weekFrom, To: weekTo, Now: weekTo, Loc: chicago})
	if f.LimitsRaised != 1 || f.LimitsReset != 1 || len(f.LimitChanges) != 2 {
		t.Fatalf("team: raised %d, reset %d, changes %+v; want 1, 1, 2", f.LimitsRaised, f.LimitsReset, f.LimitChanges)
	}
	if c := f.LimitChanges[1]; c.Kind != string(domain.EventAutonomyReset) || c.From != money.FromMajor(900) || c.To != money.FromMajor(500) || c.By != "U0CAROL" {
		t.Errorf("the reset = %+v; want from 900 to 500 by U0CAROL", c)
	}
	for user, want := range map[string]int{"U0ALICE": 2, "U0BOB": 1, "U0DAVE": 0} {
		f := Compute(evs, Input{From: weekFrom, To: weekTo, Now: weekTo, Loc: chicago, User: user})
		if got := f.LimitsRaised + f.LimitsReset; got != want {
			t.Errorf("%s: %d limit changes; want %d", user, got, want)
		}
	}
}
