package box

import (
	"slices"
	"strings"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// ActivityLimits is one activity's box, as `/empower box` shows it.
type ActivityLimits struct {
	Activity string
	Summary  string
	// Currency is the code the amounts are written in.
	Currency string
	// Frontline is the person's own limit: decided alone up to and including it.
	Frontline money.Amount
	// Policy is the activity's frontline limit in the policy.
	Policy money.Amount
	// Own is the limit the person earned for the activity (LimitsFor), nil
	// for none; Capped is set when the policy caps it below Own.Amount, at
	// Frontline.
	Own    *domain.PersonalLimit
	Capped bool
	// Levels are who approves above it, lowest first.
	Levels []LevelLimit
}

// LevelLimit is what one level of the chain may approve for an activity.
type LevelLimit struct {
	// Level is the index in Policy.Levels.
	Level     int
	Name      string
	Approvers []string
	// Limit is the highest amount the level may approve; meaningless when
	// NoLimit.
	Limit money.Amount
	// NoLimit is set when the policy gives the level no limit for the
	// activity: it may approve any amount routed to it.
	NoLimit bool
}

// TagRule is an always_escalate tag and the lowest level that may clear it.
type TagRule struct {
	Tag       string
	Level     int
	LevelName string
}

// Limits returns the box of activity and whether the activity exists.
func Limits(p *domain.Policy, activity string) (ActivityLimits, bool) {
	act, ok := p.Activity(activity)
	if !ok {
		return ActivityLimits{}, false
	}
	al := ActivityLimits{
		Activity:  act.Name,
		Summary:   act.Summary,
		Currency:  p.CurrencyOf(act),
		Frontline: act.FrontlineLimit,
		Policy:    act.FrontlineLimit,
		Levels:    make([]LevelLimit, 0, len(p.Levels)),
	}
	for i, l := range p.Levels {
		limit, has := act.LevelLimits[l.Name]
		al.Levels = append(al.Levels, LevelLimit{
			Level:     i,
			Name:      l.Name,
			Approvers: slices.Clone(l.Approvers),
			Limit:     limit,
			NoLimit:   !has,
		})
	}
	return al, true
}

// AllLimits returns the box of every activity, in the policy's order.
func AllLimits(p *domain.Policy) []ActivityLimits {
	out := make([]ActivityLimits, 0, len(p.Activities))
	for _, a := range p.Activities {
		al, _ := Limits(p, a.Name)
		out = append(out, al)
	}
	return out
}

// EscalationTags returns the always_escalate tags, sorted by tag.
func EscalationTags(p *domain.Policy) []TagRule {
	out := make([]TagRule, 0, len(p.AlwaysEscalate))
	for tag, name := range p.AlwaysEscalate {
		out = append(out, TagRule{Tag: tag, Level: p.LevelIndex(name), LevelName: name})
	}
	slices.SortFunc(out, func(a, b TagRule) int { return strings.Compare(a.Tag, b.Tag) })
	return out
}

// AllowedTags returns the tags a decision may carry: the policy's values,
// then the always_escalate tags (sorted), lower-case and without repeats.
func AllowedTags(p *domain.Policy) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, v := range p.Values {
		add(v)
	}
	for _, r := range EscalationTags(p) {
		add(r.Tag)
	}
	return out
}
