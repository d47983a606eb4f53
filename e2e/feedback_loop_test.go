package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Closing the loop (Reply, Commit to this, "You said … — we did …") and
// the anonymity floor, end to end through the real wiring.

// loopStart is Monday 2026-11-16, 09:00 in Chicago: a feedback round opens.
var loopStart = time.Date(2026, 11, 16, 9, 0, 0, 0, cmChicago)

func startLoop(t *testing.T, policy string, replicas int) *fbEnv {
	t.Helper()
	e := startFeedback(t, apptest.Options{Policy: policy, Replicas: replicas, NoBot: replicas == 0})
	e.Clock.Set(loopStart)
	return e
}

// anonPosts returns the leaders channel's posts of anonymous answers.
func anonPosts(e *fbEnv, channel string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range e.Emu.Messages(channel) {
		if strings.Contains(m.AllText(), "Anonymous feedback") {
			out = append(out, m)
		}
	}
	return out
}

// waitAnswerPost waits for the leaders channel's post holding text.
func (e *fbEnv) waitAnswerPost(channel, text string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitMessage(e.Ctx(), channel, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), text) })
	if err != nil {
		e.t.Fatalf("no post of %q in %s: %v\n%s", text, channel, err, dump(e.Emu.Messages(channel)))
	}
	return m
}

// modal waits for user's open modal with callback.
func (e *fbEnv) modal(user, callback string) slackemu.View {
	e.t.Helper()
	v, err := e.Emu.WaitView(e.Ctx(), user, func(v slackemu.View) bool { return v.CallbackID == callback && v.Open })
	if err != nil {
		e.t.Fatalf("no %s modal for %s: %v", callback, user, err)
	}
	return v
}

// waitDMText waits for a DM to user holding want.
func (e *fbEnv) waitDMText(user, want string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), want) })
	if err != nil {
		e.t.Fatalf("%s got no DM with %q: %v\n%s", user, want, err, dump(e.Emu.DMs(user)))
	}
	return m
}

// reply has leader click Reply on post and send text.
func (e *fbEnv) reply(leader string, post slackemu.Message, text string) slackemu.Ack {
	e.t.Helper()
	if _, err := e.Emu.Click(e.Ctx(), leader, post, "Reply"); err != nil {
		e.t.Fatalf("%s clicks Reply: %v", leader, err)
	}
	v := e.modal(leader, handlers.ViewFeedbackReply)
	ack, err := e.Emu.SubmitView(e.Ctx(), leader, v.ID, slackemu.Values{}.Set("fb_reply", "text", text))
	if err != nil {
		e.t.Fatalf("%s sends the reply: %v", leader, err)
	}
	return ack
}

// commitTo has leader click Commit to this on post and submit what and when.
func (e *fbEnv) commitTo(leader string, post slackemu.Message, what, when string) (slackemu.View, slackemu.Ack) {
	e.t.Helper()
	if _, err := e.Emu.Click(e.Ctx(), leader, post, "Commit to this"); err != nil {
		e.t.Fatalf("%s clicks Commit to this: %v", leader, err)
	}
	v := e.modal(leader, handlers.ViewFeedbackCommit)
	return v, e.submitCommit(leader, v, what, when)
}

func (e *fbEnv) submitCommit(leader string, v slackemu.View, what, when string) slackemu.Ack {
	e.t.Helper()
	ack, err := e.Emu.SubmitView(e.Ctx(), leader, v.ID, slackemu.Values{}.Set("fb_what", "text", what).Set("fb_when", "when", when))
	if err != nil {
		e.t.Fatalf("%s submits Commit to this: %v", leader, err)
	}
	return ack
}

