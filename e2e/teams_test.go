package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
)

// The people and channels of the two-team organisation (on top of
// apptest's): north is S0NORTH (alice, ivy) and erin, led by frank, with
// its own escalations channel; south is S0SOUTH (ivy, joe), led by gina;
// carol is the shared manager; dave is in no team (bob, the top-level
// team-lead, answers him).
const (
	frank     = "U0FRANK"
	gina      = "U0GINA"
	ivy       = "U0IVY"
	joe       = "U0JOE"
	northGrp  = "S0NORTH"
	southGrp  = "S0SOUTH"
	northEsc  = "C0NORTHESC"
	teamLead  = "team-lead"
	northTeam = "north"
	southTeam = "south"
)

// orgTeams are the two teams, north first.
func orgTeams() []domain.Team {
	return []domain.Team{
		{Name: northTeam, Members: []string{northGrp, apptest.Erin},
			Approvers: map[string][]string{teamLead: {frank}}, Channels: domain.TeamChannels{Escalations: northEsc}},
		{Name: southTeam, Members: []string{southGrp}, Approvers: map[string][]string{teamLead: {gina}}},
	}
}

// startOrg starts one replica on apptest's policy with the two teams.
func startOrg(t *testing.T, o apptest.Options) *decisionEnv {
	t.Helper()
	o.NoBot = true
	e := startDecisions(t, o)
	for _, u := range []slackemu.User{{ID: frank, Name: "frank"}, {ID: gina, Name: "gina"}, {ID: ivy, Name: "ivy"}, {ID: joe, Name: "joe"}} {
		e.Emu.AddUser(u)
	}
	e.Emu.AddUserGroup(northGrp, "north", apptest.Alice, ivy)
	e.Emu.AddUserGroup(southGrp, "south", ivy, joe)
	e.Emu.AddChannel(northEsc, "north-escalations")
	e.Policy.Teams = orgTeams()
	e.StartBot()
	return e
}

// cardIn waits for the card of decision id in channel.
func (e *decisionEnv) cardIn(channel, id string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitMessage(e.Ctx(), channel, func(m slackemu.Message) bool {
		return m.ThreadTS == "" && strings.Contains(m.AllText(), id)
	})
	if err != nil {
		e.t.Fatalf("no card for %s in %s: %v\nmessages: %s", id, channel, err, dump(e.Emu.Messages(channel)))
	}
	e.recorded(id, m)
	return m
}

// refused clicks Approve on m as user and waits for the private refusal
// containing want; the decision stays pending.
func (e *decisionEnv) refused(user string, m slackemu.Message, id, want string) {
	e.t.Helper()
	before := len(e.Emu.Ephemerals(user))
	e.click(user, m, "Approve")
	got, err := e.Emu.WaitEphemeral(e.Ctx(), user, func(x slackemu.Message) bool {
		return strings.Contains(x.AllText(), id) && strings.Contains(x.AllText(), want)
	})
	if err != nil || len(e.Emu.Ephemerals(user)) <= before {
		e.t.Fatalf("%s was not refused with %q: %v\nephemerals: %s", user, want, err, dump(e.Emu.Ephemerals(user)))
	}
	_ = got
	if d := e.decision(id); d.State != domain.StatePending {
		e.t.Fatalf("%s's refused click changed %s to %s", user, id, d.State)
	}
}

