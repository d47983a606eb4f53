package domain_test

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

func TestNormalizeIDs(t *testing.T) {
	did, cid := domain.NewDecisionID(), domain.NewCommitmentID()
	tests := []struct {
		name      string
		normalize func(string) (string, bool)
		in        string
		want      string
		ok        bool
	}{
		{"decision fresh", domain.NormalizeDecisionID, did, did, true},
		{"decision lower case", domain.NormalizeDecisionID, "d-7k2qf9", "D-7K2QF9", true},
		{"decision no prefix", domain.NormalizeDecisionID, "7K2QF9", "D-7K2QF9", true},
		{"decision short", domain.NormalizeDecisionID, "D-7K2QF", "", false},
		{"decision U not in alphabet", domain.NormalizeDecisionID, "D-7K2QFU", "", false},
		{"decision empty", domain.NormalizeDecisionID, "", "", false},
		{"decision with commitment prefix", domain.NormalizeDecisionID, "C-7K2QF9", "", false},
		{"commitment fresh", domain.NormalizeCommitmentID, cid, cid, true},
		{"commitment spaces", domain.NormalizeCommitmentID, " c-7k2qf9 ", "C-7K2QF9", true},
		{"commitment O not in alphabet", domain.NormalizeCommitmentID, "C-7K2QFO", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.normalize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("normalize(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDecided(t *testing.T) {
	for _, tt := range []struct {
		state domain.DecisionState
		want  bool
	}{
		{domain.StateAutonomous, false}, {domain.StatePending, false},
		{domain.StateApproved, true}, {domain.StateDeclined, true},
	} {
		d := domain.Decision{State: tt.state}
		if got := d.Decided(); got != tt.want {
			t.Errorf("Decided() in %s: got %v, want %v", tt.state, got, tt.want)
		}
	}
}

func TestFeedbackRatePct(t *testing.T) {
	for _, tt := range []struct {
		rate domain.FeedbackRate
		want int
	}{
		{domain.FeedbackRate{}, 0}, {domain.FeedbackRate{Sent: 3, Answered: 2}, 66}, {domain.FeedbackRate{Sent: 4, Answered: 4}, 100},
	} {
		if got := tt.rate.Pct(); got != tt.want {
			t.Errorf("%+v.Pct(): got %d, want %d", tt.rate, got, tt.want)
		}
	}
}

func TestChangeBy(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	d := &domain.Decision{History: []domain.HistoryEntry{
		{Action: "created", At: t0},
		{Action: "escalated", Actor: "U1", At: t0.Add(time.Minute), Request: "action:t1:escalate"},
		{Action: "away", At: t0.Add(time.Minute)}, // skipped in the same change
	}}
	if i, latest := d.ChangeBy("action:t1:escalate"); i != 1 || !latest {
		t.Errorf("escalation then its away level: %d %v, want 1 true", i, latest)
	}
	d.History = append(d.History, domain.HistoryEntry{Action: "approved", Actor: "U2", At: t0.Add(2 * time.Minute), Request: "action:t2:approve"})
	if i, latest := d.ChangeBy("action:t1:escalate"); i != 1 || latest {
		t.Errorf("escalation approved since: %d %v, want 1 false", i, latest)
	}
	if i, latest := d.ChangeBy("action:t2:approve"); i != 3 || !latest {
		t.Errorf("approval: %d %v, want 3 true", i, latest)
	}
	for _, r := range []string{"", "action:t3:approve"} {
		if i, latest := d.ChangeBy(r); i != -1 || latest {
			t.Errorf("request %q: %d %v, want -1 false", r, i, latest)
		}
	}
}