// The floor (3): two anonymous answers, given on two replicas, are held;
// after a restart of every replica the third releases all three, posted
// together, each with Reply and Commit to this, without times. A named
// answer is posted at once.
func TestFeedbackFloorAcrossReplicasAndRestart(t *testing.T) {
	e := startLoop(t, feedbackPolicy(yearlySpec, yearlySpec, true), 2)
	e.runNow(jobs.JobFeedback)

	ack := e.fbAnswer(apptest.Alice, "Alice's anonymous idea", true)
	if !strings.Contains(string(ack.Payload), "at least 3") {
		t.Errorf("thank-you of a held answer = %s; want it to say it waits for 3", ack.Payload)
	}
	e.fbAnswer(apptest.Erin, "Erin's anonymous idea", true)
	e.fbAnswer(apptest.Dave, "Dave's named idea", false)
	e.waitAnswerPost(apptest.Leaders, "Dave's named idea")
	if got := anonPosts(e, apptest.Leaders); len(got) != 0 {
		t.Fatalf("%d anonymous answers posted below the floor: %s", len(got), dump(got))
	}
	// Every replica stops; new ones start against the same Redis.
	e.StopAll()
	e.StartBot()
	e.StartBot()
	e.fbAgain(apptest.Dave, "Dave's anonymous idea", true)
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(anonPosts(e, apptest.Leaders)) == 3 }); err != nil {
		t.Fatalf("anonymous posts = %d; want the 3 together: %v\n%s", len(anonPosts(e, apptest.Leaders)), err, dump(e.Emu.Messages(apptest.Leaders)))
	}
	for _, m := range anonPosts(e, apptest.Leaders) {
		txt := m.AllText()
		if !strings.Contains(txt, "One of 3 anonymous answers") {
			t.Errorf("post %q; want it to say it is one of 3 posted together", txt)
		}
		for _, never := range []string{"09:", "9:00", "AM", "PM", "Nov 16", "2026"} {
			if strings.Contains(txt, never) {
				t.Errorf("anonymous post shows a time (%q): %q", never, txt)
			}
		}
		var labels []string
		for _, b := range m.Buttons() {
			labels = append(labels, b.Text)
		}
		if strings.Join(labels, ",") != "Reply,Commit to this" {
			t.Errorf("anonymous post buttons = %v; want Reply and Commit to this", labels)
		}
	}
}

// Answers still held when the next round opens join its batch.
func TestFeedbackHeldAnswersJoinTheNextRound(t *testing.T) {
	e := startLoop(t, feedbackPolicy(yearlySpec, yearlySpec, true), 1)
	e.runNow(jobs.JobFeedback)
	e.fbAnswer(apptest.Alice, "first week, Alice", true)
	e.fbAnswer(apptest.Erin, "first week, Erin", true)

	e.Clock.Advance(7 * 24 * time.Hour)
	e.runNow(jobs.JobFeedback)
	q2 := e.waitDMText(apptest.Dave, "This week's question")
	if _, err := e.Emu.Click(e.Ctx(), apptest.Dave, q2, "Answer"); err != nil {
		t.Fatal(err)
	}
	e.fbSubmit(apptest.Dave, "second week, Dave", true)
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(anonPosts(e, apptest.Leaders)) == 3 }); err != nil {
		t.Fatalf("the next round's batch has %d posts; want 3 (two held from last week): %v", len(anonPosts(e, apptest.Leaders)), err)
	}
	all := dump(anonPosts(e, apptest.Leaders))
	for _, want := range []string{"first week, Alice", "first week, Erin", "second week, Dave"} {
		if !strings.Contains(all, want) {
			t.Errorf("batch lacks %q:\n%s", want, all)
		}
	}
}

// secrets are what would give Alice away.
func aliceSecrets(e *fbEnv) []string {
	return []string{apptest.Alice, e.Emu.DMChannelID(apptest.Alice), "alice", "Alice Adams"}
}

// toAlice reports whether call c is addressed to Alice herself (her DM, the
// DM's opening, her own views).
func toAlice(e *fbEnv, c slackemu.Call) bool {
	for _, p := range []string{"channel", "users", "user"} {
		if v := c.Param(p); v == apptest.Alice || v == e.Emu.DMChannelID(apptest.Alice) {
			return true
		}
	}
	return false
}

