package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/export"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Earned autonomy end to end (PRODUCT.md "Beyond the box"): Alice's
// discounts above her $500 box, approved by the team lead and reported as
// working, earn a proposal to raise her box; the team lead raises it, or
// says not now; a leader resets it; a policy reload caps it.

// autonomyPolicy is apptest's policy with proposals after 3 decisions and
// extra lines replaced (old -> new pairs).
func autonomyPolicy(repl ...string) string {
	p := apptest.DefaultPolicy + "autonomy:\n  propose_after: 3\n"
	for i := 0; i+1 < len(repl); i += 2 {
		p = strings.Replace(p, repl[i], repl[i+1], 1)
	}
	return p
}

// twoLeads has Mallory approve at the team-lead level beside Bob.
var twoLeads = []string{"approvers: [U0BOB]", "approvers: [U0BOB, U0MALLORY]"}

// approved logs text as user, has Bob approve it and returns its ID.
func (e *decisionEnv) approved(user, text string) string {
	e.t.Helper()
	_, id := e.decide(user, text)
	if id == "" {
		e.t.Fatalf("%q logged no decision", text)
	}
	e.click(apptest.Bob, e.escalation(id, "team lead"), "Approve")
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.decision(id).State == domain.StateApproved }); err != nil {
		e.t.Fatalf("%s never approved: %v", id, err)
	}
	return id
}

// declined logs text as user and has Bob decline it.
func (e *decisionEnv) declined(user, text string) string {
	e.t.Helper()
	_, id := e.decide(user, text)
	if _, err := e.Emu.Click(e.Ctx(), apptest.Bob, e.escalation(id, "team lead"), "Decline"); err != nil {
		e.t.Fatal(err)
	}
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		e.t.Fatalf("no decline modal: %v", err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", "not this one")); err != nil {
		e.t.Fatal(err)
	}
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.decision(id).State == domain.StateDeclined }); err != nil {
		e.t.Fatalf("%s never declined: %v", id, err)
	}
	return id
}

// outcome has user tell how decision id turned out. The streak is counted
// before the command answers, so the proposal, if any, is out by then.
func (e *decisionEnv) outcome(user, id, result string) {
	e.t.Helper()
	if res := e.Command(user, "outcome "+id+" "+result); !strings.Contains(res.AllText(), "Recorded") {
		e.t.Fatalf("outcome %s %s: %s", id, result, res.AllText())
	}
}

// worked logs an approved decision for user that worked.
func (e *decisionEnv) worked(user, text string) string {
	e.t.Helper()
	id := e.approved(user, text)
	e.outcome(user, id, "worked")
	return id
}

// proposals are leader's raise proposal DMs, as they are now.
func (e *decisionEnv) proposals(leader string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range e.Emu.DMs(leader) {
		if strings.Contains(m.AllText(), "were all approved and none failed") {
			out = append(out, m)
		}
	}
	return out
}

// proposal waits for leader's only raise proposal DM.
func (e *decisionEnv) proposal(leader string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), leader, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "were all approved and none failed")
	})
	if err != nil {
		e.t.Fatalf("no raise proposal to %s: %v\nDMs: %s", leader, err, dump(e.Emu.DMs(leader)))
	}
	return m
}

// noProposal fails when leader got a raise proposal.
func (e *decisionEnv) noProposal(leader, why string) {
	e.t.Helper()
	if ps := e.proposals(leader); len(ps) != 0 {
		e.t.Fatalf("%s: %s got a proposal: %s", why, leader, dump(ps))
	}
}

// dmUpdated waits until leader's DM at ts satisfies pred.
func (e *decisionEnv) dmUpdated(leader, ts, what string, pred func(slackemu.Message) bool) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), leader, func(m slackemu.Message) bool { return m.TS == ts && pred(m) })
	if err != nil {
		cur, _ := e.Emu.Message(e.Emu.DMChannelID(leader), ts)
		e.t.Fatalf("%s's DM %s never became %s: %v\nit is: %s", leader, ts, what, err, cur.AllText())
	}
	return m
}

