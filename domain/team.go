package domain

import (
	"slices"
	"sync/atomic"
	"time"
)

// Team is one team of the organisation: its front-line people, who approves
// for it at each level, and where its cards and digest go. The levels
// themselves (names, order, limits, respond_within) are the policy's.
type Team struct {
	Name string
	// Members are user (U…/W…) and user group (S…) IDs; they count as
	// frontline.
	Members []string
	// Approvers maps a level name to the team's approvers at that level. A
	// level missing here uses the top-level approvers (a shared director).
	Approvers map[string][]string
	// Channels override the top-level escalations and leaders channels;
	// empty fields use the top-level ones.
	Channels TeamChannels
}

// TeamChannels are a team's own channels.
type TeamChannels struct {
	Escalations string
	Leaders     string
}

// Team returns the team called name. The empty name, or a name the policy
// no longer has, gives false: callers then use the top-level chain.
func (p *Policy) Team(name string) (*Team, bool) {
	if name == "" {
		return nil, false
	}
	for i := range p.Teams {
		if p.Teams[i].Name == name {
			return &p.Teams[i], true
		}
	}
	return nil, false
}

// ApproversOf returns who approves at level i for team: the team's own
// approvers for that level name, or else the top-level approvers. An unknown
// or empty team uses the top-level approvers.
func (p *Policy) ApproversOf(team string, i int) []string {
	if i < 0 || i >= len(p.Levels) {
		return nil
	}
	if t, ok := p.Team(team); ok {
		if a, ok := t.Approvers[p.Levels[i].Name]; ok {
			return a
		}
	}
	return p.Levels[i].Approvers
}

// EscalationsChannel is where team's escalation cards go.
func (p *Policy) EscalationsChannel(team string) string {
	if t, ok := p.Team(team); ok && t.Channels.Escalations != "" {
		return t.Channels.Escalations
	}
	return p.Channels.Escalations
}

// LeadersChannel is where team's feedback answers and digest go; the
// top-level channel for no team.
func (p *Policy) LeadersChannel(team string) string {
	if t, ok := p.Team(team); ok && t.Channels.Leaders != "" {
		return t.Channels.Leaders
	}
	return p.Channels.Leaders
}

// ApprovalsNeeded is how many distinct approvers level i needs (at least 1).
func (p *Policy) ApprovalsNeeded(i int) int {
	if i >= 0 && i < len(p.Levels) && p.Levels[i].ApprovalsNeeded > 1 {
		return p.Levels[i].ApprovalsNeeded
	}
	return 1
}

// RemindAfter is when level i's approvers are reminded; zero for none.
func (p *Policy) RemindAfter(i int) time.Duration {
	if i >= 0 && i < len(p.Levels) {
		return p.Levels[i].RemindAfter
	}
	return 0
}

// IsWorkingDay reports whether daily nudges go out on d (Monday to Friday
// when the policy names no working days).
func (p *Policy) IsWorkingDay(d time.Weekday) bool {
	if len(p.WorkingDays) == 0 {
		return d != time.Saturday && d != time.Sunday
	}
	return slices.Contains(p.WorkingDays, d)
}

// IsAdmin reports whether user is one of the policy's admins (users only).
func (p *Policy) IsAdmin(user string) bool {
	return user != "" && slices.Contains(p.Admins, user)
}

// Policies holds the policy in force, so that a reload (SIGHUP) applies to
// what comes next. Read it once per operation: one command or click sees
// one policy from start to end. The zero value holds nothing.
type Policies struct {
	p atomic.Pointer[Policy]
}

// NewPolicies returns a holder of p.
func NewPolicies(p *Policy) *Policies {
	h := &Policies{}
	h.p.Store(p)
	return h
}

// Current returns the policy in force.
func (h *Policies) Current() *Policy { return h.p.Load() }

// Set makes p the policy in force for what comes next.
func (h *Policies) Set(p *Policy) { h.p.Store(p) }
