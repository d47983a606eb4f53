package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/empowerbot/empowerbot/domain"
)

// teamNodes is a team as read, with the nodes its later checks report at.
type teamNodes struct {
	name string
	path string
	// approvers are the nodes of the team's approvers by level name.
	approvers map[string]*yaml.Node
}

// member is where a team member was first listed.
type member struct {
	team string
	node *yaml.Node
}

func (p *parser) teams(f field, pol *domain.Policy) {
	items, ok := p.list(f.val, "teams")
	if !ok {
		return
	}
	seen := map[string]*yaml.Node{} // team names, folded
	members := map[string]member{}  // member ID -> its first team
	for i, it := range items {
		t, nodes, ok := p.team(it, i, pol, seen, members)
		if ok {
			pol.Teams = append(pol.Teams, t)
			p.teamsRead = append(p.teamsRead, nodes)
		}
	}
	// Team members count as frontline (PRODUCT.md "teams"). A member is in
	// one team only, so only the file's frontline can repeat them.
	listed := make(map[string]bool, len(pol.Frontline))
	for _, id := range pol.Frontline {
		listed[id] = true
	}
	for _, t := range pol.Teams {
		for _, id := range t.Members {
			if !listed[id] {
				listed[id] = true
				pol.Frontline = append(pol.Frontline, id)
			}
		}
	}
}

func (p *parser) team(n *yaml.Node, i int, pol *domain.Policy, seen map[string]*yaml.Node, members map[string]member) (domain.Team, teamNodes, bool) {
	path := fmt.Sprintf("teams[%d]", i)
	m, ok := p.mapping(n, path, "name", "members", "approvers", "channels")
	if !ok {
		return domain.Team{}, teamNodes{}, false
	}
	t := domain.Team{Approvers: map[string][]string{}}
	good := true
	t.Name, ok = p.teamName(n, m, path, seen)
	if ok {
		path = fmt.Sprintf("teams[%d] (%s)", i, t.Name)
	} else {
		good = false
	}
	if mf, ok := p.need(n, m, "members", path+".members", "is required (the team's front-line users and user groups)"); ok {
		t.Members = p.teamMembers(mf, path, t.Name, members)
	} else {
		good = false
	}
	nodes := teamNodes{name: t.Name, path: path, approvers: map[string]*yaml.Node{}}
	if af := m["approvers"]; af.set() {
		p.teamApprovers(af, path, pol, &t, nodes.approvers)
	}
	if cf := m["channels"]; cf.set() {
		t.Channels = p.teamChannels(cf, path)
	}
	return t, nodes, good
}

// teamName reads a team's name: required, short, printable and not the
// name of an earlier team (whatever its case).
func (p *parser) teamName(n *yaml.Node, m map[string]field, path string, seen map[string]*yaml.Node) (string, bool) {
	nf, ok := m["name"]
	if !ok || !nf.set() {
		p.addf(n, "%s.name: is required", path)
		return "", false
	}
	name, ok := p.str(nf, path+".name")
	switch {
	case !ok:
		return "", false
	case name == "":
		p.addf(nf.val, "%s.name: is empty", path)
		return "", false
	case utf8.RuneCountInString(name) > maxTeamNameRunes:
		p.addf(nf.val, "%s.name: is longer than %d characters", path, maxTeamNameRunes)
		return "", false
	case strings.ContainsFunc(name, unicode.IsControl):
		p.addf(nf.val, "%s.name: must be one line of text", path)
		return "", false
	}
	key := strings.ToLower(name)
	if prev, dup := seen[key]; dup {
		p.addf(nf.val, "%s.name: duplicate team %q (first at line %d)", path, name, prev.Line)
		return "", false
	}
	seen[key] = nf.val
	return name, true
}

// teamMembers reads a team's members. Someone already in an earlier team
// stays there: a warning names both lines and the member is left out here.
func (p *parser) teamMembers(f field, path, team string, members map[string]member) []string {
	ids := p.principals(f, path+".members", "must list at least one user or user group")
	items, _ := p.list(f.val, path+".members")
	nodes := map[string]*yaml.Node{}
	for _, it := range items {
		if it = resolve(it); it.Kind == yaml.ScalarNode {
			if _, ok := nodes[strings.TrimSpace(it.Value)]; !ok {
				nodes[strings.TrimSpace(it.Value)] = it
			}
		}
	}
	var out []string
	for _, id := range ids {
		at := nodes[id]
		if first, dup := members[id]; dup {
			if first.team != team {
				p.warnf(at, "%s.members: %s is also a member of team %s (line %d); a person belongs to the first team, so %s stays in %s",
					path, id, first.team, first.node.Line, id, first.team)
			}
			continue
		}
		members[id] = member{team: team, node: at}
		out = append(out, id)
	}
	return out
}

