package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// awayEnv is the product running for one away test, its clock at
// Wednesday 2026-11-18, 10:00 in Chicago (the policy's zone, and every
// test person's).
type awayEnv struct {
	*cmEnv
}

func startAway(t *testing.T, o apptest.Options) *awayEnv {
	t.Helper()
	return &awayEnv{startCommitments(t, o)}
}

// say runs `/empower text` as user and returns the private reply.
func (e *awayEnv) say(user, text string) string {
	e.t.Helper()
	res := e.Command(user, text)
	if res.ResponseType != "" && res.ResponseType != "ephemeral" {
		e.t.Errorf("/empower %s answered %q in the channel, want a private reply", text, res.ResponseType)
	}
	return res.AllText()
}

// isAway asks the running product whether user is away now.
func (e *awayEnv) isAway(user string) bool {
	e.t.Helper()
	away, err := e.Bots()[0].App.Handlers.Away.IsAway(context.Background(), apptest.Team, user, e.Clock.Now())
	if err != nil {
		e.t.Fatalf("is away: %v", err)
	}
	return away
}

func (e *awayEnv) awayEvents() []domain.Event {
	e.t.Helper()
	evs, err := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), e.Clock.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.Event
	for _, ev := range evs {
		if ev.Type() == domain.EventAwayStarted || ev.Type() == domain.EventAwayEnded {
			out = append(out, ev)
		}
	}
	return out
}

func wantIn(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", what, got, w)
		}
	}
}

func TestAwayRefusals(t *testing.T) {
	e := startAway(t, apptest.Options{})
	for _, tt := range []struct {
		name, user, text string
		want             []string
	}{
		{"not a leader", apptest.Dave, "away until friday", []string{"`away` is for leaders", "nothing was stored"}},
		{"not a leader, with a delegate", apptest.Dave, "away until friday delegate " + cmBob, []string{"`away` is for leaders"}},
		{"delegate not a leader", apptest.Bob, "away until friday delegate " + cmDave, []string{"<@U0DAVE> doesn't answer approvals, so they can't cover yours", "Nothing was stored"}},
		{"delegate yourself", apptest.Bob, "away until friday delegate " + cmBob, []string{"can't be your own delegate", "Nothing was stored"}},
		{"a date in the past", apptest.Bob, "away until 2026-11-17", []string{"That's in the past (Tue Nov 17; today is Wed Nov 18)", "Nothing was stored"}},
		{"more than a year away", apptest.Bob, "away until 2027-11-19", []string{"Fri Nov 19, 2027 is more than a year away", "up to Thu Nov 18, 2027", "Nothing was stored"}},
		{"years away", apptest.Bob, "away until 2040-01-01", []string{"more than a year away"}},
		{"unreadable date", apptest.Bob, "away until whenever", []string{"I can't read `whenever` as a date", "Nothing was stored"}},
		{"missing until", apptest.Bob, "away friday", []string{"Say until when you're away, starting with `until`", "Usage: `/empower away until <date> [delegate <@user>]`"}},
		{"nothing at all", apptest.Bob, "away", []string{"starting with `until`"}},
		{"until without a date", apptest.Bob, "away until", []string{"Say the last day you're away"}},
		{"delegate without a mention", apptest.Bob, "away until friday delegate", []string{"Say who covers for you"}},
		{"delegate is a group", apptest.Bob, "away until friday delegate <!subteam^S0FRONTLINE|frontline>", []string{"not a group"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantIn(t, tt.name, e.say(tt.user, tt.text), tt.want...)
		})
	}
	if e.isAway(apptest.Bob) || e.isAway(apptest.Dave) {
		t.Error("a refused away was stored")
	}
	if evs := e.awayEvents(); len(evs) != 0 {
		t.Errorf("refusals wrote audit events: %+v", evs)
	}
}

