package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
)

// orgWeek logs, in startOrg's organisation: alice (north) a discount
// approved by frank and one inside her box, joe (south) one approved by
// gina, and dave (no team) one inside his box.
func orgWeek(t *testing.T, e *decisionEnv) (aliceAbove, joeAbove string) {
	t.Helper()
	_, aliceAbove = e.decide(apptest.Alice, "discount 900 for ACME")
	e.click(frank, e.cardIn(northEsc, aliceAbove), "Approve")
	e.waitDM(apptest.Alice, "approved your")
	e.decide(apptest.Alice, "discount 100")
	_, joeAbove = e.decide(joe, "discount 900 for Initech")
	e.click(gina, e.cardIn(apptest.Escalations, joeAbove), "Approve")
	e.waitDM(joe, "approved your")
	e.decide(apptest.Dave, "discount 250")
	return aliceAbove, joeAbove
}

// wantText fails the test unless text has every one of want and none of
// not.
func wantText(t *testing.T, who, text string, want []string, not ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", who, w, text)
		}
	}
	for _, n := range not {
		if strings.Contains(text, n) {
			t.Errorf("%s shows %q:\n%s", who, n, text)
		}
	}
}

// A leader's stats show each team they approve for, by name, and only
// those: a team's lead sees their team; the shared manager both teams and
// the people in no team, a line each and all together; the top-level lead
// the people in no team; a front-line person their own.
func TestTeamStats(t *testing.T) {
	e := startOrg(t, apptest.Options{})
	orgWeek(t, e)
	stats := func(user string) string { return e.Command(user, "stats").AllText() }

	wantText(t, "frank's stats", stats(frank),
		[]string{"Team north: outcomes, last 7 days", "*Decisions*: 2 · *1 inside the box*", "1 approved, 0 declined"},
		"By team", "south")
	wantText(t, "gina's stats", stats(gina),
		[]string{"Team south: outcomes, last 7 days", "*Decisions*: 1 · *0 inside the box*"},
		"By team", "north")
	wantText(t, "carol's stats", stats(apptest.Carol), []string{
		"Your teams' outcomes, last 7 days", "*By team*",
		"• *north*: 2 decisions (1 inside the box, 1 above) · 1 approved, 0 declined",
		"• *south*: 1 decision (0 inside the box, 1 above) · 1 approved, 0 declined",
		"• *no team*: 1 decision (1 inside the box, 0 above)",
		"*Decisions*: 4 · *2 inside the box*",
	})
	wantText(t, "bob's stats", stats(apptest.Bob),
		[]string{"people in no team", "*Decisions*: 1 · *1 inside the box*"}, "north", "south")
	wantText(t, "alice's stats", stats(apptest.Alice),
		[]string{"Your outcomes, last 7 days", "*Decisions*: 2 · *1 inside the box*"}, "By team")
}

// The organisation's digest goes to the top-level leaders channel with a
// line per team; north, which has a leaders channel of its own, gets its
// own team digest there; each once per tick.
func TestTeamDigests(t *testing.T) {
	e := startOrg(t, apptest.Options{})
	e.Emu.AddChannel(northLeaders, "north-leaders")
	bot := e.Bots()[0]
	p := *bot.App.Policies.Current()
	p.Teams = orgTeams()
	p.Teams[0].Channels.Leaders = northLeaders
	bot.App.Policies.Set(&p)
	orgWeek(t, e)

	tick := e.Clock.Now().Add(time.Minute)
	for range 2 { // a rerun of the tick posts nothing more
		if err := bot.App.Handlers.Digest(e.Ctx(), tick); err != nil {
			t.Fatal(err)
		}
	}
	org := e.Emu.Messages(apptest.Leaders)
	if len(org) != 1 {
		t.Fatalf("the leaders channel got %d digests, want 1:%s", len(org), dump(org))
	}
	wantText(t, "the organisation's digest", org[0].AllText(), []string{
		"Weekly digest", "By team",
		"• *north*: 2 decisions (1 inside the box, 1 above) · 1 approved, 0 declined",
		"• *south*: 1 decision (0 inside the box, 1 above) · 1 approved, 0 declined",
		"• *no team*: 1 decision (1 inside the box, 0 above)",
		"*Decisions*: 4",
	})
	team := e.Emu.Messages(northLeaders)
	if len(team) != 1 {
		t.Fatalf("north's leaders channel got %d digests, want 1:%s", len(team), dump(team))
	}
	wantText(t, "north's digest", team[0].AllText(),
		[]string{"north · Weekly digest", "*Decisions*: 2 _(+2 vs last week)_ · *1 inside the box*", "*Leaders' answers*: 1 approved"},
		"By team", "south")
}

// The App Home names the person's team, and a leader's lists only what
// their teams wait for.
func TestTeamHome(t *testing.T) {
	e := startOrg(t, apptest.Options{})
	t.Cleanup(e.checkViews)
	_, aliceID := e.decide(apptest.Alice, "discount 900 for ACME")
	_, joeID := e.decide(joe, "discount 900 for Initech")
	e.cardIn(apptest.Escalations, joeID)

	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Alice); err != nil {
		t.Fatal(err)
	}
	e.home(apptest.Alice, "her team", homeHas("Your team: *north*"))
	if _, err := e.Emu.OpenHome(e.Ctx(), frank); err != nil {
		t.Fatal(err)
	}
	v := e.home(frank, "north's approvals", homeHas("You approve for *north*", "Waiting for your answer* (1)", aliceID))
	if strings.Contains(v.AllText(), joeID) {
		t.Errorf("frank's Home lists south's %s:\n%s", joeID, v.AllText())
	}
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Carol); err != nil {
		t.Fatal(err)
	}
	e.home(apptest.Carol, "both teams", homeHas("You approve for *north* and *south*"))
}
