package domain

import "time"

// Outcomes of a decision, as its requester tells them.
const (
	OutcomeWorked = "worked"
	OutcomeFailed = "failed"
)

// Outcome is how an autonomous or approved decision turned out.
type Outcome struct {
	// Result is OutcomeWorked, OutcomeFailed or "" (not recorded yet).
	Result string
	// At is when it was recorded.
	At time.Time
	// Note is the requester's note ("" for none).
	Note string
}
