package e2e

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackemu"
)

// twoApprovalsPolicy is apptest's policy where the team-lead level (bob,
// frank, gina) and the manager level (carol, hank) each need two distinct
// approvals.
func twoApprovalsPolicy(t *testing.T) string {
	t.Helper()
	pol := apptest.DefaultPolicy
	for old, new := range map[string]string{
		"    approvers: [U0BOB]\n    respond_within: 4h\n":    "    approvers: [U0BOB, U0FRANK, U0GINA]\n    respond_within: 4h\n    approvals_needed: 2\n",
		"    approvers: [U0CAROL]\n    respond_within: 24h\n": "    approvers: [U0CAROL, U0HANK]\n    respond_within: 24h\n    approvals_needed: 2\n",
	} {
		if !strings.Contains(pol, old) {
			t.Fatalf("apptest's policy changed: no %q", old)
		}
		pol = strings.Replace(pol, old, new, 1)
	}
	return pol
}

const hank = "U0HANK"

func startTwoApprovals(t *testing.T) *decisionEnv {
	t.Helper()
	e := startDecisions(t, apptest.Options{Policy: twoApprovalsPolicy(t), NoBot: true})
	for _, u := range []slackemu.User{{ID: frank, Name: "frank"}, {ID: gina, Name: "gina"}, {ID: hank, Name: "hank"}} {
		e.Emu.AddUser(u)
	}
	e.StartBot()
	return e
}

func TestTwoApprovals(t *testing.T) {
	e := startTwoApprovals(t)
	res, id := e.decide(apptest.Dave, "discount 900 for ACME")
	if !strings.Contains(res.AllText(), "2 of your team leads") {
		t.Errorf("the reply does not say two approvals are needed: %s", res.AllText())
	}
	card := e.escalation(id, "0 of 2 approvals")

	// The first approval: the card shows the progress and who, in place,
	// with its buttons; the requester is not told yet.
	e.click(apptest.Bob, card, "Approve")
	card = e.waitUpdated(card.TS, "1 of 2", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "1 of 2 approvals: <@U0BOB>")
	})
	if got := buttonLabels(card); !slices.Equal(got, []string{"Approve", "Escalate", "Decline"}) {
		t.Errorf("buttons after one approval: %v", got)
	}
	if d := e.decision(id); d.State != domain.StatePending || !slices.Equal(d.Approvers(), []string{apptest.Bob}) {
		t.Errorf("after one approval: %s, approvers %v", d.State, d.Approvers())
	}

	// The same approver twice counts once, and is told so, privately.
	e.click(apptest.Bob, card, "Approve")
	e.waitEphemeral(apptest.Bob, "You've approved this one already; it's waiting for 1 more approval")
	// The requester never counts.
	e.click(apptest.Dave, card, "Approve")
	e.waitEphemeral(apptest.Dave, "This call is yours")
	if d := e.decision(id); len(d.Approvals) != 1 {
		t.Errorf("approvals after the repeat and the requester: %v", d.Approvers())
	}

	// The App Home shows the same progress with the buttons.
	if _, err := e.Emu.OpenHome(e.Ctx(), frank); err != nil {
		t.Fatal(err)
	}
	home, err := e.Emu.WaitHome(e.Ctx(), frank, func(v slackemu.View) bool { return strings.Contains(v.AllText(), id) })
	if err != nil {
		t.Fatalf("frank's Home: %v", err)
	}
	if txt := home.AllText(); !strings.Contains(txt, "1 of 2 approvals: <@U0BOB>") {
		t.Errorf("frank's Home lacks the progress: %s", txt)
	}

	// The second approver approves it: the card says both, the requester
	// is told once.
	e.click(frank, card, "Approve")
	card = e.waitUpdated(card.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB> and <@U0FRANK> at")
	})
	if len(card.Buttons()) != 0 {
		t.Errorf("buttons left on the approved card: %v", buttonLabels(card))
	}
	e.waitDM(apptest.Dave, "<@U0BOB> and <@U0FRANK> approved your")
	types := e.auditTypes(id)
	if countOf(types, domain.EventDecisionApproval) != 1 || countOf(types, domain.EventDecisionApproved) != 1 {
		t.Errorf("audit trail: %v, want one decision.approval and one decision.approved", types)
	}

	// An approver of a higher level counts.
	_, id2 := e.decide(apptest.Dave, "discount 950 for Umbrella")
	card2 := e.escalation(id2, "0 of 2 approvals")
	e.click(apptest.Carol, card2, "Approve")
	e.waitUpdated(card2.TS, "1 of 2", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "1 of 2 approvals: <@U0CAROL>") })
	e.click(gina, card2, "Approve")
	e.waitDM(apptest.Dave, "<@U0CAROL> and <@U0GINA> approved your")
}

