package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slackemu"
)

// A DM that is no longer actionable says so and loses its buttons: the
// weekly feedback DM and its reminder once the person answered, from the
// DM's button or with `/empower feedback`.

// answeredText is what an answered feedback DM says.
const answeredText = "Thank you: your answer is in."

// feedbackDMOf waits for user's question DM (reminder false) or reminder DM
// of the current round, as it was posted, with its Answer button.
func (e *fbEnv) feedbackDMOf(user string, reminder bool) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool {
		_, r, ok := roundOf(m)
		return ok && r == reminder
	})
	if err != nil {
		e.t.Fatalf("no feedback DM (reminder %v) to %s: %v\n%s", reminder, user, err, dump(e.Emu.DMs(user)))
	}
	return m
}

// waitAnswered waits until user's DM dm says it was answered, with the
// question still in it and no button left, and returns it.
func (e *fbEnv) waitAnswered(user string, dm slackemu.Message, question string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool {
		return m.TS == dm.TS && strings.Contains(m.AllText(), answeredText)
	})
	if err != nil {
		e.t.Fatalf("%s's DM %s never said it was answered: %v\n%s", user, dm.TS, err, dump(e.Emu.DMs(user)))
	}
	if b := m.Buttons(); len(b) != 0 {
		e.t.Errorf("%s's answered DM still has buttons %v: %s", user, b, m.AllText())
	}
	if !strings.Contains(m.AllText(), question) {
		e.t.Errorf("%s's answered DM lost the question %q: %s", user, question, m.AllText())
	}
	return m
}

// fbAgain answers with `/empower feedback` (the DM's button is gone once
// the person answered).
func (e *fbEnv) fbAgain(user, text string, anonymous bool) slackemu.Ack {
	e.t.Helper()
	if res := e.Command(user, "feedback"); res.AllText() != "" {
		e.t.Fatalf("/empower feedback as %s replied %q; want the modal only", user, res.AllText())
	}
	return e.fbSubmit(user, text, anonymous)
}

func TestFeedbackDMSaysAnsweredAndLosesItsButton(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: noFloor(feedbackPolicy(yearlySpec, yearlySpec, true))})
	e.runNow(jobs.JobFeedback)
	round, err := e.store.CurrentFeedbackRound(e.Ctx(), apptest.Team)
	if err != nil || round == nil {
		t.Fatalf("current round = %v, %v", round, err)
	}
	question := round.Question

	// Erin answers from the DM's button: the DM thanks her, without the button.
	erinQ := e.feedbackDMOf(apptest.Erin, false)
	e.fbAnswer(apptest.Erin, "More time for training.", false)
	e.waitAnswered(apptest.Erin, erinQ, question)

	// Dave is reminded, then answers anonymously with /empower feedback:
	// both of his DMs say so, and neither carries the answer.
	e.runNow(jobs.JobFeedbackReminder)
	daveQ, daveR := e.feedbackDMOf(apptest.Dave, false), e.feedbackDMOf(apptest.Dave, true)
	const secret = "Fewer status meetings on Mondays"
	e.fbAgain(apptest.Dave, secret, true)
	for _, dm := range []slackemu.Message{daveQ, daveR} {
		if m := e.waitAnswered(apptest.Dave, dm, question); strings.Contains(m.AllText(), secret) || strings.Contains(string(m.Blocks), "Fewer status") {
			t.Errorf("Dave's answered DM carries his anonymous answer: %s", m.AllText())
		}
	}
	// The answered DMs keep their fan-out tags (a run taking over finds them).
	for _, c := range []struct {
		dm  slackemu.Message
		job string
	}{{daveQ, feedback.JobRound}, {daveR, feedback.JobReminder}} {
		m, _ := e.Emu.Message(c.dm.Channel, c.dm.TS)
		if m.Metadata == nil || m.Metadata.EventPayload["job"] != c.job || m.Metadata.EventPayload["run"] != round.ID {
			t.Errorf("answered %s DM metadata = %+v; want job %s, run %s", c.job, m.Metadata, c.job, round.ID)
		}
	}

	// A second answer is welcome, with the command; the DMs stay as they are.
	e.fbAgain(apptest.Erin, "And a second van on Fridays.", false)
	e.waitAnswerPost(apptest.Leaders, "a second van on Fridays")
	if m, _ := e.Emu.Message(erinQ.Channel, erinQ.TS); len(m.Buttons()) != 0 || !strings.Contains(m.AllText(), answeredText) {
		t.Errorf("Erin's DM after a second answer = %q, buttons %v", m.AllText(), m.Buttons())
	}

	// Alice has not answered: her question and reminder keep their button.
	for _, reminder := range []bool{false, true} {
		m := e.feedbackDMOf(apptest.Alice, reminder)
		if strings.Contains(m.AllText(), answeredText) || len(m.Buttons()) != 1 {
			t.Errorf("Alice's unanswered DM (reminder %v) = %q, buttons %v; want it as sent", reminder, m.AllText(), m.Buttons())
		}
	}
}