// teamApprovers reads a team's approvers by level name into t.Approvers,
// and the node of each into nodes.
func (p *parser) teamApprovers(f field, path string, pol *domain.Policy, t *domain.Team, nodes map[string]*yaml.Node) {
	am, ok := p.mapping(f.val, path+".approvers")
	if !ok {
		return
	}
	for _, kv := range orderedFields(am) {
		level := kv.key.Value
		lpath := path + ".approvers." + level
		if pol.LevelIndex(level) < 0 {
			p.addf(kv.key, "%s: unknown level %q (levels: %s)", lpath, level, strings.Join(levelNames(pol), ", "))
			continue
		}
		if !kv.set() {
			p.addf(kv.key, "%s: must list at least one approver (or leave the level out for the top-level approvers)", lpath)
			continue
		}
		ids := p.principals(kv, lpath, "must list at least one approver (or leave the level out for the top-level approvers)")
		if len(ids) > 0 {
			t.Approvers[level] = ids
			nodes[level] = kv.val
		}
	}
}

func (p *parser) teamChannels(f field, path string) domain.TeamChannels {
	var c domain.TeamChannels
	cm, ok := p.mapping(f.val, path+".channels", "escalations", "leaders")
	if !ok {
		return c
	}
	for _, ch := range []struct {
		name string
		dst  *string
	}{{"escalations", &c.Escalations}, {"leaders", &c.Leaders}} {
		if cf := cm[ch.name]; cf.set() {
			p.channelID(cf, path+".channels."+ch.name, ch.dst)
		}
	}
	return c
}

// approvalsReachable checks every level's approvals_needed against the
// distinct approvers who could ever answer there: the plain users of that
// level and the levels above, at the top level and for each team. A user
// group among them could hold anyone, so it never fails the check.
func (p *parser) approvalsReachable(pol *domain.Policy) {
	if len(p.levelFields) != len(pol.Levels) {
		return // a level was wrong; its problem is reported
	}
	for i, l := range pol.Levels {
		if l.ApprovalsNeeded <= 1 {
			continue
		}
		at := p.levelFields[i]["approvals_needed"].val
		path := fmt.Sprintf("levels[%d].approvals_needed", i)
		top := reachable(pol, "", i)
		if top != nil && len(top) < l.ApprovalsNeeded {
			p.addf(at, "%s: %d approvals can never be reached: only %s at %s or above",
				path, l.ApprovalsNeeded, approverList(top), l.Name)
		}
		for _, t := range p.teamsRead {
			if !overridesFrom(pol, t, i) {
				continue // the team uses the top-level approvers from here up
			}
			ids := reachable(pol, t.name, i)
			if ids == nil || len(ids) >= l.ApprovalsNeeded {
				continue
			}
			where := at
			if n, ok := t.approvers[l.Name]; ok {
				where = n
			}
			p.addf(where, "%s: %d approvals can never be reached for team %s: only %s at %s or above",
				path, l.ApprovalsNeeded, t.name, approverList(ids), l.Name)
		}
	}
}

// overridesFrom reports whether team t names its own approvers for level i
// or a level above.
func overridesFrom(pol *domain.Policy, t teamNodes, i int) bool {
	for _, l := range pol.Levels[i:] {
		if _, ok := t.approvers[l.Name]; ok {
			return true
		}
	}
	return false
}

// reachable returns the distinct users who approve for team at level i or
// above; nil when a user group is among them (no bound).
func reachable(pol *domain.Policy, team string, i int) []string {
	ids := []string{}
	for j := i; j < len(pol.Levels); j++ {
		for _, id := range pol.ApproversOf(team, j) {
			if groupRE.MatchString(id) {
				return nil
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// approverList words who approves: "1 approver (U1) approves", "2
// approvers (U1, U2) approve".
func approverList(ids []string) string {
	if len(ids) == 1 {
		return fmt.Sprintf("1 approver (%s) approves", ids[0])
	}
	return fmt.Sprintf("%d approvers (%s) approve", len(ids), strings.Join(ids, ", "))
}

func (p *parser) localTime(f field, pol *domain.Policy) {
	pol.LocalTime = p.boolean(f, "local_time", false)
}

// weekdays are the names working_days accepts, lowercased.
var weekdays = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
}

func (p *parser) workingDays(f field, pol *domain.Policy) {
	seen := map[time.Weekday]*yaml.Node{}
	var days []time.Weekday
	for i, it := range p.nonEmptyList(f, "working_days", "day (or leave it out for MON to FRI)") {
		path := fmt.Sprintf("working_days[%d]", i)
		s, ok := p.scalar(it, path)
		if !ok {
			continue
		}
		d, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]
		if !ok {
			p.addf(it, "%s: %q is not a day of the week (use MON, TUE, WED, THU, FRI, SAT, SUN)", path, s)
			continue
		}
		if prev, dup := seen[d]; dup {
			p.addf(it, "%s: %s is listed twice (first at line %d)", path, strings.TrimSpace(s), prev.Line)
			continue
		}
		seen[d] = it
		days = append(days, d)
	}
	if len(days) > 0 {
		pol.WorkingDays = days
	}
}

func (p *parser) autonomy(f field, pol *domain.Policy) {
	m, ok := p.mapping(f.val, "autonomy", "propose_after")
	if !ok {
		return
	}
	if pf, ok := p.need(f.key, m, "propose_after", "autonomy.propose_after",
		"is required (how many approved decisions in a row earn a bigger box, like 5)"); ok {
		pol.Autonomy.ProposeAfter = p.positiveInt(pf, "autonomy.propose_after", 0)
	}
}

func (p *parser) retention(f field, pol *domain.Policy) {
	pol.Retention = p.duration(f, "retention", 0)
}
