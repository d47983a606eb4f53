package box

import (
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// Limits of a person's own (earned autonomy).

// OwnLimit is the limit pl gives its person for act under p, and whether p
// caps it: the raise was capped by its level's limit (pl.Level, else the
// first level) and still is, so a policy that lowers that level's limit
// below pl caps pl there. It is never below the activity's frontline
// limit; a limit in another currency than act's, or of another activity,
// gives nothing of its own.
func OwnLimit(p *domain.Policy, act domain.Activity, pl *domain.PersonalLimit) (limit money.Amount, capped bool) {
	limit = act.FrontlineLimit
	if pl == nil || pl.Activity != act.Name || pl.Currency != p.CurrencyOf(act) || pl.Amount <= limit {
		return limit, false
	}
	amt := pl.Amount
	if c, ok := CapOf(p, act, pl.Level); ok && c < amt {
		amt, capped = c, true
	}
	return max(amt, limit), capped
}

// CapOf is the highest limit of its own a raise by an approver of the level
// called level may give for act: that level's limit (the first level's
// when no level has that name), and false when the level has no limit for
// act.
func CapOf(p *domain.Policy, act domain.Activity, level string) (money.Amount, bool) {
	i := p.LevelIndex(level)
	if i < 0 {
		i = 0
	}
	if i >= len(p.Levels) {
		return 0, false
	}
	c, ok := act.LevelLimits[p.Levels[i].Name]
	return c, ok
}

// LimitsFor returns the box of every activity for a person with limits of
// their own (nil for none): Frontline is then their own limit as OwnLimit
// gives it, with the raise and whether the policy caps it.
func LimitsFor(p *domain.Policy, own domain.PersonalLimits) []ActivityLimits {
	out := AllLimits(p)
	for i := range out {
		pl, ok := own[out[i].Activity]
		if !ok {
			continue
		}
		act, _ := p.Activity(out[i].Activity)
		limit, capped := OwnLimit(p, act, &pl)
		if limit == act.FrontlineLimit && !capped {
			continue // the policy's box is as large as the raise now
		}
		out[i].Frontline, out[i].Capped = limit, capped
		out[i].Own = &pl
	}
	return out
}