// autonomyEvents counts the events of type typ about user.
func (e *decisionEnv) autonomyEvents(user string, typ domain.EventType) int {
	return countOf(e.auditTypes(user), typ)
}

func TestAutonomyStreakEarnsAProposalAndARaise(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	var ids []string
	for _, amt := range []string{"600", "900", "700"} {
		ids = append(ids, e.worked(apptest.Alice, "discount "+amt+" for ACME keep them"))
		if len(ids) < 3 {
			e.noProposal(apptest.Bob, "a streak of "+string(rune('0'+len(ids))))
		}
	}
	pr := e.proposal(apptest.Bob)
	t.Logf("proposal DM:\ntext: %s\nblocks: %s", pr.Text, blocksJSON(t, pr))
	want := "<@U0ALICE>'s last 3 discounts above their $500 box were all approved and none failed; the largest was $900. Raise their discount box to $900?"
	if pr.Text != want {
		t.Errorf("proposal text = %q\nwant %q", pr.Text, want)
	}
	for _, id := range ids {
		if !strings.Contains(pr.AllText(), id) {
			t.Errorf("proposal lacks the evidence %s: %s", id, pr.AllText())
		}
	}
	if got := buttonLabels(pr); len(got) != 2 || got[0] != "Raise to $900" || got[1] != "Not now" {
		t.Errorf("proposal buttons = %q; want Raise to $900, Not now", got)
	}
	// Once per streak: a fourth decision that worked proposes nothing more.
	e.worked(apptest.Alice, "discount 650 for ACME again")
	if n := len(e.proposals(apptest.Bob)); n != 1 {
		t.Errorf("%d proposals after a fourth decision; want 1", n)
	}
	// Someone who is not her first-level leader is refused.
	e.click(apptest.Carol, pr, "Raise to $900")
	e.waitEphemeral(apptest.Carol, "This one is for <@U0BOB> to answer, as <@U0ALICE>'s team lead")

	e.click(apptest.Bob, pr, "Raise to $900")
	news := e.waitDM(apptest.Alice, "your discount box grew to $900, thanks to your track record")
	if !strings.Contains(news.Text, "<@U0BOB>") {
		t.Errorf("the good news does not say who raised it: %s", news.Text)
	}
	upd := e.dmUpdated(apptest.Bob, pr.TS, "answered", func(m slackemu.Message) bool { return len(m.Buttons()) == 0 })
	if !strings.Contains(upd.AllText(), "<@U0BOB> raised <@U0ALICE>'s discount box to $900") {
		t.Errorf("the answered proposal = %s", upd.AllText())
	}
	// A click on the old copy (a double click, a redelivery) raises nothing.
	e.click(apptest.Bob, pr, "Raise to $900")
	e.waitEphemeral(apptest.Bob, "You already raised <@U0ALICE>'s discount box to $900")
	if n := e.autonomyEvents(apptest.Alice, domain.EventAutonomyRaised); n != 1 {
		t.Errorf("%d autonomy.raised events; want 1", n)
	}

	// Her box, as she and her leader see it, and the App Home.
	if got := e.Command(apptest.Alice, "box").AllText(); !strings.Contains(got, "yours up to *$900* (earned: raised from $500 by <@U0BOB>") {
		t.Errorf("box after the raise: %s", got)
	}
	if got := e.Command(apptest.Bob, "box <@U0ALICE|alice>").AllText(); !strings.Contains(got, "theirs up to *$900* (earned: raised from $500 by <@U0BOB>") ||
		!strings.Contains(got, "To take it back: /empower box <@U0ALICE> reset discount") {
		t.Errorf("box @alice by Bob: %s", got)
	}
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Alice); err != nil {
		t.Fatal(err)
	}
	e.home(apptest.Alice, "the raise", homeHas("up to *$900*, earned: raised from $500 by <@U0BOB>"))

	// The export and the stats show it.
	var out bytes.Buffer
	if _, err := export.Write(e.Ctx(), &out, e.store, export.Request{Team: apptest.Team, From: e.Clock.Now().Add(-time.Hour),
		To: e.Clock.Now().Add(time.Minute), Location: e.Policy.Location}); err != nil {
		t.Fatal(err)
	}
	if rs := rowsOf(exportRows(t, out.Bytes()), string(domain.EventAutonomyRaised), apptest.Alice); len(rs) != 1 ||
		rs[0]["actor"] != apptest.Bob || rs[0]["amount"] != "900.00" || rs[0]["activity"] != "discount" || rs[0]["person"] != apptest.Alice {
		t.Errorf("export rows of the raise = %v\n%s", rs, out.String())
	}
	stats := e.Command(apptest.Bob, "stats").AllText()
	for _, want := range []string{"*Earned autonomy*: 1 limit raised, 0 reset", "<@U0ALICE>'s discount box raised from $500 to $900 by <@U0BOB>"} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats lack %q:\n%s", want, stats)
		}
	}
	t.Logf("stats after the raise:\n%s", stats)

	// Routing follows her own limit; others keep the policy's.
	if res, _ := e.decide(apptest.Alice, "discount 850 for ACME"); !strings.Contains(res.AllText(), "yours to make") {
		t.Errorf("$850 after the raise is not inside her box: %s", res.AllText())
	}
	if res, id := e.decide(apptest.Alice, "discount 950 for ACME"); e.decision(id).State != domain.StatePending ||
		!strings.Contains(e.decision(id).Why, "above your $900 box") {
		t.Errorf("$950 after the raise: %s (%+v)", res.AllText(), e.decision(id).Why)
	}
	if res, _ := e.decide(apptest.Dave, "discount 850 for ACME"); strings.Contains(res.AllText(), "yours to make") {
		t.Errorf("Dave's $850 is inside his box: %s", res.AllText())
	}
}

