package sandbox

import (
	_ "embed"
	"slices"
	"strings"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
)

// SamplePolicy is the built-in policy used when POLICY_FILE is not set.
//
//go:embed sample-policy.yaml
var SamplePolicy []byte

// Person is someone the page lets you be.
type Person struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	// Role says what the policy makes of them: "front line", "team-lead
	// approver", …
	Role string `json:"role"`
}

// Room is a channel of the sidebar.
type Room struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Purpose is what the policy uses it for ("praise", "escalations",
	// "leaders"), or "".
	Purpose string `json:"purpose,omitempty"`
}

// known people and groups of the sample policy, in their own time zones;
// any other ID a policy names gets a name derived from the ID and the
// policy's zone.
var knownPeople = map[string]slackemu.User{
	"U0ALICE": {ID: "U0ALICE", Name: "alice", RealName: "Alice Adams", TZ: "America/Chicago"},
	"U0DAVE":  {ID: "U0DAVE", Name: "dave", RealName: "Dave Diaz", TZ: "America/Chicago"},
	"U0BOB":   {ID: "U0BOB", Name: "bob", RealName: "Bob Brown", TZ: "America/Chicago"},
	"U0ERIN":  {ID: "U0ERIN", Name: "erin", RealName: "Erin Evans", TZ: "Europe/London"},
	"U0FRANK": {ID: "U0FRANK", Name: "frank", RealName: "Frank Fischer", TZ: "Europe/London"},
	"U0GRACE": {ID: "U0GRACE", Name: "grace", RealName: "Grace Green", TZ: "Europe/London"},
	"U0CAROL": {ID: "U0CAROL", Name: "carol", RealName: "Carol Chen", TZ: "America/Chicago"},
	"U0HEIDI": {ID: "U0HEIDI", Name: "heidi", RealName: "Heidi Hill", TZ: "America/New_York"},
}

var knownGroups = map[string]slackemu.UserGroup{
	"S0FRONTLINE": {ID: "S0FRONTLINE", Handle: "frontline", Name: "Front line", Users: []string{"U0ALICE", "U0DAVE"}},
	"S0NORTH":     {ID: "S0NORTH", Handle: "north", Name: "North team", Users: []string{"U0ALICE", "U0DAVE"}},
}

// Default channel IDs of the sample's channels, and #general.
const generalID = "C0GENERAL"

// directory is the workspace the emulator is seeded with.
type directory struct {
	people []Person
	users  []slackemu.User
	groups []slackemu.UserGroup
	rooms  []Room
}

// nameFromID makes a handle from a Slack ID: "U0ALICE" -> "alice".
func nameFromID(id string) string {
	n := strings.ToLower(id)
	n = strings.TrimLeft(n[1:], "0")
	if n == "" {
		return strings.ToLower(id)
	}
	return n
}

// buildDirectory derives people, groups and channels from the policy: every
// user and group it names, its three channels and #general.
func buildDirectory(p *domain.Policy, tz string) directory {
	var d directory
	roles := map[string][]string{}
	var order []string
	addUser := func(id, role string) {
		if _, ok := roles[id]; !ok {
			order = append(order, id)
		}
		if role != "" && !slices.Contains(roles[id], role) {
			roles[id] = append(roles[id], role)
		}
	}
	groupSeen := map[string]bool{}
	addPrincipal := func(id, role string) {
		if !strings.HasPrefix(id, "S") {
			addUser(id, role)
			return
		}
		g, ok := knownGroups[id]
		if !ok {
			g = slackemu.UserGroup{ID: id, Handle: nameFromID(id), Name: nameFromID(id)}
		}
		if !groupSeen[id] {
			groupSeen[id] = true
			d.groups = append(d.groups, g)
		}
		for _, u := range g.Users {
			addUser(u, role)
		}
	}
	teamOf := map[string]string{}
	for _, t := range p.Teams {
		for _, id := range t.Members {
			teamOf[id] = t.Name
		}
	}
	for _, id := range p.Frontline {
		role := "front line"
		if team, ok := teamOf[id]; ok {
			role = "front line (" + team + ")"
		}
		addPrincipal(id, role)
	}
	for i, l := range p.Levels {
		if len(p.Teams) == 0 {
			for _, id := range l.Approvers {
				addPrincipal(id, domain.RoleName(l.Name))
			}
			continue
		}
		// Who approves where: a team's own approvers are named with the
		// team; the top-level ones approve for the teams that keep them.
		shared := false
		for _, t := range p.Teams {
			if own, ok := t.Approvers[l.Name]; ok {
				for _, id := range own {
					addPrincipal(id, domain.RoleName(l.Name)+" ("+t.Name+")")
				}
			} else {
				shared = true
			}
		}
		if shared {
			for _, id := range p.LevelApprovers(i) {
				addPrincipal(id, domain.RoleName(l.Name))
			}
		}
	}
	for _, id := range order {
		u, ok := knownPeople[id]
		if !ok {
			n := nameFromID(id)
			u = slackemu.User{ID: id, Name: n, RealName: strings.ToUpper(n[:1]) + n[1:]}
		}
		if u.TZ == "" {
			u.TZ = tz
		}
		d.users = append(d.users, u)
		d.people = append(d.people, Person{ID: u.ID, Name: u.Name, RealName: u.RealName, Role: strings.Join(roles[id], ", ")})
	}
	seen := map[string]bool{}
	addRoom := func(id, name, purpose string) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		d.rooms = append(d.rooms, Room{ID: id, Name: name, Purpose: purpose})
	}
	addRoom(p.Channels.Praise, "praise", "praise")
	addRoom(p.Channels.Escalations, "escalations", "escalations")
	addRoom(p.Channels.Leaders, "leaders", "leaders")
	for _, t := range p.Teams {
		addRoom(t.Channels.Escalations, nameFromTeam(t.Name)+"-escalations", "escalations ("+t.Name+")")
		addRoom(t.Channels.Leaders, nameFromTeam(t.Name)+"-leaders", "leaders ("+t.Name+")")
	}
	addRoom(generalID, "general", "")
	return d
}

// nameFromTeam makes a channel name from a team's name: "North East" ->
// "north-east".
func nameFromTeam(team string) string {
	return strings.Join(strings.Fields(strings.ToLower(team)), "-")
}
