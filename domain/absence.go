package domain

import (
	"slices"
	"time"
)

// Absence is a leader's time away (PRODUCT.md "Away and delegates"): until
// the end of its last day, in the leader's zone, what would be routed to
// them goes to the delegate too (or, without one, to the other approvers of
// their level), and they get no reminders or feedback DMs.
type Absence struct {
	// User is the leader who is away.
	User string
	// Delegate is the leader who answers for them; "" for none.
	Delegate string
	// Until is the last day away, "2006-01-02", a date in Zone.
	Until string
	// Zone is the IANA zone Until is a date of (the leader's).
	Zone string
	// Ends is the end of Until in Zone: the leader is away while the time
	// is before it.
	Ends time.Time
	// Since is when the leader said they were away.
	Since time.Time
}

// ActiveAt reports whether the absence still runs at t.
func (a Absence) ActiveAt(t time.Time) bool { return a.User != "" && t.Before(a.Ends) }

// Absences are the leaders away at one moment, by user.
type Absences map[string]Absence

// IsAway reports whether user is away.
func (as Absences) IsAway(user string) bool {
	_, ok := as[user]
	return ok
}

// CoveredBy returns the leaders delegate answers for, sorted.
func (as Absences) CoveredBy(delegate string) []string {
	var out []string
	for u, a := range as {
		if delegate != "" && a.Delegate == delegate {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// Leaders returns every approver ID the policy names, at any level, of the
// top level or of any team, each once, in the policy's order: the people
// who count as leaders (users and user groups).
func (p *Policy) Leaders() []string {
	var out []string
	add := func(ids []string) {
		for _, id := range ids {
			if id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	for _, l := range p.Levels {
		add(l.Approvers)
	}
	for _, t := range p.Teams {
		for _, l := range p.Levels {
			add(t.Approvers[l.Name])
		}
	}
	return out
}