// A DM still on its way while the person answers (with the command) is
// shown answered as soon as it is recorded.
func TestFeedbackDMOnItsWayWhenAnsweredShowsAnswered(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: noFloor(feedbackPolicy(yearlySpec, yearlySpec, true))})
	// Every question DM takes a while to reach Slack.
	e.Emu.InjectDelay("chat.postMessage", 3, 5*time.Second)
	done := make(chan error, 1)
	go func() { done <- e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobFeedback) }()
	var round string
	if err := apptest.WaitFor(10*time.Second, func() bool {
		r, err := e.store.CurrentFeedbackRound(e.Ctx(), apptest.Team)
		if err != nil || r == nil {
			return false
		}
		round = r.ID
		ledger, err := e.store.FanoutLedger(e.Ctx(), apptest.Team, feedback.JobRound, r.ID)
		return err == nil && ledger[apptest.Alice].Kind == 'c'
	}); err != nil {
		t.Fatalf("the round's DM to Alice was never on its way: %v", err)
	}
	e.fbAgain(apptest.Alice, "Clearer goals each quarter.", true)
	// The answer is saved while the DM is still on its way, unless the
	// machine took longer than the delay (then the answer finds the DM, and
	// what Alice sees is the same).
	if ledger, err := e.store.FanoutLedger(e.Ctx(), apptest.Team, feedback.JobRound, round); err != nil || ledger[apptest.Alice].Sent() {
		t.Logf("Alice's DM was recorded before her answer was saved (%+v, %v): the answer updated it", ledger[apptest.Alice], err)
	}
	if err := <-done; err != nil {
		t.Fatalf("feedback run: %v", err)
	}
	r, err := e.store.FeedbackRound(e.Ctx(), apptest.Team, round)
	if err != nil || r == nil {
		t.Fatalf("round %s = %v, %v", round, r, err)
	}
	dm, err := e.Emu.WaitDM(e.Ctx(), apptest.Alice, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "question") })
	if err != nil {
		t.Fatalf("no question DM to Alice: %v", err)
	}
	e.waitAnswered(apptest.Alice, dm, r.Question)
	// The others, who did not answer, keep the button.
	for _, u := range []string{apptest.Dave, apptest.Erin} {
		if m := e.feedbackDMOf(u, false); strings.Contains(m.AllText(), answeredText) {
			t.Errorf("%s's DM says answered: %s", u, m.AllText())
		}
	}
}

// updatesOf counts the chat.update calls of message ts.
func updatesOf(emu *slackemu.Server, ts string) int {
	n := 0
	for _, c := range emu.Calls("chat.update") {
		if c.Param("ts") == ts {
			n++
		}
	}
	return n
}

// updatedOf counts the chat.update calls of message ts, which the caller saw
// updated: the emulator records a call just after its effect shows, so it
// waits (up to 5 s) for at least one.
func updatedOf(emu *slackemu.Server, ts string) int {
	_ = apptest.WaitFor(5*time.Second, func() bool { return updatesOf(emu, ts) > 0 })
	return updatesOf(emu, ts)
}