func TestAwayAndBack(t *testing.T) {
	e := startAway(t, apptest.Options{})
	got := e.say(apptest.Bob, "away until friday delegate "+cmCarol)
	wantIn(t, "away", got, "You're away until the end of *Fri Nov 20*", "<@U0CAROL> covers for you", "`/empower back`")
	if !e.isAway(apptest.Bob) {
		t.Fatal("bob is not away after away")
	}
	// The delegate cannot be away at the same time.
	wantIn(t, "delegate away", e.say(apptest.Carol, "away until tomorrow delegate "+cmBob), "<@U0BOB> is away too, until Fri Nov 20")

	wantIn(t, "back", e.say(apptest.Bob, "back"), "Welcome back", "<@U0CAROL> no longer answers for you")
	if e.isAway(apptest.Bob) {
		t.Fatal("bob is still away after back")
	}
	wantIn(t, "back again", e.say(apptest.Bob, "back"), "You weren't away, so nothing changed")
	wantIn(t, "back from someone never away", e.say(apptest.Dave, "back"), "You weren't away")

	got = e.say(apptest.Carol, "away until in 3 days")
	wantIn(t, "away without a delegate", got, "until the end of *Sat Nov 21*", "The other leaders at your level answer")

	evs := e.awayEvents()
	if len(evs) != 3 {
		t.Fatalf("audit: %+v", evs)
	}
	start, ok := evs[0].Payload.(domain.AwayStartedData)
	if !ok || evs[0].Actor != apptest.Bob || start.Until != "2026-11-20" || start.Delegate != apptest.Carol || start.Zone != "America/Chicago" ||
		!start.Ends.Time().Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, cmChicago)) {
		t.Errorf("away.started: %+v", evs[0])
	}
	if end, ok := evs[1].Payload.(domain.AwayEndedData); !ok || evs[1].Actor != apptest.Bob || end.Until != "2026-11-20" || evs[1].To != "back" {
		t.Errorf("away.ended: %+v", evs[1])
	}
	if evs[2].Actor != apptest.Carol || evs[2].Type() != domain.EventAwayStarted {
		t.Errorf("carol's away.started: %+v", evs[2])
	}
}

// TestAwayEndsAtMidnight: a period ends by itself when its last day ends in
// the leader's zone.
func TestAwayEndsAtMidnight(t *testing.T) {
	e := startAway(t, apptest.Options{})
	wantIn(t, "away", e.say(apptest.Bob, "away until tomorrow"), "*Thu Nov 19*")
	e.Clock.Set(time.Date(2026, 11, 19, 23, 59, 0, 0, cmChicago))
	if !e.isAway(apptest.Bob) {
		t.Fatal("bob is back before his last day ended")
	}
	e.Clock.Set(time.Date(2026, 11, 20, 0, 0, 1, 0, cmChicago))
	if e.isAway(apptest.Bob) {
		t.Fatal("bob is still away after his last day ended")
	}
	wantIn(t, "back after the end", e.say(apptest.Bob, "back"), "You weren't away")
}

const (
	awayFrank   = "U0FRANK"
	awayFrankAt = "<@U0FRANK|frank>"
)

// awayPolicy is the default policy with edit applied: old replaced by new.
func awayPolicy(t *testing.T, pairs ...string) string {
	t.Helper()
	p := apptest.DefaultPolicy
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(p, pairs[i]) {
			t.Fatalf("default policy has no %q", pairs[i])
		}
		p = strings.Replace(p, pairs[i], pairs[i+1], 1)
	}
	return p
}

// withFrank adds Frank, a leader who approves for team north only: he may
// answer nothing of Dave's (no team) in his own right.
const awayNorthTeam = `teams:
  - name: north
    members: [U0ERIN]
    approvers:
      team-lead: [U0FRANK]
activities:`

func (e *awayEnv) addFrank() {
	e.Emu.AddUser(slackemu.User{ID: awayFrank, Name: "frank", RealName: "Frank Fox", TZ: "America/Chicago"})
}

// pendingCard logs `/empower text` as Dave and returns the decision and its
// card, which must contain want.
func (e *awayEnv) pendingCard(text string, want ...string) (string, slackemu.Message) {
	e.t.Helper()
	res, id := e.decide(apptest.Dave, text)
	if id == "" {
		e.t.Fatalf("no decision logged: %q", res.AllText())
	}
	m := e.escalation(id, "Approve")
	for _, w := range want {
		if !strings.Contains(m.AllText(), w) {
			e.t.Errorf("card of %s lacks %q: %s", id, w, m.AllText())
		}
	}
	return id, m
}