// A leader replies to an anonymous answer: Alice gets the reply by DM; no
// Slack call to anyone else, no view of the leader and no log line holds
// anything of her; the post shows who replied; the submission redelivered
// relays once. A named answer's reply reaches its author too.
func TestFeedbackReplyToAnonymousAnswerLeaksNothing(t *testing.T) {
	e := startLoop(t, noFloor(feedbackPolicy(yearlySpec, yearlySpec, true)), 1)
	e.runNow(jobs.JobFeedback)
	fromLog := len(e.Logs.String())
	fromCall := len(e.Emu.Calls(""))

	e.fbAnswer(apptest.Alice, "Please stop the surprise weekend shifts.", true)
	post := e.waitAnswerPost(apptest.Leaders, "surprise weekend shifts")
	ack := e.reply(apptest.Bob, post, "Heard you. From December, rotas are out two weeks ahead.")
	if ack.ResponseAction != "update" || !strings.Contains(string(ack.Payload), "Sent") {
		t.Errorf("reply ack = %q %s; want the modal to say it was sent", ack.ResponseAction, ack.Payload)
	}
	dm := e.waitDMText(apptest.Alice, "rotas are out two weeks ahead")
	for _, want := range []string{"replied to your feedback", "surprise weekend shifts", "without telling them who you are"} {
		if !strings.Contains(dm.AllText(), want) {
			t.Errorf("Alice's DM %q lacks %q", dm.AllText(), want)
		}
	}
	if _, err := e.Emu.Redeliver(e.Ctx(), ack.EnvelopeID, "timeout"); err != nil {
		t.Fatalf("redeliver the reply: %v", err)
	}
	_, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "surprise weekend") && strings.Contains(m.AllText(), "Replied by <@"+apptest.Bob+">")
	})
	if err != nil {
		t.Fatalf("the post does not show Bob replied: %v\n%s", err, dump(e.Emu.Messages(apptest.Leaders)))
	}

	// A named answer: the reply reaches Erin, without the anonymity note.
	e.fbAnswer(apptest.Erin, "A second van for the north route.", false)
	named := e.waitAnswerPost(apptest.Leaders, "second van")
	e.reply(apptest.Carol, named, "Ordering one this week.")
	ed := e.waitDMText(apptest.Erin, "Ordering one this week")
	if strings.Contains(ed.AllText(), "anonymous") {
		t.Errorf("Erin's reply DM speaks of anonymity: %q", ed.AllText())
	}

	// Wait for the last envelope's log line, then check everything.
	if err := apptest.WaitFor(5*time.Second, func() bool {
		return strings.Count(e.Logs.String()[fromLog:], `"route":"feedback_reply"`) >= 3
	}); err != nil {
		t.Logf("envelope log lines of the replies not all seen: %v", err)
	}
	aliceDMs := 0
	for _, c := range e.Emu.Calls("")[fromCall:] {
		if toAlice(e, c) {
			aliceDMs++
			continue
		}
		raw, _ := json.Marshal(c.Params)
		for _, s := range aliceSecrets(e) {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s call to someone else exposes %q: %s", c.Method, s, raw)
			}
		}
	}
	if aliceDMs == 0 {
		t.Error("no call reached Alice: the leak check checked nothing addressed to her")
	}
	for _, leader := range []string{apptest.Bob, apptest.Carol} {
		for _, v := range e.Emu.OpenViews(leader) {
			raw, _ := json.Marshal(v)
			for _, s := range aliceSecrets(e) {
				if strings.Contains(string(raw), s) {
					t.Errorf("%s's view %s exposes %q: %s", leader, v.CallbackID, s, raw)
				}
			}
		}
	}
	for _, line := range strings.Split(e.Logs.String()[fromLog:], "\n") {
		for _, s := range aliceSecrets(e) {
			if strings.Contains(line, s) {
				t.Errorf("log line exposes %q: %s", s, line)
			}
		}
	}
	replies := 0
	for _, m := range e.Emu.DMs(apptest.Alice) {
		if strings.Contains(m.AllText(), "rotas are out") {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("Alice got the reply %d times; want once (redelivery changes nothing)", replies)
	}
}

