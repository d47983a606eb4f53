package autonomy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/service/autonomy"
)

var t0 = time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)

// dec is decision i (logged i hours after t0) of discount for amount, in
// state with outcome ("" for none told).
func dec(i int, amount int64, state domain.DecisionState, outcome string) *domain.Decision {
	return &domain.Decision{ID: "D-" + string(rune('A'+i)), Activity: "discount", Amount: money.FromMajor(amount),
		State: state, CreatedAt: t0.Add(time.Duration(i) * time.Hour), Outcome: domain.Outcome{Result: outcome}}
}

const (
	ok   = domain.OutcomeWorked
	bad  = domain.OutcomeFailed
	none = ""
)

func TestStreakOf(t *testing.T) {
	appr, decl, pend, auto := domain.StateApproved, domain.StateDeclined, domain.StatePending, domain.StateAutonomous
	limit := money.FromMajor(500)
	tests := []struct {
		name    string
		ds      []*domain.Decision
		since   time.Time
		count   int
		held    int
		largest int64
		ids     []string
	}{
		{"three approved that worked", []*domain.Decision{dec(0, 600, appr, ok), dec(1, 900, appr, ok), dec(2, 700, appr, ok)},
			time.Time{}, 3, 0, 900, []string{"D-A", "D-B", "D-C"}},
		{"a decline breaks it: only what came after counts", []*domain.Decision{dec(0, 600, appr, ok), dec(1, 900, decl, none), dec(2, 700, appr, ok)},
			time.Time{}, 1, 0, 700, []string{"D-C"}},
		{"a failure breaks it", []*domain.Decision{dec(0, 600, appr, ok), dec(1, 900, appr, bad), dec(2, 700, appr, ok), dec(3, 800, appr, ok)},
			time.Time{}, 2, 0, 800, []string{"D-C", "D-D"}},
		{"an unknown outcome neither breaks nor extends it", []*domain.Decision{dec(0, 600, appr, ok), dec(1, 900, appr, none), dec(2, 700, appr, ok)},
			time.Time{}, 2, 1, 700, []string{"D-A", "D-C"}},
		{"a pending decision is not known yet", []*domain.Decision{dec(0, 600, appr, ok), dec(1, 900, pend, none)},
			time.Time{}, 1, 1, 600, []string{"D-A"}},
		{"inside the box, other activities and tags inside the limit do not count",
			[]*domain.Decision{dec(0, 600, appr, ok), dec(1, 300, auto, bad), dec(2, 400, appr, bad),
				{ID: "D-X", Activity: "travel-waiver", Amount: money.FromMajor(900), State: decl, CreatedAt: t0.Add(3 * time.Hour)}},
			time.Time{}, 1, 0, 600, []string{"D-A"}},
		{"only decisions after since count", []*domain.Decision{dec(0, 600, appr, ok), dec(1, 900, appr, ok), dec(2, 700, appr, ok)},
			t0.Add(time.Hour), 1, 0, 700, []string{"D-C"}},
		{"the newest n count", []*domain.Decision{dec(0, 2000, appr, ok), dec(1, 600, appr, ok), dec(2, 700, appr, ok), dec(3, 800, appr, ok)},
			time.Time{}, 3, 0, 800, []string{"D-B", "D-C", "D-D"}},
		{"order does not matter", []*domain.Decision{dec(2, 700, appr, ok), dec(0, 600, decl, none), dec(1, 900, appr, ok)},
			time.Time{}, 2, 0, 900, []string{"D-B", "D-C"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := autonomy.StreakOf(tt.ds, "discount", limit, tt.since, 3)
			if s.Count != tt.count || s.Held != tt.held || s.Largest != money.FromMajor(tt.largest) || !slices.Equal(s.Decisions, tt.ids) {
				t.Errorf("StreakOf = count %d, held %d, largest %s, %v; want %d, %d, %d, %v",
					s.Count, s.Held, s.Largest, s.Decisions, tt.count, tt.held, tt.largest, tt.ids)
			}
			if s.Count > 0 && (s.First.After(s.Last) || s.First.IsZero()) {
				t.Errorf("First %s, Last %s: want first ≤ last", s.First, s.Last)
			}
		})
	}
}
