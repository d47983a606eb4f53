package box

import (
	"errors"
	"fmt"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// Route is where a decision goes.
type Route struct {
	// Autonomous is true inside the box: the decision is the person's own.
	Autonomous bool
	// Level is the index in Policy.Levels of the level that must answer; -1
	// when Autonomous.
	Level int
	// ExceedsAll is set when the amount is above every level's limit for the
	// activity, so it goes to the top level.
	ExceedsAll bool
	// Reasons say, for people, why it left the box: "$900 is above your $500
	// box", "tagged #safety". Empty when Autonomous.
	Reasons []string
}

// Decide applies the rules of the box to a decision about activity for
// amount with tags (lower-case, without "#").
//
// Up to and including the activity's frontline_limit, with no
// always_escalate tag, the decision is autonomous. Above it, it goes to the
// lowest level whose limit for the activity covers the amount (a level with
// no limit of its own for the activity covers any amount); an
// always_escalate tag routes it at least to the tag's level, also inside the
// limit. An amount above every level's limit goes to the top level with
// ExceedsAll set.
//
// An unknown activity is an *InputError; a non-positive amount or a policy
// without levels, when one is needed, is an error.
func Decide(p *domain.Policy, activity string, amount money.Amount, tags []string) (Route, error) {
	return DecideFor(p, activity, amount, tags, nil)
}

// DecideFor is Decide for a person with limits of their own (earned
// autonomy, nil for none): up to their own limit for the activity (as
// OwnLimit caps it under p) the decision is inside their box.
func DecideFor(p *domain.Policy, activity string, amount money.Amount, tags []string, own domain.PersonalLimits) (Route, error) {
	act, ok := p.Activity(activity)
	if !ok {
		return Route{}, unknownActivity(p, activity)
	}
	if amount <= 0 {
		return Route{}, fmt.Errorf("decide %s: amount %d is not positive", activity, amount)
	}
	cur := p.CurrencyOf(act)
	r := Route{Level: -1}
	limit := act.FrontlineLimit
	if pl, ok := own[act.Name]; ok {
		limit, _ = OwnLimit(p, act, &pl)
	}

	if amount > limit {
		if len(p.Levels) == 0 {
			return Route{}, errors.New("decide: the policy has no levels to escalate to")
		}
		lvl := amountLevel(p, act, amount)
		if lvl < 0 {
			top := len(p.Levels) - 1
			r.Level, r.ExceedsAll = top, true
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s is above every limit, so it goes to the top (%s)",
				amount.Format(cur), p.Levels[top].Name))
		} else {
			r.Level = lvl
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s is above your %s box",
				amount.Format(cur), limit.Format(cur)))
		}
	}
	for _, t := range dedupe(tags) {
		name, ok := p.AlwaysEscalate[t]
		if !ok {
			continue
		}
		lvl := p.LevelIndex(name)
		if lvl < 0 {
			continue // the policy loader rejects this; be safe anyway
		}
		r.Level = max(r.Level, lvl)
		r.Reasons = append(r.Reasons, "tagged #"+t)
	}
	r.Autonomous = r.Level < 0
	return r, nil
}

// amountLevel returns the lowest level whose limit for act covers amount,
// or -1 when none does.
func amountLevel(p *domain.Policy, act domain.Activity, amount money.Amount) int {
	for i, l := range p.Levels {
		if covers(act, l.Name, amount) {
			return i
		}
	}
	return -1
}

// covers reports whether the level called level may approve amount of act:
// its limit is at least amount, or it has no limit for act.
func covers(act domain.Activity, level string, amount money.Amount) bool {
	limit, ok := act.LevelLimits[level]
	return !ok || amount <= limit
}

// MayAct reports whether an approver of level actorLevel may answer
// (approve, escalate, decline) a decision about activity for amount that
// waits at level currentLevel: approvers of the current level always may
// (the top level too, when it was routed there above every limit);
// approvers of a higher level may when their level's limit covers the
// amount (a level with no limit for the activity covers any amount). Lower
// levels never may. Group membership is resolved by the caller.
func MayAct(p *domain.Policy, activity string, amount money.Amount, currentLevel, actorLevel int) bool {
	n := len(p.Levels)
	if currentLevel < 0 || currentLevel >= n || actorLevel < 0 || actorLevel >= n {
		return false
	}
	if actorLevel == currentLevel {
		return true
	}
	if actorLevel < currentLevel {
		return false
	}
	act, _ := p.Activity(activity) // an activity no longer in the policy has no limits
	return covers(act, p.Levels[actorLevel].Name, amount)
}

// ActingLevels returns, lowest first, the levels whose approvers may answer
// a decision about activity for amount waiting at currentLevel (see MayAct).
func ActingLevels(p *domain.Policy, activity string, amount money.Amount, currentLevel int) []int {
	var out []int
	for l := range p.Levels {
		if MayAct(p, activity, amount, currentLevel, l) {
			out = append(out, l)
		}
	}
	return out
}

// dedupe returns tags without repeats, in their first order.
func dedupe(tags []string) []string {
	seen := make(map[string]bool, len(tags))
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