// Commit to this on a named and on an anonymous answer: specific form
// errors; a commitment to Erin, and one to the team (listed to each member
// as "to your team"); a second commitment refused; reminded; done → "You
// said … — we did …" to Erin and to every member of the team; the next
// round's DM opens with what was done.
func TestFeedbackCommitToThisClosesTheLoop(t *testing.T) {
	e := startLoop(t, noFloor(feedbackPolicy(yearlySpec, yearlySpec, true)), 1)
	e.runNow(jobs.JobFeedback)

	e.fbAnswer(apptest.Erin, "A second van for the north route.", false)
	named := e.waitAnswerPost(apptest.Leaders, "second van")
	v, ack := e.commitTo(apptest.Bob, named, "Order a second van", "someday")
	if ack.Errors["fb_when"] == "" {
		t.Errorf("an unreadable date: errors %v; want one on the date", ack.Errors)
	}
	ack = e.submitCommit(apptest.Bob, v, "  ", "friday")
	if ack.Errors["fb_what"] == "" {
		t.Errorf("no text: errors %v; want one on what", ack.Errors)
	}
	ack = e.submitCommit(apptest.Bob, v, "Order a second van", "yesterday")
	if !strings.Contains(ack.Errors["fb_when"], "past") {
		t.Errorf("a past date: errors %v; want 'in the past' on the date", ack.Errors)
	}
	ack = e.submitCommit(apptest.Bob, v, "Order a second van", "friday")
	if ack.ResponseAction != "update" || !strings.Contains(string(ack.Payload), "Committed") {
		t.Fatalf("commit ack = %q %v %s; want committed", ack.ResponseAction, ack.Errors, ack.Payload)
	}
	e.waitDMText(apptest.Erin, "committed to you, answering your feedback")
	posted, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "second van") && strings.Contains(m.AllText(), "<@"+apptest.Bob+"> committed to this")
	})
	if err != nil {
		t.Fatalf("the post does not show Bob's commitment: %v\n%s", err, dump(e.Emu.Messages(apptest.Leaders)))
	}
	for _, b := range posted.Buttons() {
		if b.Text == "Commit to this" {
			t.Error("the post still offers Commit to this after Bob committed")
		}
	}
	// Carol clicks the old post's Commit to this: refused, naming Bob.
	if _, err := e.Emu.Click(e.Ctx(), apptest.Carol, named, "Commit to this"); err != nil {
		t.Fatal(err)
	}
	if err := apptest.WaitFor(10*time.Second, func() bool {
		for _, m := range append(e.Emu.Ephemerals(apptest.Carol), e.Emu.DMs(apptest.Carol)...) {
			if strings.Contains(m.AllText(), "already committed") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Errorf("Carol was not told Bob committed already: %v", err)
	}

	// The anonymous answer: a commitment to the team.
	e.fbAnswer(apptest.Alice, "Stop the surprise weekend shifts.", true)
	anon := e.waitAnswerPost(apptest.Leaders, "surprise weekend")
	_, ack = e.commitTo(apptest.Bob, anon, "Publish rotas two weeks ahead", "friday")
	if ack.ResponseAction != "update" || !strings.Contains(string(ack.Payload), "the team") {
		t.Fatalf("team commit ack = %q %v %s; want committed to the team", ack.ResponseAction, ack.Errors, ack.Payload)
	}
	team := []string{apptest.Alice, apptest.Dave, apptest.Erin}
	for _, p := range team {
		e.waitDMText(p, "committed to your team")
		list := e.Command(p, "commitments")
		if !strings.Contains(list.AllText(), "your team") || !strings.Contains(list.AllText(), "Publish rotas") {
			t.Errorf("%s's commitments = %q; want the team's, 'to your team'", p, list.AllText())
		}
	}

	// Thursday: both come due; Bob is reminded and marks them done.
	e.Clock.Advance(3 * 24 * time.Hour)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobCommitmentReminders); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Order a second van", "Publish rotas"} {
		r, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
			if !strings.Contains(m.AllText(), want) {
				return false
			}
			for _, b := range m.Buttons() {
				if b.Text == "Done" {
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("no reminder of %q to Bob: %v\n%s", want, err, dump(e.Emu.DMs(apptest.Bob)))
		}
		if want == "Publish rotas" && !strings.Contains(r.AllText(), "team") {
			t.Errorf("the reminder of the team's commitment = %q; want it to name the team", r.AllText())
		}
		if _, err := e.Emu.Click(e.Ctx(), apptest.Bob, r, "Done"); err != nil {
			t.Fatalf("Bob clicks Done: %v", err)
		}
	}
	erin := e.waitDMText(apptest.Erin, "You said … — we did …")
	if !strings.Contains(erin.AllText(), "second van for the north route") || !strings.Contains(erin.AllText(), "Order a second van") {
		t.Errorf("Erin's loop DM = %q; want what she said and what was done", erin.AllText())
	}
	for _, p := range team {
		m := e.waitDMText(p, "We did: *Publish rotas two weeks ahead*. <@U0BOB> saw to it. Thank you")
		if !strings.Contains(m.AllText(), "Someone in your team said") {
			t.Errorf("%s's team loop DM = %q", p, m.AllText())
		}
	}

	// Monday: the next round's DM opens with what was done.
	e.Clock.Advance(4 * 24 * time.Hour)
	e.runNow(jobs.JobFeedback)
	next := e.waitDMText(apptest.Erin, "Since the last question")
	for _, want := range []string{"second van for the north route", "Order a second van", "Publish rotas", "This week's question"} {
		if !strings.Contains(next.AllText(), want) {
			t.Errorf("Erin's next feedback DM lacks %q: %q", want, next.AllText())
		}
	}
	dave := e.waitDMText(apptest.Dave, "Since the last question")
	if strings.Contains(dave.AllText(), "second van") || !strings.Contains(dave.AllText(), "Publish rotas") {
		t.Errorf("Dave's next DM = %q; want only the team's news", dave.AllText())
	}
}