func TestAutonomyStreakBrokenByADecline(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	e.worked(apptest.Alice, "discount 600 for ACME")
	e.worked(apptest.Alice, "discount 700 for ACME")
	e.declined(apptest.Alice, "discount 1500 for ACME")
	e.worked(apptest.Alice, "discount 800 for ACME")
	e.worked(apptest.Alice, "discount 650 for ACME")
	e.noProposal(apptest.Bob, "a decline among the last 3")
	e.worked(apptest.Alice, "discount 750 for ACME")
	if pr := e.proposal(apptest.Bob); !strings.Contains(pr.Text, "the largest was $800") {
		t.Errorf("the streak after the decline: %s", pr.Text)
	}
}

func TestAutonomyStreakBrokenByAFailure(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	e.worked(apptest.Alice, "discount 600 for ACME")
	e.worked(apptest.Alice, "discount 1900 for ACME")
	failed := e.approved(apptest.Alice, "discount 700 for ACME")
	e.outcome(apptest.Alice, failed, "failed")
	e.worked(apptest.Alice, "discount 800 for ACME")
	e.worked(apptest.Alice, "discount 650 for ACME")
	e.noProposal(apptest.Bob, "a failure among the last 3")
	e.worked(apptest.Alice, "discount 750 for ACME")
	if pr := e.proposal(apptest.Bob); !strings.Contains(pr.Text, "the largest was $800") || strings.Contains(pr.AllText(), failed) {
		t.Errorf("the streak after the failure: %s", pr.AllText())
	}
}

func TestAutonomyUnknownOutcomeHoldsTheStreak(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	e.worked(apptest.Alice, "discount 600 for ACME")
	e.worked(apptest.Alice, "discount 700 for ACME")
	unknown := e.approved(apptest.Alice, "discount 950 for ACME")
	// A fourth one, still pending, is not known either.
	e.decide(apptest.Alice, "discount 1200 for ACME")
	e.noProposal(apptest.Bob, "an outcome not known yet")
	e.outcome(apptest.Alice, unknown, "worked")
	if pr := e.proposal(apptest.Bob); !strings.Contains(pr.Text, "the largest was $950") {
		t.Errorf("once known: %s", pr.Text)
	}
}

