package stats

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

var chicago, _ = time.LoadLocation("America/Chicago")

// week is Mon 2026-11-16 00:00 to Mon 2026-11-23 00:00 in Chicago.
var (
	weekFrom = time.Date(2026, 11, 16, 0, 0, 0, 0, chicago)
	weekTo   = weekFrom.AddDate(0, 0, 7)
)

func at(day int, hour int) time.Time {
	return weekFrom.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour)
}

func dec(mk func(domain.DecisionFacts) domain.Payload, id, requester, from, to string, when time.Time, created time.Time, amount int64, level string) domain.Event {
	f := domain.DecisionFacts{Activity: "discount", Amount: money.Amount(amount), Currency: "USD", Requester: requester,
		CreatedAt: domain.UnixMilliOf(created), Autonomous: to == "autonomous", Level: level}
	return domain.Event{Actor: requester, Subject: id, From: from, To: to, At: when, Payload: mk(f)}
}

func created(f domain.DecisionFacts) domain.Payload {
	return domain.DecisionCreatedData{DecisionFacts: f}
}
func approved(f domain.DecisionFacts) domain.Payload {
	return domain.DecisionApprovedData{DecisionFacts: f}
}
func declined(f domain.DecisionFacts) domain.Payload {
	return domain.DecisionDeclinedData{DecisionFacts: f}
}
func timedOut(f domain.DecisionFacts) domain.Payload {
	return domain.DecisionTimeoutData{DecisionFacts: f}
}
func escalated(f domain.DecisionFacts) domain.Payload {
	return domain.DecisionEscalatedData{DecisionFacts: f}
}

func made(leader, employee, text, due string) domain.CommitmentMadeData {
	return domain.CommitmentMadeData{CommitmentFacts: domain.CommitmentFacts{Leader: leader, Employee: employee, Text: text, Due: due}}
}

func sampleEvents() []domain.Event {
	c1, c2, c3, c4, old := at(0, 9), at(1, 9), at(2, 9), at(3, 9), at(-3, 9)
	yes, no := true, false
	return []domain.Event{
		// Escalated before the window, answered inside it.
		dec(created, "D-OLD", "U0DAVE", "", "pending", old, old, 90000, "team-lead"),
		{Actor: "U0BOB", Subject: "C-1", At: old, Payload: made("U0BOB", "U0DAVE", "book training", "2026-11-18")},
		{Actor: "U0BOB", Subject: "C-2", At: old, Payload: made("U0BOB", "U0ALICE", "new laptop", "2026-11-17")},
		{Actor: "U0CAROL", Subject: "C-3", At: old, Payload: made("U0CAROL", "U0DAVE", "roster", "2026-11-30")},
		{Actor: "U0CAROL", Subject: "C-4", At: old, Payload: made("U0CAROL", "U0ERIN", "tools", "2026-11-17")},
		dec(created, "D-1", "U0DAVE", "", "autonomous", c1, c1, 25000, ""),
		dec(created, "D-2", "U0ALICE", "", "autonomous", c1, c1, 10000, ""),
		dec(created, "D-3", "U0DAVE", "", "pending", c2, c2, 90000, "team-lead"),
		dec(approved, "D-3", "U0DAVE", "pending", "approved", c2.Add(time.Hour), c2, 90000, "team-lead"),
		dec(approved, "D-OLD", "U0DAVE", "pending", "approved", at(0, 12), old, 90000, "team-lead"),
		dec(created, "D-4", "U0ALICE", "", "pending", c3, c3, 150000, "team-lead"),
		dec(timedOut, "D-4", "", "team-lead", "manager", c3.Add(4*time.Hour), c3, 150000, "manager"),
		dec(declined, "D-4", "U0ALICE", "pending", "declined", c3.Add(6*time.Hour), c3, 150000, "manager"),
		dec(created, "D-5", "U0DAVE", "", "pending", c4, c4, 80000, "team-lead"),
		dec(escalated, "D-5", "U0BOB", "team-lead", "manager", c4.Add(time.Hour), c4, 80000, "manager"),
		{Subject: "D-1", At: at(3, 10), Payload: domain.OutcomeAskedData{}},
		{Subject: "D-2", At: at(3, 10), Payload: domain.OutcomeAskedData{}},
		{Subject: "D-3", At: at(4, 10), Payload: domain.OutcomeAskedData{}},
		{Actor: "U0DAVE", Subject: "D-1", At: at(3, 11), Payload: domain.OutcomeWorkedData{}},
		{Actor: "U0ALICE", Subject: "D-2", At: at(4, 11), Payload: domain.OutcomeFailedData{}},
		{Actor: "U0BOB", Subject: "U0DAVE", At: at(3, 11), Payload: domain.PraiseGivenData{Text: "great save", Values: []string{"courage"}}},
		{Actor: "U0ALICE", At: at(4, 12), Payload: domain.WinPostedData{Text: "ACME renewed", Users: []string{"U0ERIN"}}},
		{Subject: "R1", To: "open", At: at(0, 9), Payload: domain.FeedbackRoundData{Question: "Q?", Sent: 3}},
		{Subject: "R1", To: "reminded", At: at(2, 9), Payload: domain.FeedbackRoundData{Question: "Q?", Sent: 3, Answered: 2, RatePct: 66}},
		{Actor: "U0BOB", Subject: "C-1", At: at(1, 9), Payload: domain.CommitmentDoneData{OnTime: &yes}},
		{Actor: "U0BOB", Subject: "C-2", From: "2026-11-17", To: "2026-11-19", At: at(1, 9), Payload: domain.CommitmentRedatedData{}},
		{Actor: "U0BOB", Subject: "C-2", At: at(4, 9), Payload: domain.CommitmentDoneData{OnTime: &no}},
		// After the window: ignored.
		dec(created, "D-LATE", "U0DAVE", "", "autonomous", at(8, 9), at(8, 9), 100, ""),
	}
}