// Stats and the digest count replies and commitments made from feedback
// and kept; a team's response rate is shown only for a team of at least
// the anonymity floor (3): north (Erin alone) has none, south (the crew)
// has one.
func TestFeedbackStatsCountTheLoopAndHideSmallTeamsRates(t *testing.T) {
	pol := noFloor(feedbackPolicy(yearlySpec, yearlySpec, false)) + `
  anonymity_floor: 3
teams:
  - name: north
    members: [` + apptest.Erin + `]
  - name: south
    members: [` + crewGroup + `]
`
	pol = strings.Replace(pol, "  anonymity_floor: 1\n", "", 1)
	e := startLoop(t, pol, 1)
	e.runNow(jobs.JobFeedback)
	e.fbAnswer(apptest.Erin, "A second van for the north route.", false)
	post := e.waitAnswerPost(apptest.Leaders, "second van")
	e.reply(apptest.Bob, post, "Ordering one.")
	e.waitDMText(apptest.Erin, "Ordering one")
	e.commitTo(apptest.Bob, post, "Order a second van", "tomorrow")
	e.waitDMText(apptest.Erin, "committed to you")
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobCommitmentReminders); err != nil {
		t.Fatal(err)
	}
	r, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Order a second van") && len(m.Buttons()) > 0
	})
	if err != nil {
		t.Fatalf("no reminder: %v", err)
	}
	if _, err := e.Emu.Click(e.Ctx(), apptest.Bob, r, "Done"); err != nil {
		t.Fatal(err)
	}
	e.waitDMText(apptest.Erin, "You said … — we did …")

	st := e.Command(apptest.Bob, "stats").AllText()
	t.Logf("Bob's stats:\n%s", st)
	wantText(t, "Bob's stats", st, []string{
		"*Closing the loop*: 1 reply to feedback · 1 commitment from feedback, 1 kept",
		"feedback rate kept private (fewer than 3 people)",
		"*south*",
		"feedback 0% answered",
	})
	for _, line := range strings.Split(st, "\n") {
		if strings.Contains(line, "*north*") && strings.Contains(line, "% answered") {
			t.Errorf("north's rate (one person) is shown: %s", line)
		}
	}
	tick := e.Clock.Now().Add(time.Minute)
	if err := e.Bots()[0].App.Handlers.Digest(e.Ctx(), tick); err != nil {
		t.Fatal(err)
	}
	d, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Weekly digest") })
	if err != nil {
		t.Fatalf("no digest: %v", err)
	}
	t.Logf("digest:\n%s", d.AllText())
	wantText(t, "the digest", d.AllText(), []string{
		"*Closing the loop*: 1 reply to feedback",
		"• *north*", "feedback rate kept private (fewer than 3 people)",
	})
}
