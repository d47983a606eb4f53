package decisions

import (
	"fmt"
	"strings"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// LeadersText names the approvers of d at level by their role, as people
// speak of them: "your team lead, @bob" (whose "your"), "the team lead,
// @bob" (whose "the"), "the team leads, @frank or @gina" (either may
// answer), "the team leads, @frank and @gina" (the level needs both), "2
// of your team leads (@bob, @frank or @gina)"; "the team lead" when it has
// none.
func LeadersText(p *domain.Policy, d *domain.Decision, level int, whose string) string {
	role := domain.RoleName(p.LevelName(level))
	ids := ApproverIDs(p, d, level)
	switch len(ids) {
	case 0:
		return whose + " " + role
	case 1:
		return whose + " " + role + ", " + slacktext.Mentions(ids)
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = slacktext.Mentions([]string{id})
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	switch n := p.ApprovalsNeeded(level); {
	case n > 1 && n >= len(ids):
		list = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	case n > 1:
		return fmt.Sprintf("%d of %s %ss (%s)", n, whose, role, list)
	}
	return whose + " " + role + "s, " + list
}