func TestAwayDelegateAnswersFor(t *testing.T) {
	e := startAway(t, apptest.Options{Policy: awayPolicy(t, "activities:", awayNorthTeam)})
	e.addFrank()
	wantIn(t, "away", e.say(apptest.Bob, "away until friday delegate "+awayFrankAt), "<@U0FRANK> covers for you")

	id, card := e.pendingCard("discount 900 for ACME", "team lead", ":palm_tree: <@U0BOB> is away until Fri Nov 20: <@U0FRANK> answers for them.")
	// It waits on Frank's App Home too.
	if _, err := e.Emu.OpenHome(e.Ctx(), awayFrank); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.WaitHome(e.Ctx(), awayFrank, func(v slackemu.View) bool {
		return strings.Contains(v.AllText(), id) && strings.Contains(v.AllText(), "Waiting for your answer* (1)")
	}); err != nil {
		t.Fatalf("frank's Home does not list %s: %v", id, err)
	}
	up := e.approves(awayFrank, card, "Approved by <@U0FRANK> for <@U0BOB> at")
	if len(up.Buttons()) != 0 || strings.Contains(up.AllText(), ":palm_tree:") {
		t.Errorf("approved card still asks or says who is away: %s", up.AllText())
	}
	e.waitDM(apptest.Dave, "<@U0FRANK> for <@U0BOB> approved your")
	if d := e.decision(id); d.DecidedBy != awayFrank || d.DecidedFor != apptest.Bob {
		t.Errorf("stored: by %s for %s", d.DecidedBy, d.DecidedFor)
	}
	var approved *domain.Event
	for _, ev := range e.audits(id) {
		if ev.Type() == domain.EventDecisionApproved {
			approved = &ev
		}
	}
	if p, ok := approved.Payload.(domain.DecisionApprovedData); approved == nil || !ok || approved.Actor != awayFrank || p.For != apptest.Bob {
		t.Errorf("audit of the approval: %+v", approved)
	}

	// What was never routed to Bob (above his team-lead limit) is not
	// Frank's to answer.
	big, bigCard := e.pendingCard("discount 5000 for ACME", "manager")
	if strings.Contains(bigCard.AllText(), ":palm_tree:") {
		t.Errorf("the manager's card says Bob is away: %s", bigCard.AllText())
	}
	e.click(awayFrank, bigCard, "Approve")
	e.waitEphemeral(awayFrank, "(`"+big+"`).")
	if d := e.decision(big); d.State != domain.StatePending {
		t.Errorf("frank answered what was not routed to bob: %s", d.State)
	}
	// It stays the manager's.
	e.approves(apptest.Carol, bigCard, "Approved by <@U0CAROL> at")
}

// TestAwayDelegateUntilMidnight: the delegate answers for the away leader
// until the leader's last day ends in their zone, and not after.
func TestAwayDelegateUntilMidnight(t *testing.T) {
	e := startAway(t, apptest.Options{Policy: awayPolicy(t, "activities:", awayNorthTeam)})
	e.addFrank()
	e.say(apptest.Bob, "away until friday delegate "+awayFrankAt)

	e.Clock.Set(time.Date(2026, 11, 20, 23, 58, 0, 0, cmChicago))
	_, card := e.pendingCard("discount 900 for ACME", "away until Fri Nov 20")
	e.approves(awayFrank, card, "Approved by <@U0FRANK> for <@U0BOB>")

	e.Clock.Set(time.Date(2026, 11, 21, 0, 0, 30, 0, cmChicago))
	late, lateCard := e.pendingCard("discount 800 for ACME", "team lead")
	if strings.Contains(lateCard.AllText(), ":palm_tree:") {
		t.Errorf("the card after midnight says Bob is away: %s", lateCard.AllText())
	}
	e.click(awayFrank, lateCard, "Approve")
	e.waitEphemeral(awayFrank, "Only its leaders can answer this one")
	if d := e.decision(late); d.State != domain.StatePending {
		t.Errorf("frank answered for bob after bob's last day: %s", d.State)
	}
	e.approves(apptest.Bob, lateCard, "Approved by <@U0BOB> at")
}

func TestAwayWithoutDelegate(t *testing.T) {
	e := startAway(t, apptest.Options{Policy: awayPolicy(t, "approvers: [U0BOB]", "approvers: [U0BOB, U0FRANK]")})
	e.addFrank()
	wantIn(t, "bob away", e.say(apptest.Bob, "away until friday"), "other leaders at your level answer")

	// Another approver of the level is here: they take it.
	_, card := e.pendingCard("discount 900 for ACME", "team lead", ":palm_tree: <@U0BOB> is away until Fri Nov 20.")
	e.approves(awayFrank, card, "Approved by <@U0FRANK> at")

	// Nobody of the level is here: it goes to the next level at once.
	wantIn(t, "frank away", e.say(awayFrank, "away until tomorrow"), "Thu Nov 19")
	res, id := e.decide(apptest.Dave, "discount 900 for ACME")
	wantIn(t, "log reply", res.AllText(), "your manager, <@U0CAROL>,")
	up := e.escalation(id, "Approve")
	wantIn(t, "manager's card", up.AllText(), "for the manager", "Went to the manager while <@U0BOB>, <@U0FRANK> are away")
	if d := e.decision(id); d.Level != 1 || d.LevelName != "manager" {
		t.Errorf("stored level: %d %s", d.Level, d.LevelName)
	}
	e.approves(apptest.Carol, up, "Approved by <@U0CAROL> at")

	// Back: it comes to the team lead again.
	wantIn(t, "back", e.say(apptest.Bob, "back"), "Welcome back")
	_, again := e.pendingCard("discount 700 for ACME", "team lead")
	if strings.Contains(again.AllText(), "<@U0BOB> is away") {
		t.Errorf("card says bob is away after back: %s", again.AllText())
	}
}

