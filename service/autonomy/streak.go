package autonomy

import (
	"slices"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// Streak is a run of one person's decisions of one activity above their
// box that were approved and worked, the newest ones first counted.
type Streak struct {
	// Count is how many decisions qualify (at most the n asked for).
	Count int
	// Largest is the largest amount among them.
	Largest money.Amount
	// First and Last are when the oldest and newest of them were logged.
	First, Last time.Time
	// Decisions are their IDs, oldest first.
	Decisions []string
	// Held counts the decisions passed over on the way because their
	// outcome is not known yet (pending, or approved with no outcome
	// told): they neither break nor extend the streak until it is.
	Held int
}

// StreakOf counts the streak of ds (one person's decisions, in any order)
// for activity, above limit (their box now), logged after since (zero:
// all), newest first, up to n qualifying decisions: an approved decision
// that worked extends it; a declined one, or an approved one that did not
// work, ends it; a decision whose outcome is not known yet is passed over.
// Decisions of other activities, at or below limit (inside the box, or
// above it only for a tag), or logged at or before since do not count.
func StreakOf(ds []*domain.Decision, activity string, limit money.Amount, since time.Time, n int) Streak {
	sorted := slices.Clone(ds)
	slices.SortStableFunc(sorted, func(a, b *domain.Decision) int { return b.CreatedAt.Compare(a.CreatedAt) })
	var s Streak
	for _, d := range sorted {
		if s.Count >= n {
			break
		}
		if d.Activity != activity || d.Amount <= limit || !d.CreatedAt.After(since) || d.State == domain.StateAutonomous {
			continue
		}
		if d.State == domain.StateDeclined || (d.State == domain.StateApproved && d.Outcome.Result == domain.OutcomeFailed) {
			break
		}
		if d.State != domain.StateApproved || d.Outcome.Result != domain.OutcomeWorked {
			s.Held++
			continue
		}
		s.Count++
		s.Largest = max(s.Largest, d.Amount)
		if s.Last.IsZero() {
			s.Last = d.CreatedAt
		}
		s.First = d.CreatedAt
		s.Decisions = append(s.Decisions, d.ID)
	}
	slices.Reverse(s.Decisions)
	return s
}