func TestAutonomyTwoLeadersRaiseAtOnce(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy(twoLeads...), Replicas: 2})
	for _, amt := range []string{"600", "900", "700"} {
		e.worked(apptest.Alice, "discount "+amt+" for ACME")
	}
	bob, mallory := e.proposal(apptest.Bob), e.proposal(apptest.Mallory)
	var wg sync.WaitGroup
	for _, c := range []struct {
		who string
		m   slackemu.Message
	}{{apptest.Bob, bob}, {apptest.Mallory, mallory}, {apptest.Bob, bob}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Emu.Click(e.Ctx(), c.who, c.m, "Raise to $900"); err != nil {
				t.Errorf("%s clicks Raise: %v", c.who, err)
			}
		}()
	}
	wg.Wait()
	e.waitDM(apptest.Alice, "your discount box grew to $900")
	var winner string
	for _, p := range []struct {
		who string
		ts  string
	}{{apptest.Bob, bob.TS}, {apptest.Mallory, mallory.TS}} {
		m := e.dmUpdated(p.who, p.ts, "answered", func(m slackemu.Message) bool { return len(m.Buttons()) == 0 })
		w := "<@U0BOB>"
		if strings.Contains(m.AllText(), "<@U0MALLORY> raised") {
			w = "<@U0MALLORY>"
		}
		if winner != "" && w != winner {
			t.Errorf("the two DMs name different raisers: %s, %s", winner, w)
		}
		winner = w
		if !strings.Contains(m.AllText(), w+" raised <@U0ALICE>'s discount box to $900") {
			t.Errorf("%s's DM after the raise: %s", p.who, m.AllText())
		}
	}
	loser := apptest.Mallory
	if winner == "<@U0MALLORY>" {
		loser = apptest.Bob
	}
	if t.Failed() {
		return
	}
	e.waitEphemeral(loser, "already raised <@U0ALICE>'s discount box to $900")
	if n := e.autonomyEvents(apptest.Alice, domain.EventAutonomyRaised); n != 1 {
		t.Errorf("%d autonomy.raised events; want exactly 1", n)
	}
	n := 0
	for _, m := range e.Emu.DMs(apptest.Alice) {
		if strings.Contains(m.Text, "your discount box grew") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Alice got %d good-news DMs; want 1", n)
	}
}

func TestAutonomyNotNowThenANewStreak(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy(twoLeads...)})
	for _, amt := range []string{"600", "900", "700"} {
		e.worked(apptest.Alice, "discount "+amt+" for ACME")
	}
	bob, mallory := e.proposal(apptest.Bob), e.proposal(apptest.Mallory)
	e.click(apptest.Mallory, mallory, "Not now")
	m := e.dmUpdated(apptest.Bob, bob.TS, "answered", func(m slackemu.Message) bool { return len(m.Buttons()) == 0 })
	if !strings.Contains(m.AllText(), "<@U0MALLORY> said not now") {
		t.Errorf("Bob's DM after Not now: %s", m.AllText())
	}
	e.click(apptest.Bob, bob, "Raise to $900")
	e.waitEphemeral(apptest.Bob, "<@U0MALLORY> already said not now")
	if got := e.Command(apptest.Alice, "box").AllText(); !strings.Contains(got, "yours up to *$500*") {
		t.Errorf("box after Not now: %s", got)
	}
	// The counter restarts: two more are not a streak, three are.
	e.worked(apptest.Alice, "discount 800 for ACME")
	e.worked(apptest.Alice, "discount 650 for ACME")
	if n := len(e.proposals(apptest.Bob)); n != 1 {
		t.Fatalf("%d proposals two decisions after Not now; want still 1", n)
	}
	e.worked(apptest.Alice, "discount 750 for ACME")
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(e.proposals(apptest.Bob)) == 2 }); err != nil {
		t.Fatalf("no second proposal after a new streak: %s", dump(e.proposals(apptest.Bob)))
	}
	if n := e.autonomyEvents(apptest.Alice, domain.EventAutonomyDeferred); n != 1 {
		t.Errorf("%d autonomy.deferred events; want 1", n)
	}
}

