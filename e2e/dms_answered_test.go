package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
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