func TestTeamRouting(t *testing.T) {
	e := startOrg(t, apptest.Options{})

	// Alice is in north through its group: her card goes to north's
	// channel, mentioning frank (not bob), and her reply says so.
	res, aliceID := e.decide(apptest.Alice, "discount 900 for ACME")
	if txt := res.AllText(); !strings.Contains(txt, "<@"+frank+">") || !strings.Contains(txt, "<#"+northEsc+">") || strings.Contains(txt, "<@"+apptest.Bob+">") {
		t.Errorf("alice's reply does not send her to frank in north's channel: %s", txt)
	}
	if d := e.decision(aliceID); d.TeamName != northTeam {
		t.Errorf("alice's decision is of team %q, want north", d.TeamName)
	}
	card := e.cardIn(northEsc, aliceID)
	if txt := card.AllText(); !strings.Contains(txt, "<@"+frank+">") || strings.Contains(txt, "<@"+apptest.Bob+">") || !strings.Contains(txt, "north") {
		t.Errorf("north's card: %s", txt)
	}
	if n := len(e.Emu.Messages(apptest.Escalations)); n != 0 {
		t.Errorf("the top-level escalations channel got %d messages for a north decision", n)
	}
	// Another team's lead, and the top-level lead, are refused with who may
	// answer.
	e.refused(gina, card, aliceID, "This one is from team *north*")
	e.refused(apptest.Bob, card, aliceID, "<@"+frank+">")
	e.click(frank, card, "Approve")
	e.waitDM(apptest.Alice, "<@"+frank+"> approved your")

	// Ivy is in both teams' groups: north, the first in the file.
	_, ivyID := e.decide(ivy, "discount 900 for ACME")
	if d := e.decision(ivyID); d.TeamName != northTeam {
		t.Errorf("ivy (in north and south) is routed to %q, want north", d.TeamName)
	}
	e.cardIn(northEsc, ivyID)

	// Joe is in south: its card goes to the top-level channel (south names
	// none), mentioning gina; frank is refused; carol, the shared manager,
	// approves it.
	_, joeID := e.decide(joe, "discount 900 for ACME")
	joeCard := e.cardIn(apptest.Escalations, joeID)
	if txt := joeCard.AllText(); !strings.Contains(txt, "<@"+gina+">") || strings.Contains(txt, "<@"+frank+">") {
		t.Errorf("south's card: %s", txt)
	}
	e.refused(frank, joeCard, joeID, "This one is from team *south*")
	e.click(apptest.Carol, joeCard, "Approve")
	e.waitDM(joe, "<@"+apptest.Carol+"> approved your")

	// The shared manager approves north's too.
	ivyCard := e.cardIn(northEsc, ivyID)
	e.click(apptest.Carol, ivyCard, "Approve")
	e.waitDM(ivy, "<@"+apptest.Carol+"> approved your")

	// Dave is in no team: the top-level chain, bob in the top-level
	// channel; a team's lead is refused.
	_, daveID := e.decide(apptest.Dave, "discount 900 for ACME")
	if d := e.decision(daveID); d.TeamName != "" {
		t.Errorf("dave (no team) got team %q", d.TeamName)
	}
	daveCard := e.cardIn(apptest.Escalations, daveID)
	if !strings.Contains(daveCard.AllText(), "<@"+apptest.Bob+">") {
		t.Errorf("dave's card does not mention bob: %s", daveCard.AllText())
	}
	e.refused(frank, daveCard, daveID, "Only its leaders")
	e.click(apptest.Bob, daveCard, "Approve")
	e.waitDM(apptest.Dave, "approved your")

	// Alice's box names her team and its lead.
	box := e.Command(apptest.Alice, "box").AllText()
	if !strings.Contains(box, "Your team: *north*") || !strings.Contains(box, "<@"+frank+">") || strings.Contains(box, "<@"+apptest.Bob+">") {
		t.Errorf("alice's box: %s", box)
	}
	box = e.Command(frank, "box").AllText()
	if !strings.Contains(box, "for *north*") {
		t.Errorf("frank's box does not say he answers for north: %s", box)
	}
	// A leader looks at one of their people's box; others may not.
	box = e.Command(frank, "box <@U0ALICE|alice>").AllText()
	if !strings.Contains(box, "<@U0ALICE>'s box") || !strings.Contains(box, "Their team: *north*") || !strings.Contains(box, "theirs up to") {
		t.Errorf("frank looking at alice's box: %s", box)
	}
	if box = e.Command(apptest.Carol, "box <@U0JOE|joe>").AllText(); !strings.Contains(box, "Their team: *south*") {
		t.Errorf("the shared manager looking at joe's box: %s", box)
	}
	for _, who := range []string{gina, apptest.Dave} {
		if got := e.Command(who, "box <@U0ALICE|alice>").AllText(); !strings.Contains(got, "<@U0ALICE>'s box is for them and their leaders to see") {
			t.Errorf("%s looking at alice's box: %s", who, got)
		}
	}
	if got := e.Command(frank, "box <@U0ALICE|alice> everything").AllText(); !strings.Contains(got, "/empower box [<@user> [reset <activity>]]") {
		t.Errorf("box with extra words: %s", got)
	}
	// Each lead's App Home lists only what their team's chain may answer.
	_, northID := e.decide(apptest.Alice, "discount 800 for Initech")
	_, southID := e.decide(joe, "discount 800 for Globex")
	for lead, mine := range map[string][2]string{frank: {northID, southID}, gina: {southID, northID}} {
		if _, err := e.Emu.OpenHome(e.Ctx(), lead); err != nil {
			t.Fatal(err)
		}
		home, err := e.Emu.WaitHome(e.Ctx(), lead, func(v slackemu.View) bool { return strings.Contains(v.AllText(), mine[0]) })
		if err != nil {
			t.Fatalf("%s's Home lacks %s: %v", lead, mine[0], err)
		}
		if strings.Contains(home.AllText(), mine[1]) {
			t.Errorf("%s's Home lists the other team's %s: %s", lead, mine[1], home.AllText())
		}
	}
	if n := e.Emu.CallCount("usergroups.users.list"); n > 3 {
		t.Errorf("usergroups.users.list calls: %d, want one per group at start-up (3)", n)
	}
}