// raised earns Alice a raise to $900 from Bob.
func (e *decisionEnv) raised() {
	e.t.Helper()
	for _, amt := range []string{"600", "900", "700"} {
		e.worked(apptest.Alice, "discount "+amt+" for ACME")
	}
	e.click(apptest.Bob, e.proposal(apptest.Bob), "Raise to $900")
	e.waitDM(apptest.Alice, "your discount box grew to $900")
}

func TestAutonomyReset(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	// Nothing to reset yet, and every bad input says what is wrong.
	for _, c := range []struct{ user, text, want string }{
		{apptest.Bob, "box <@U0ALICE|alice> reset discount", "<@U0ALICE>'s discount box hasn't been raised, so there's nothing to reset: it's the usual $500"},
		{apptest.Bob, "box <@U0ALICE|alice> reset discont", "did you mean discount"},
		{apptest.Bob, "box <@U0ALICE|alice> reset", "Say which activity to reset"},
		{apptest.Bob, "box <@U0MALLORY|mallory> reset discount", "doesn't log decisions on the front line"},
		{apptest.Dave, "box <@U0ALICE|alice> reset discount", "Only <@U0ALICE>'s own leaders can reset their box: <@U0BOB>."},
		{apptest.Bob, "box nobody reset discount", "isn't a person I know"},
	} {
		if got := e.Command(c.user, c.text).AllText(); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q answers %q; want %q", c.user, c.text, got, c.want)
		}
	}
	e.raised()
	got := e.Command(apptest.Bob, "box <@U0ALICE|alice> reset discount").AllText()
	if !strings.Contains(got, "<@U0ALICE>'s discount box is back to the usual $500 (it was $900)") {
		t.Errorf("reset reply: %s", got)
	}
	kind := e.waitDM(apptest.Alice, "set your discount box back to the usual $500")
	if !strings.Contains(kind.Text, "It's no mark against you") {
		t.Errorf("the reset DM is not kind: %s", kind.Text)
	}
	if got := e.Command(apptest.Alice, "box").AllText(); !strings.Contains(got, "yours up to *$500*") || strings.Contains(got, "earned") {
		t.Errorf("box after the reset: %s", got)
	}
	if got := e.Command(apptest.Bob, "box <@U0ALICE|alice> reset discount").AllText(); !strings.Contains(got, "discount box hasn't been raised") {
		t.Errorf("a second reset: %s", got)
	}
	if n := e.autonomyEvents(apptest.Alice, domain.EventAutonomyReset); n != 1 {
		t.Errorf("%d autonomy.reset events; want 1", n)
	}
	// The stats and the digest count the raise and the reset.
	stats := e.Command(apptest.Bob, "stats").AllText()
	if !strings.Contains(stats, "*Earned autonomy*: 1 limit raised, 1 reset") || !strings.Contains(stats, "<@U0ALICE>'s discount box reset from $900 to $500 by <@U0BOB>") {
		t.Errorf("stats after the reset:\n%s", stats)
	}
	t.Logf("stats after the reset:\n%s", stats)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobDigest); err != nil {
		t.Fatal(err)
	}
	digest, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Weekly digest") })
	if err != nil {
		t.Fatalf("no digest: %v", err)
	}
	if txt := digest.AllText(); !strings.Contains(txt, "*Earned autonomy*: 1 limit raised") || !strings.Contains(txt, "1 reset") ||
		!strings.Contains(txt, "<@U0ALICE>'s discount box raised from $500 to $900 by <@U0BOB>") {
		t.Errorf("digest lacks the earned autonomy line: %s", digest.AllText())
	}
	if res, _ := e.decide(apptest.Alice, "discount 850 for ACME"); strings.Contains(res.AllText(), "yours to make") {
		t.Errorf("$850 after the reset is inside her box: %s", res.AllText())
	}
}