func TestComputeTeam(t *testing.T) {
	f := Compute(sampleEvents(), Input{From: weekFrom, To: weekTo, Now: weekTo, Loc: chicago})
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("inside", f.Inside, 2)
	check("above", f.Above, 3)
	check("activities", len(f.Activities), 1)
	a := f.Activities[0]
	check("inside amount", a.InsideAmount, int64(35000))
	check("above amount", a.AboveAmount, int64(320000))
	check("escalations team-lead", f.EscalationsByLevel["team-lead"], 3)
	check("escalations manager", f.EscalationsByLevel["manager"], 2)
	check("timeouts", f.Timeouts, 1)
	check("approved", f.Approved, 2)
	check("declined", f.Declined, 1)
	// Answer times: 1h, 3 days 3h, 6h: median 6h, p90 75h.
	check("median", f.MedianAnswer, 6*time.Hour)
	check("p90", f.P90Answer, 75*time.Hour)
	check("worked", f.Worked, 1)
	check("failed", f.Failed, 1)
	check("unanswered", f.Unanswered, 1)
	check("praise", f.PraiseGiven, 1)
	check("wins", f.WinsPosted, 1)
	check("highlights", len(f.Highlights), 2)
	check("rounds", len(f.Rounds), 1)
	check("round answered", f.Rounds[0].Answered, 2)
	rate, ok := f.FeedbackRate()
	check("rate", rate, 66)
	check("rate ok", ok, true)
	check("on time", f.OnTime, 1)
	check("late", f.Late, 1)
	check("overdue", len(f.Overdue), 1)
	check("overdue id", f.Overdue[0].ID, "C-4")
	check("open", len(f.Open), 2)
	check("days", len(f.Days), 7)
	check("day0 inside", f.Days[0].Inside, 2)
	check("day2 above", f.Days[2].Above, 1)
	check("day3 worked", f.Days[3].Worked, 1)
	check("day4 failed", f.Days[4].Failed, 1)
}

func TestComputeOnePerson(t *testing.T) {
	f := Compute(sampleEvents(), Input{From: weekFrom, To: weekTo, Now: weekTo, Loc: chicago, User: "U0DAVE"})
	if f.Inside != 1 || f.Above != 2 || f.Approved != 2 || f.Declined != 0 || f.Timeouts != 0 {
		t.Errorf("Dave's decisions: inside %d above %d approved %d declined %d timeouts %d; want 1 2 2 0 0",
			f.Inside, f.Above, f.Approved, f.Declined, f.Timeouts)
	}
	if f.Worked != 1 || f.Failed != 0 || f.Unanswered != 1 {
		t.Errorf("Dave's outcomes: worked %d failed %d unanswered %d; want 1 0 1", f.Worked, f.Failed, f.Unanswered)
	}
	if f.PraiseReceived != 1 || f.PraiseGiven != 0 || f.WinsPosted != 0 {
		t.Errorf("Dave's praise: received %d given %d wins %d; want 1 0 0", f.PraiseReceived, f.PraiseGiven, f.WinsPosted)
	}
	if len(f.Rounds) != 0 {
		t.Errorf("a person's figures carry feedback rounds: %v", f.Rounds)
	}
	if f.OnTime != 1 || f.Late != 0 || len(f.Overdue) != 0 || len(f.Open) != 1 {
		t.Errorf("Dave's commitments: on time %d late %d overdue %v open %v", f.OnTime, f.Late, f.Overdue, f.Open)
	}
}

func TestComputeEmpty(t *testing.T) {
	f := Compute(nil, Input{From: weekFrom, To: weekTo, Loc: chicago})
	if f.Decisions() != 0 || f.MedianAnswer != 0 || len(f.Days) != 7 {
		t.Errorf("empty figures: %+v", f)
	}
	if _, ok := f.FeedbackRate(); ok {
		t.Errorf("empty figures report a feedback rate")
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	if got := percentile(ds, 50); got != 5 {
		t.Errorf("median = %v, want 5", got)
	}
	if got := percentile(ds, 90); got != 9 {
		t.Errorf("p90 = %v, want 9", got)
	}
	if got := percentile(ds[:1], 90); got != 5 {
		t.Errorf("p90 of one = %v, want 5", got)
	}
}