func TestTeamMovesKeepOldDecisionsWhereTheyWere(t *testing.T) {
	e := startOrg(t, apptest.Options{})
	bot := e.Bots()[0]
	ctx := context.Background()

	// A policy reload moves erin from north to south.
	_, before := e.decide(apptest.Erin, "discount 900 for ACME")
	moved := *e.Policy
	moved.Teams = orgTeams()
	moved.Teams[0].Members = []string{northGrp}
	moved.Teams[1].Members = []string{southGrp, apptest.Erin}
	bot.App.Policies.Set(&moved)
	_, after := e.decide(apptest.Erin, "discount 900 for ACME")
	if a, b := e.decision(before), e.decision(after); a.TeamName != northTeam || b.TeamName != southTeam {
		t.Fatalf("teams before and after the move: %q, %q; want north, south", a.TeamName, b.TeamName)
	}
	old := e.cardIn(northEsc, before)
	e.refused(gina, old, before, "This one is from team *north*")
	e.click(frank, old, "Approve")
	e.waitDM(apptest.Erin, "<@"+frank+"> approved your")
	e.refused(frank, e.cardIn(apptest.Escalations, after), after, "This one is from team *south*")

	// A user-group change, once the roster refreshed: ivy leaves north's
	// group, so she is in south from now on.
	_, ivyBefore := e.decide(ivy, "discount 900 for ACME")
	e.Emu.AddUserGroup(northGrp, "north", apptest.Alice)
	if err := bot.App.Roster.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	_, ivyAfter := e.decide(ivy, "discount 900 for ACME")
	if a, b := e.decision(ivyBefore), e.decision(ivyAfter); a.TeamName != northTeam || b.TeamName != southTeam {
		t.Fatalf("ivy's teams before and after the group change: %q, %q; want north, south", a.TeamName, b.TeamName)
	}

	// North leaves the policy: its pending decision falls back to the
	// top-level approvers.
	gone := moved
	gone.Teams = moved.Teams[1:]
	bot.App.Policies.Set(&gone)
	card := e.cardIn(northEsc, ivyBefore)
	e.refused(frank, card, ivyBefore, "Only its leaders")
	e.click(apptest.Bob, card, "Approve")
	e.waitDM(ivy, "<@"+apptest.Bob+"> approved your")
	if d := e.decision(ivyBefore); d.TeamName != northTeam || d.State != domain.StateApproved {
		t.Errorf("the decision of the team that left: team %q, %s", d.TeamName, d.State)
	}
}

// A team's own lead is a leader like any other: they may commit to one of
// their people and be asked for support, although the top-level chain does
// not name them.
func TestTeamLeadCommitsAndIsAsked(t *testing.T) {
	e := startOrg(t, apptest.Options{})
	res := e.Command(frank, "commit <@"+apptest.Erin+"|erin> a second van by 2030-01-15")
	if !strings.Contains(res.Message.AllText(), "second van") || strings.Contains(res.Message.AllText(), "leader") && strings.Contains(res.Message.AllText(), "Only") {
		t.Fatalf("frank's commit reply = %q; want it recorded", res.Message.AllText())
	}
	e.waitDM(apptest.Erin, "second van")

	res = e.Command(apptest.Erin, "ask <@"+frank+"|frank> a ladder by 2030-01-20")
	if strings.Contains(res.Message.AllText(), "isn't one of the leaders") {
		t.Fatalf("asking north's lead was refused: %q", res.Message.AllText())
	}
	e.waitDM(frank, "ladder")
}