// TestAwayNoFeedbackDMNoReminder: a leader away gets no feedback DM and no
// commitment reminder; back, the reminders come again.
func TestAwayNoFeedbackDMNoReminder(t *testing.T) {
	e := startAway(t, apptest.Options{Policy: awayPolicy(t, "frontline: [S0FRONTLINE, U0DAVE]", "frontline: [S0FRONTLINE, U0DAVE, U0BOB]")})
	_, cid := e.commit(apptest.Bob, "commit "+cmDave+" get you on the safety course by tomorrow")
	if cid == "" {
		t.Fatal("no commitment")
	}
	e.say(apptest.Bob, "away until friday")

	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobFeedback); err != nil {
		t.Fatal(err)
	}
	e.waitDM(apptest.Dave, "Answer")
	e.runReminders(1)
	for _, m := range e.Emu.DMs(apptest.Bob) {
		if strings.Contains(m.AllText(), "Answer") || strings.Contains(m.AllText(), cid) && strings.Contains(m.AllText(), "coming due") {
			t.Errorf("bob, away, got a DM: %s", m.AllText())
		}
	}
	if n := len(e.reminders(apptest.Bob, cid)); n != 0 {
		t.Errorf("bob, away, got %d commitment reminders", n)
	}

	e.say(apptest.Bob, "back")
	e.runReminders(1)
	if n := len(e.reminders(apptest.Bob, cid)); n != 1 {
		t.Errorf("bob, back, got %d commitment reminders, want 1", n)
	}
}

// approves has user click Approve on card and waits until the card says
// want.
func (e *awayEnv) approves(user string, card slackemu.Message, want string) slackemu.Message {
	e.t.Helper()
	e.click(user, card, "Approve")
	return e.waitUpdated(card.TS, want, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), want) })
}

// TestAwayEndsAtMidnightInTheLeadersZone: with local_time, the last day is
// read, and ends, in the leader's own zone (Tokyo), not the policy's
// (Chicago).
func TestAwayEndsAtMidnightInTheLeadersZone(t *testing.T) {
	e := startAway(t, apptest.Options{Policy: awayPolicy(t, "activities:", "local_time: true\n"+awayNorthTeam)})
	e.Emu.AddUser(slackemu.User{ID: awayFrank, Name: "frank", RealName: "Frank Fox", TZ: "Asia/Tokyo"})
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 10:00 in Chicago is already Thursday 01:00 in Tokyo: Frank's
	// "tomorrow" is Friday.
	wantIn(t, "away", e.say(awayFrank, "away until tomorrow"), "until the end of *Fri Nov 20*")
	e.Clock.Set(time.Date(2026, 11, 20, 23, 59, 0, 0, tokyo))
	if !e.isAway(awayFrank) {
		t.Fatal("frank is back before his last day ended in Tokyo")
	}
	e.Clock.Set(time.Date(2026, 11, 21, 0, 0, 1, 0, tokyo)) // Friday 09:00 in Chicago
	if e.isAway(awayFrank) {
		t.Fatal("frank is still away after his last day ended in Tokyo")
	}
}

// TestAwayDelegateFromTheLevelAbove: Bob's delegate is Carol, his manager,
// who could approve his decisions anyway: what comes to Bob she answers
// for him; what comes to her she answers as herself.
func TestAwayDelegateFromTheLevelAbove(t *testing.T) {
	e := startAway(t, apptest.Options{})
	e.say(apptest.Bob, "away until friday delegate "+cmCarol)
	_, card := e.pendingCard("discount 900 for ACME", "team lead", "<@U0CAROL> answers for them")
	e.approves(apptest.Carol, card, "Approved by <@U0CAROL> for <@U0BOB> at")
	e.waitDM(apptest.Dave, "<@U0CAROL> for <@U0BOB> approved your")

	_, own := e.pendingCard("discount 5000 for ACME", "manager")
	up := e.approves(apptest.Carol, own, "Approved by <@U0CAROL> at")
	if strings.Contains(up.AllText(), "for <@U0BOB>") {
		t.Errorf("carol's own approval says it was for bob: %s", up.AllText())
	}
}