func TestTwoApprovalsDeclineAndEscalate(t *testing.T) {
	e := startTwoApprovals(t)

	// One Decline after one approval is final.
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "0 of 2 approvals")
	e.click(apptest.Bob, card, "Approve")
	card = e.waitUpdated(card.TS, "1 of 2", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "1 of 2 approvals") })
	e.click(frank, card, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), frank, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		t.Fatalf("no decline modal: %v", err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), frank, v.ID, slackemu.Values{}.Set("reason", "reason", "Not this quarter")); err != nil {
		t.Fatal(err)
	}
	e.waitUpdated(card.TS, "declined", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Declined by <@U0FRANK>") })
	e.waitDM(apptest.Dave, "<@U0FRANK> declined your")
	e.click(gina, card, "Approve")
	e.waitEphemeral(gina, "already declined")
	if d := e.decision(id); d.State != domain.StateDeclined {
		t.Errorf("after a decline and a late approval: %s", d.State)
	}

	// Escalate starts the next level afresh: bob's approval at team-lead
	// does not count at manager.
	_, id2 := e.decide(apptest.Dave, "discount 900 for Umbrella")
	card2 := e.escalation(id2, "0 of 2 approvals")
	e.click(apptest.Bob, card2, "Approve")
	e.waitUpdated(card2.TS, "1 of 2", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "1 of 2 approvals") })
	e.click(frank, card2, "Escalate")
	up := e.escalation(id2, "for the manager")
	if !strings.Contains(up.AllText(), "0 of 2 approvals") {
		t.Errorf("the manager's card does not start afresh: %s", up.AllText())
	}
	if d := e.decision(id2); d.LevelName != "manager" || len(d.Approvals) != 0 {
		t.Errorf("after escalating: at %s with approvals %v", d.LevelName, d.Approvers())
	}
	e.click(apptest.Carol, up, "Approve")
	e.waitUpdated(up.TS, "1 of 2", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "1 of 2 approvals: <@U0CAROL>") })
	e.click(hank, up, "Approve")
	e.waitDM(apptest.Dave, "<@U0CAROL> and <@U0HANK> approved your")
}

func TestTwoApprovalsTwentyConcurrentClicks(t *testing.T) {
	e := startTwoApprovals(t)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "0 of 2 approvals")
	var wg sync.WaitGroup
	for i := range 20 {
		user := []string{apptest.Bob, frank, gina}[i%3]
		wg.Go(func() {
			if _, err := e.Emu.Click(e.Ctx(), user, card, "Approve"); err != nil {
				t.Errorf("click: %v", err)
			}
		})
	}
	wg.Wait()
	e.waitDM(apptest.Dave, "approved your")
	// Every click is answered: two counted, the others told privately.
	err := apptest.WaitFor(30*time.Second, func() bool {
		n := 0
		for _, u := range []string{apptest.Bob, frank, gina} {
			n += len(e.Emu.Ephemerals(u))
		}
		return n >= 18
	})
	if err != nil {
		t.Errorf("not every click beyond the two approvals was answered: %v", err)
	}
	d := e.decision(id)
	if d.State != domain.StateApproved || len(d.Approvals) != 2 || d.Approvals[0].By == d.Approvals[1].By {
		t.Errorf("stored: %s with approvals %v, want approved by two different people", d.State, d.Approvers())
	}
	if d.Version != 3 {
		t.Errorf("version %d, want 3 (one approval counted, then the approval)", d.Version)
	}
	types := e.auditTypes(id)
	if countOf(types, domain.EventDecisionApproval) != 1 || countOf(types, domain.EventDecisionApproved) != 1 {
		t.Errorf("audit trail: %v, want exactly one decision.approval and one decision.approved", types)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 1 {
		t.Errorf("DMs to the requester: %d, want 1", n)
	}
	for _, u := range []string{apptest.Bob, frank, gina} {
		for _, eph := range e.Emu.Ephemerals(u) {
			if txt := eph.AllText(); !strings.Contains(txt, "already approved") && !strings.Contains(txt, "You've approved this one already") {
				t.Errorf("%s told: %s", u, txt)
			}
		}
	}
}

// TestGoldenTeamCardWithApprovals compares a team's card that needs two
// approvals, after the first, with testdata/golden (see TestGoldenBlockKit).
func TestGoldenTeamCardWithApprovals(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: twoApprovalsPolicy(t), NoBot: true})
	for _, u := range []slackemu.User{{ID: frank, Name: "frank"}, {ID: gina, Name: "gina"}, {ID: hank, Name: "hank"}} {
		e.Emu.AddUser(u)
	}
	e.Emu.AddUserGroup(northGrp, "north", apptest.Alice)
	e.Emu.AddChannel(northEsc, "north-escalations")
	e.Policy.Teams = []domain.Team{{Name: northTeam, Members: []string{northGrp},
		Approvers: map[string][]string{teamLead: {frank, gina}}, Channels: domain.TeamChannels{Escalations: northEsc}}}
	e.StartBot()
	e.Clock.Set(lastWeekdayAt(time.Now(), e.Policy.Location, time.Tuesday, 10))
	n := newNormaliser()
	_, id := e.decide(apptest.Alice, "discount 900 for ACME renewal at risk")
	card := e.cardIn(northEsc, id)
	e.click(frank, card, "Approve")
	m, err := e.Emu.WaitMessage(e.Ctx(), northEsc, func(m slackemu.Message) bool {
		return m.TS == card.TS && strings.Contains(m.AllText(), "1 of 2 approvals: <@U0FRANK>")
	})
	if err != nil {
		t.Fatalf("the card never showed the first approval: %v", err)
	}
	n.check(t, "team_card_one_of_two", messageGolden(m))
}
