package commitments

import (
	"context"
	"sort"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
)

// listLimit is how many of a person's commitments of each side are read.
const listLimit = 200

// Status is where a commitment stands, as people see it.
type Status string

// The statuses of a commitment.
const (
	StatusAsked    Status = "asked"
	StatusOpen     Status = "open"
	StatusDueSoon  Status = "due soon"
	StatusOverdue  Status = "overdue"
	StatusDone     Status = "done"
	StatusDeclined Status = "declined"
)

// Item is one commitment of a List, with its status.
type Item struct {
	*domain.CommitmentRecord
	Status Status
}

// List is a person's commitments: those they made and those made to them
// (`/empower commitments`, the App Home).
type List struct {
	// User is whose list it is.
	User string
	// today is the policy timezone's date the list was made on.
	Today dates.Date
	// Open holds the open commitments and the asks, soonest due first (an
	// ask after the commitments due on the date it asks for, one without a
	// date last), then oldest first.
	Open []Item
	// Closed holds the done ones and the declined asks, most recently
	// closed first.
	Closed []Item
}

// List returns user's commitments, each once, with their status now.
func (s *Service) List(ctx context.Context, team, user string) (*List, error) {
	byMe, toMe, err := s.store.CommitmentsOf(ctx, team, user, listLimit)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	loc := s.zoneOf(ctx, team, user) // their today, with local_time
	l := &List{User: user, Today: dates.Of(now.In(loc))}
	seen := map[string]bool{}
	for _, c := range append(append([]*domain.CommitmentRecord{}, byMe...), toMe...) {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		it := Item{CommitmentRecord: c, Status: statusAt(c, now, loc, s.policy().Commitments.RemindBefore)}
		switch c.State {
		case domain.CommitmentOpen, domain.CommitmentAsked:
			l.Open = append(l.Open, it)
		default:
			l.Closed = append(l.Closed, it)
		}
	}
	dueKey := func(c *domain.CommitmentRecord) string {
		switch {
		case c.Due != "":
			return c.Due
		case c.AskedDue != "":
			return c.AskedDue + "~" // asks after commitments of the same date
		}
		return "9999"
	}
	sort.SliceStable(l.Open, func(i, j int) bool {
		ki, kj := dueKey(l.Open[i].CommitmentRecord), dueKey(l.Open[j].CommitmentRecord)
		if ki != kj {
			return ki < kj
		}
		return l.Open[i].CreatedAt.Before(l.Open[j].CreatedAt)
	})
	sort.SliceStable(l.Closed, func(i, j int) bool { return l.Closed[i].ClosedAt.After(l.Closed[j].ClosedAt) })
	return l, nil
}

// statusAt returns c's status at now: open, due soon (its due date starts
// within remindBefore, or is today), overdue (its due date has passed),
// done, asked or declined.
func statusAt(c *domain.CommitmentRecord, now time.Time, loc *time.Location, remindBefore time.Duration) Status {
	switch c.State {
	case domain.CommitmentDone:
		return StatusDone
	case domain.CommitmentDeclined:
		return StatusDeclined
	case domain.CommitmentAsked:
		return StatusAsked
	}
	due, err := dates.ParseISO(c.Due)
	if err != nil {
		return StatusOpen
	}
	today := dates.Of(now.In(loc))
	switch {
	case due.Before(today):
		return StatusOverdue
	case !due.After(today) || !due.In(loc).After(now.Add(remindBefore)):
		return StatusDueSoon
	}
	return StatusOpen
}