// A commitment's reminder DMs lose their Done and New date buttons once it
// is done or given a new date anywhere: from the App Home, or from another
// reminder. Each says what became of it, once, whatever the double clicks.
func TestCommitmentReminderDMsSayWhatBecameOfIt(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	_, a := e.commit(apptest.Bob, "commit "+cmDave+" fix the van's heater by tomorrow")
	e.runReminders(1)
	a1 := e.waitDM(apptest.Bob, "coming due")
	e.Clock.Advance(48 * time.Hour) // Friday: overdue
	e.runReminders(1)
	a2 := e.waitDM(apptest.Bob, "is overdue")
	if n := len(e.reminders(apptest.Bob, a)); n != 2 {
		t.Fatalf("%d reminders of %s; want 2", n, a)
	}

	// Done from the App Home, twice (a double click): both reminders say
	// it is done, without buttons, each updated once; Dave is thanked once.
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Bob); err != nil {
		t.Fatal(err)
	}
	home := e.home(apptest.Bob, "the commitment", homeHas("fix the van's heater"))
	if _, err := e.Emu.DoubleClickInView(e.Ctx(), apptest.Bob, home.ID, "Done"); err != nil {
		t.Fatal(err)
	}
	e.waitDM(apptest.Dave, "did what they promised: *fix the van's heater*")
	for _, r := range []slackemu.Message{a1, a2} {
		e.waitDMUpdated(apptest.Bob, r.TS, "done", func(m slackemu.Message) bool {
			return strings.Contains(m.AllText(), "Done. I told them") && strings.Contains(m.AllText(), a) && len(m.Buttons()) == 0
		})
	}
	if err := apptest.WaitFor(10*time.Second, func() bool {
		return e.commitment(a).State == domain.CommitmentDone && countOf(cmAuditTypes(e.audits(a)), domain.EventCommitmentDone) == 1
	}); err != nil {
		t.Fatalf("commitment %s not done once: %+v, audit %v", a, e.commitment(a), cmAuditTypes(e.audits(a)))
	}
	for _, r := range []slackemu.Message{a1, a2} {
		if n := updatedOf(e.Emu, r.TS); n != 1 {
			t.Errorf("reminder %s updated %d times; want once", r.TS, n)
		}
	}
	thanks := 0
	for _, m := range e.Emu.DMs(apptest.Dave) {
		if strings.Contains(m.AllText(), "did what they promised") {
			thanks++
		}
	}
	if thanks != 1 {
		t.Errorf("Dave was thanked %d times; want once", thanks)
	}

	// A new date from the newer reminder: the older one says so too.
	_, b := e.commit(apptest.Bob, "commit "+cmDave+" order new gloves by monday")
	e.Clock.Advance(48 * time.Hour) // Sunday: due tomorrow
	e.runReminders(1)
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(e.reminders(apptest.Bob, b)) == 1 }); err != nil {
		t.Fatalf("%d reminders of %s; want 1", len(e.reminders(apptest.Bob, b)), b)
	}
	b1 := e.reminders(apptest.Bob, b)[0]
	e.Clock.Advance(48 * time.Hour) // Tuesday: overdue
	e.runReminders(1)
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(e.reminders(apptest.Bob, b)) == 2 }); err != nil {
		t.Fatalf("%d reminders of %s; want 2", len(e.reminders(apptest.Bob, b)), b)
	}
	b2 := e.reminders(apptest.Bob, b)[1]
	e.click(apptest.Bob, b2, "New date")
	v := e.openModal(apptest.Bob, handlers.ViewCommitmentNewDate)
	if ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-27")); len(ack.Errors) != 0 {
		t.Fatalf("new date refused: %v", ack.Errors)
	}
	for _, r := range []slackemu.Message{b1, b2} {
		e.waitDMUpdated(apptest.Bob, r.TS, "moved", func(m slackemu.Message) bool {
			return strings.Contains(m.AllText(), "New date: *Fri Nov 27*") && len(m.Buttons()) == 0
		})
	}
	if a1Now, _ := e.Emu.Message(a1.Channel, a1.TS); updatedOf(e.Emu, a1.TS) != 1 || !strings.Contains(a1Now.AllText(), "Done.") {
		t.Errorf("another commitment's reminder changed: %q", a1Now.AllText())
	}
}

// An ask answered from the leader's list while its DM to them is on its way
// (before Slack has it): the answer finds no DM to update, and the DM,
// once recorded, shows itself answered, without Accept and Decline.
func TestAskDMOnItsWayWhenAnsweredShowsAnswered(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	hooked := false
	e.Emu.InjectHook("chat.postMessage", 1, func() {
		hooked = true
		if n := len(e.Emu.DMs(apptest.Bob)); n != 0 {
			t.Errorf("Bob has %d DMs before the ask's; want none", n)
		}
		ctx := e.Ctx()
		list, err := e.Emu.SlashCommand(ctx, apptest.Bob, apptest.General, "commitments")
		if err != nil {
			t.Errorf("/empower commitments as Bob: %v", err)
			return
		}
		if _, err := e.Emu.Click(ctx, apptest.Bob, list.Message, "Accept"); err != nil {
			t.Errorf("Bob clicks Accept in his list: %v", err)
			return
		}
		v, err := e.Emu.WaitView(ctx, apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewAskAccept && v.Open })
		if err != nil {
			t.Errorf("no accept modal: %v", err)
			return
		}
		if ack, err := e.Emu.SubmitView(ctx, apptest.Bob, v.ID, slackemu.Values{}.Set("due", "due", "2026-11-27")); err != nil || len(ack.Errors) != 0 {
			t.Errorf("accept = %v, %v", ack.Errors, err)
		}
	})
	reply, id := e.commit(apptest.Dave, "ask "+cmBob+" a second van for Tuesdays by friday")
	if !hooked || id == "" {
		t.Fatalf("ask: %q (the DM's post hooked: %v)", reply, hooked)
	}
	if c := e.commitment(id); c.State != domain.CommitmentOpen || c.Due != "2026-11-27" {
		t.Fatalf("ask after Bob's answer: %+v", c)
	}
	dm := e.waitDM(apptest.Bob, id)
	e.waitDMUpdated(apptest.Bob, dm.TS, "answered", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "You accepted it: a commitment due *Fri Nov 27*") && len(m.Buttons()) == 0
	})
	e.waitDM(apptest.Dave, "accepted your ask")
}