func TestAutonomyLimitCappedByALoweredPolicy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy(), PolicyFile: file})
	e.raised()
	lowered := strings.Replace(autonomyPolicy(), "level_limits: {team-lead: 2000, manager: 10000}", "level_limits: {team-lead: 700, manager: 10000}", 1)
	if err := os.WriteFile(file, []byte(lowered), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range e.Bots() {
		if err := b.App.ReloadPolicy(app.ReloadSignal); err != nil {
			t.Fatalf("reload: %v", err)
		}
	}
	got := e.Command(apptest.Alice, "box").AllText()
	if !strings.Contains(got, "yours up to *$700* (earned: raised to $900 by <@U0BOB>") || !strings.Contains(got, "for now it stops at $700, the most a team lead approves") {
		t.Errorf("box under the lowered policy: %s", got)
	}
	if _, id := e.decide(apptest.Alice, "discount 800 for ACME"); !strings.Contains(e.decision(id).Why, "above your $700 box") {
		t.Errorf("$800 under the cap: %+v", e.decision(id))
	}
	if res, _ := e.decide(apptest.Alice, "discount 650 for ACME"); !strings.Contains(res.AllText(), "yours to make") {
		t.Errorf("$650 under the cap is not inside her box: %s", res.AllText())
	}
	// The limit survives: the policy's limit back, the raise is whole again.
	if err := os.WriteFile(file, []byte(autonomyPolicy()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range e.Bots() {
		if err := b.App.ReloadPolicy(app.ReloadSignal); err != nil {
			t.Fatalf("reload: %v", err)
		}
	}
	if got := e.Command(apptest.Alice, "box").AllText(); !strings.Contains(got, "yours up to *$900*") {
		t.Errorf("box after the policy is back: %s", got)
	}
}

func TestAutonomyBoxOfSomeoneElse(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	if got := e.Command(apptest.Alice, "box <@U0DAVE|dave>").AllText(); !strings.Contains(got, "<@U0DAVE>'s box is for them and their leaders to see") {
		t.Errorf("box @dave by Alice: %s", got)
	}
	if got := e.Command(apptest.Bob, "box <@U0MALLORY|mallory>").AllText(); !strings.Contains(got, "doesn't log decisions on the front line") {
		t.Errorf("box @mallory by Bob: %s", got)
	}
	if got := e.Command(apptest.Bob, "box <@U0DAVE|dave>").AllText(); !strings.Contains(got, "*<@U0DAVE>'s box*") {
		t.Errorf("box @dave by Bob: %s", got)
	}
}

// A proposal recorded by a replica that died before any of its DMs went
// out is sent, once, when the person's next decision works out.
func TestAutonomyProposalWhoseDMsDiedIsSentAgain(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	now := e.Clock.Now()
	pr := &domain.Proposal{ID: domain.NewProposalID(), Team: apptest.Team, Person: apptest.Alice, Activity: "discount", Currency: "USD",
		Limit: money.FromMajor(500), Largest: money.FromMajor(900), Count: 3, First: now, Last: now,
		Decisions: []string{"D-AAAAAA", "D-BBBBBB", "D-CCCCCC"}, Approvers: []string{apptest.Bob}, CreatedAt: now}
	ev := domain.Event{Subject: pr.Person, To: pr.ID, At: now, Payload: domain.AutonomyProposedData{}}
	if ok, err := e.store.Propose(e.Ctx(), pr, time.Time{}, ev); err != nil || !ok {
		t.Fatalf("propose: %v, %v", ok, err)
	}
	e.worked(apptest.Alice, "discount 600 for ACME")
	e.noProposal(apptest.Bob, "a proposal a moment old")
	e.Clock.Advance(3 * time.Minute)
	e.worked(apptest.Alice, "discount 650 for ACME")
	if m := e.proposal(apptest.Bob); !strings.Contains(m.AllText(), "D-BBBBBB") || len(m.Buttons()) != 2 {
		t.Errorf("the proposal sent again: %s", m.AllText())
	}
	e.worked(apptest.Alice, "discount 700 for ACME")
	if n := len(e.proposals(apptest.Bob)); n != 1 {
		t.Errorf("%d proposal DMs; want it sent again once", n)
	}
}
