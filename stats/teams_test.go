package stats

import (
	"testing"

	"github.com/empowerbot/empowerbot/domain"
)

// inTeam logs a decision event with the requester's policy team.
func inTeam(ev domain.Event, team string) domain.Event {
	switch p := ev.Payload.(type) {
	case domain.DecisionCreatedData:
		p.TeamName = team
		ev.Payload = p
	case domain.DecisionApprovedData:
		p.TeamName = team
		ev.Payload = p
	case domain.DecisionDeclinedData:
		p.TeamName = team
		ev.Payload = p
	}
	return ev
}

// Team figures count a decision by the team it was logged with, even when
// its requester moved since; its outcome follows it; praise and commitments
// follow the people's teams.
func TestComputeTeams(t *testing.T) {
	c1, c2 := at(0, 9), at(1, 9)
	evs := []domain.Event{
		inTeam(dec(created, "D-N1", "U0ALICE", "", "pending", c1, c1, 90000, "team-lead"), "north"),
		inTeam(dec(approved, "D-N1", "U0BOB", "pending", "approved", c2, c1, 90000, "team-lead"), "north"),
		inTeam(dec(created, "D-N2", "U0DAVE", "", "autonomous", c1, c1, 10000, ""), "north"),
		// Erin logged this one while she was in north; she is in south now.
		inTeam(dec(created, "D-N3", "U0ERIN", "", "autonomous", c1, c1, 20000, ""), "north"),
		inTeam(dec(created, "D-S1", "U0ERIN", "", "pending", c2, c2, 70000, "team-lead"), "south"),
		inTeam(dec(declined, "D-S1", "U0GRACE", "pending", "declined", c2, c2, 70000, "team-lead"), "south"),
		dec(created, "D-X1", "U0ZOE", "", "autonomous", c1, c1, 5000, ""),
		{Actor: "U0DAVE", Subject: "D-N2", To: "worked", At: c2, Payload: domain.OutcomeWorkedData{}},
		{Actor: "U0BOB", Subject: "U0ALICE", At: c2, Payload: domain.PraiseGivenData{Text: "great save"}},
		{Actor: "U0GRACE", Subject: "U0FRANK", At: c2, Payload: domain.PraiseGivenData{Text: "nice"}},
		{Actor: "U0BOB", Subject: "C-N", At: c1, Payload: made("U0BOB", "U0DAVE", "training", "2026-11-30")},
		{Actor: "U0GRACE", Subject: "C-S", At: c1, Payload: made("U0GRACE", "U0FRANK", "tools", "2026-11-30")},
		{Subject: "R-1", At: c1, Payload: domain.FeedbackRoundData{Question: "q", Sent: 10, Answered: 5, RatePct: 50}},
	}
	teamOf := func(u string) string {
		switch u {
		case "U0ALICE", "U0DAVE", "U0BOB":
			return "north"
		case "U0ERIN", "U0FRANK", "U0GRACE":
			return "south"
		}
		return ""
	}
	for _, tt := range []struct {
		teams                                   []string
		inside, above, approved, declined, work int
		praise, open, rounds                    int
	}{
		{teams: []string{"north"}, inside: 2, above: 1, approved: 1, work: 1, praise: 1, open: 1},
		{teams: []string{"south"}, above: 1, declined: 1, praise: 1, open: 1},
		{teams: []string{""}, inside: 1},
		{teams: []string{"north", "south"}, inside: 2, above: 2, approved: 1, declined: 1, work: 1, praise: 2, open: 2},
		{teams: nil, inside: 3, above: 2, approved: 1, declined: 1, work: 1, praise: 2, open: 2, rounds: 1},
	} {
		f := Compute(evs, Input{From: weekFrom, To: weekTo, Loc: chicago, Teams: tt.teams, TeamOf: teamOf})
		got := [...]int{f.Inside, f.Above, f.Approved, f.Declined, f.Worked, f.PraiseGiven, len(f.Open), len(f.Rounds)}
		want := [...]int{tt.inside, tt.above, tt.approved, tt.declined, tt.work, tt.praise, tt.open, tt.rounds}
		if got != want {
			t.Errorf("teams %q: inside, above, approved, declined, worked, praise, open, rounds = %v, want %v", tt.teams, got, want)
		}
	}
}
