package e2e

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// remindPolicy is the default policy with remind_after 2h at the
// team-lead (respond_within 4h) and 12h at the manager (24h), and a second
// team-lead approver through a user group (S0LEADS: Bob again, and
// Mallory), so that a reminder goes to each person once however they are
// named.
var remindPolicy = strings.NewReplacer(
	"approvers: [U0BOB]", "approvers: [U0BOB, S0LEADS]",
	"respond_within: 4h", "respond_within: 4h\n    remind_after: 2h",
	"respond_within: 24h", "respond_within: 24h\n    remind_after: 12h",
).Replace(apptest.DefaultPolicy)

const leads = "S0LEADS"

// startReminders starts replicas on remindPolicy.
func startReminders(t *testing.T, replicas int) *decisionEnv {
	t.Helper()
	e := startDecisions(t, apptest.Options{Policy: remindPolicy, NoBot: true})
	e.Emu.AddUserGroup(leads, "leads", apptest.Bob, apptest.Mallory)
	if e.Policy.RemindAfter(0) != 2*time.Hour || e.Policy.RemindAfter(1) != 12*time.Hour {
		t.Fatalf("test policy: remind_after %s and %s", e.Policy.RemindAfter(0), e.Policy.RemindAfter(1))
	}
	for range replicas {
		e.StartBot()
	}
	return e
}

// runReminders runs the escalation_timeouts job on every replica, and its
// reminder step directly on each, several times at once, as replicas whose
// ticks overlap would.
func (e *decisionEnv) runReminders() { e.runRemindersOn(e.Bots()) }

// runRemindersOn is runReminders on the running replicas bots.
func (e *decisionEnv) runRemindersOn(bots []*apptest.Bot) {
	e.t.Helper()
	var wg sync.WaitGroup
	for _, b := range bots {
		for range 2 {
			wg.Go(func() {
				if err := b.App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil && !errors.Is(err, jobs.ErrNotClaimed) {
					e.t.Errorf("run escalation_timeouts: %v", err)
				}
			})
			wg.Go(func() {
				if err := b.App.Handlers.Decisions.Reminders(e.Ctx(), apptest.Team); err != nil {
					e.t.Errorf("reminders: %v", err)
				}
			})
		}
	}
	wg.Wait()
}

// reminderDMs are user's DMs that remind them of decision id.
func (e *decisionEnv) reminderDMs(user, id string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range e.Emu.DMs(user) {
		if strings.Contains(m.AllText(), id) && strings.Contains(m.AllText(), "No longer waiting for you") ||
			strings.Contains(m.AllText(), id) && strings.Contains(m.AllText(), "Still waiting for you") {
			out = append(out, m)
		}
	}
	return out
}

// oneReminder waits for user's reminder about id and fails unless there is
// exactly one.
func (e *decisionEnv) oneReminder(user, id string) slackemu.Message {
	e.t.Helper()
	m := e.waitDM(user, "Still waiting for you")
	if !strings.Contains(m.AllText(), id) {
		e.t.Fatalf("reminder to %s is not about %s: %s", user, id, m.AllText())
	}
	if got := e.reminderDMs(user, id); len(got) != 1 {
		e.t.Fatalf("reminders to %s about %s: got %d, want 1:%s", user, id, len(got), dump(got))
	}
	return m
}

// waitDMUpdated waits until user's DM at ts satisfies pred.
func (e *decisionEnv) waitDMUpdated(user, ts, what string, pred func(slackemu.Message) bool) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool { return m.TS == ts && pred(m) })
	if err != nil {
		cur, _ := e.Emu.Message(e.Emu.DMChannelID(user), ts)
		e.t.Fatalf("reminder DM %s to %s never became %s: %v\nit is: %s", ts, user, what, err, cur.AllText())
	}
	return m
}

func TestReminderOncePerApproverAcrossReplicas(t *testing.T) {
	e := startReminders(t, 2)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")

	// Not before remind_after.
	e.Clock.Advance(2*time.Hour - time.Minute)
	e.runReminders()
	for _, u := range []string{apptest.Bob, apptest.Mallory} {
		if got := e.reminderDMs(u, id); len(got) != 0 {
			t.Fatalf("%s reminded before remind_after:%s", u, dump(got))
		}
	}

	e.Clock.Advance(2 * time.Minute)
	e.runReminders()
	bob := e.oneReminder(apptest.Bob, id) // named directly and through the group: once
	mal := e.oneReminder(apptest.Mallory, id)
	for _, m := range []slackemu.Message{bob, mal} {
		txt := m.AllText()
		for _, want := range []string{"<@U0DAVE>", "$900", "ACME", "team lead"} {
			if !strings.Contains(txt, want) {
				t.Errorf("reminder lacks %q: %s", want, txt)
			}
		}
		if got := buttonLabels(m); strings.Join(got, ",") != "Approve,Escalate,Decline" {
			t.Errorf("reminder buttons: got %q, want the card's", got)
		}
	}
	if got, want := buttonLabels(bob), buttonLabels(card); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("reminder buttons %q differ from the card's %q", got, want)
	}
	// The requester is not an approver and gets no reminder.
	if got := e.reminderDMs(apptest.Dave, id); len(got) != 0 {
		t.Errorf("requester reminded:%s", dump(got))
	}
	d := e.decision(id)
	if len(d.ReminderDMs) != 2 {
		t.Errorf("stored reminder DMs: %+v, want Bob's and Mallory's", d.ReminderDMs)
	}

	// Later runs, and a restarted replica, send nothing more.
	e.Clock.Advance(time.Hour)
	e.runReminders()
	if err := e.Bots()[0].Stop(); err != nil {
		t.Fatal(err)
	}
	e.StartBot()
	e.runRemindersOn(e.Bots()[1:])
	for _, u := range []string{apptest.Bob, apptest.Mallory} {
		if got := e.reminderDMs(u, id); len(got) != 1 {
			t.Errorf("reminders to %s after more runs and a restart: got %d, want 1", u, len(got))
		}
	}
	if n := len(e.Emu.Calls("chat.delete")); n != 0 {
		t.Errorf("duplicate reminders were sent and withdrawn: %d", n)
	}
}

func TestReminderDMActsOnTheCard(t *testing.T) {
	e := startReminders(t, 1)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	bob := e.oneReminder(apptest.Bob, id)
	mal := e.oneReminder(apptest.Mallory, id)

	e.click(apptest.Bob, bob, "Approve")
	e.waitUpdated(card.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
	e.waitDM(apptest.Dave, "approved your")
	for _, r := range []struct{ user, ts string }{{apptest.Bob, bob.TS}, {apptest.Mallory, mal.TS}} {
		e.waitDMUpdated(r.user, r.ts, "approved", func(m slackemu.Message) bool {
			return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
		})
	}
	if d := e.decision(id); d.State != domain.StateApproved || d.DecidedBy != apptest.Bob {
		t.Errorf("stored: %s by %s", d.State, d.DecidedBy)
	}
	// A late click from the other DM is told who was first.
	e.click(apptest.Mallory, mal, "Approve")
	e.waitEphemeral(apptest.Mallory, "already approved")
}

func TestReminderFollowsTheCardAndRestartsAtTheNextLevel(t *testing.T) {
	e := startReminders(t, 2)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	bob := e.oneReminder(apptest.Bob, id)

	// Escalate on the card: the reminder says so and loses its buttons.
	e.click(apptest.Bob, card, "Escalate")
	e.waitDMUpdated(apptest.Bob, bob.TS, "moved up", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Now with the *manager*") && len(m.Buttons()) == 0
	})
	next := e.escalation(id, "<@U0CAROL>")

	// The manager's clock starts at the escalation: nothing before 12h.
	e.Clock.Advance(12*time.Hour - time.Minute)
	e.runReminders()
	if got := e.reminderDMs(apptest.Carol, id); len(got) != 0 {
		t.Fatalf("manager reminded before their remind_after:%s", dump(got))
	}
	e.Clock.Advance(2 * time.Minute)
	e.runReminders()
	e.runReminders()
	carol := e.oneReminder(apptest.Carol, id)
	if got := buttonLabels(carol); strings.Join(got, ",") != "Approve,Decline" {
		t.Errorf("top-level reminder buttons: got %q", got)
	}
	for _, u := range []string{apptest.Bob, apptest.Mallory} {
		if got := e.reminderDMs(u, id); len(got) != 1 {
			t.Errorf("team-lead reminders after the move up: %s got %d, want 1", u, len(got))
		}
	}

	// Approve on the card: the manager's reminder follows.
	e.click(apptest.Carol, next, "Approve")
	e.waitDMUpdated(apptest.Carol, carol.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0CAROL>") && len(m.Buttons()) == 0
	})
}

func TestReminderNoneOnceDecided(t *testing.T) {
	e := startReminders(t, 1)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.click(apptest.Bob, card, "Approve")
	e.waitDM(apptest.Dave, "approved your")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	for _, u := range []string{apptest.Bob, apptest.Mallory} {
		if got := e.reminderDMs(u, id); len(got) != 0 {
			t.Errorf("%s reminded of a decided decision:%s", u, dump(got))
		}
	}
}

func TestReminderFollowsTheAppHome(t *testing.T) {
	e := startReminders(t, 1)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	mal := e.oneReminder(apptest.Mallory, id)

	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Bob); err != nil {
		t.Fatal(err)
	}
	home := e.home(apptest.Bob, "the approval", homeHas("Waiting for your answer* (1)", id))
	if _, err := e.Emu.ClickInView(e.Ctx(), apptest.Bob, home.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	e.waitUpdated(card.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
	e.waitDMUpdated(apptest.Mallory, mal.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
}

func TestReminderSkipsLeadersAway(t *testing.T) {
	e := startReminders(t, 1)
	if res := e.Command(apptest.Bob, "away until tomorrow"); !strings.Contains(res.AllText(), "tomorrow") && !strings.Contains(res.AllText(), "until") {
		t.Fatalf("away: %s", res.AllText())
	}
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	e.escalation(id, "team lead")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	e.oneReminder(apptest.Mallory, id)
	if got := e.reminderDMs(apptest.Bob, id); len(got) != 0 {
		t.Errorf("Bob is away and was reminded:%s", dump(got))
	}
	// Back: the next run reminds him, once.
	e.Command(apptest.Bob, "back")
	e.runReminders()
	e.runReminders()
	e.oneReminder(apptest.Bob, id)
}

// A leader away with a delegate: the reminder that would have gone to them
// goes to their delegate, once, and the delegate's answer from it is given
// for the away leader.
func TestReminderGoesToTheDelegateOfALeaderAway(t *testing.T) {
	e := startReminders(t, 1)
	if res := e.Command(apptest.Bob, "away until tomorrow delegate <@"+apptest.Carol+"|carol>"); !strings.Contains(res.AllText(), "<@"+apptest.Carol+">") {
		t.Fatalf("away with a delegate: %s", res.AllText())
	}
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	e.runReminders()
	e.oneReminder(apptest.Mallory, id)
	dm := e.oneReminder(apptest.Carol, id)
	if got := e.reminderDMs(apptest.Bob, id); len(got) != 0 {
		t.Errorf("Bob is away and was reminded:%s", dump(got))
	}
	e.click(apptest.Carol, dm, "Approve")
	e.waitUpdated(card.TS, "approved by the delegate", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@"+apptest.Carol+"> for <@"+apptest.Bob+">")
	})
}

// With teams, a decision's reminder goes to its team's approvers at the
// level, not to the top-level ones.
func TestReminderGoesToTheTeamsApprovers(t *testing.T) {
	pol := strings.Replace(apptest.DefaultPolicy, "respond_within: 4h", "respond_within: 4h\n    remind_after: 2h", 1) + `
teams:
  - name: north
    members: [` + apptest.Erin + `]
    approvers: {team-lead: [` + apptest.Mallory + `]}
`
	e := startDecisions(t, apptest.Options{Policy: pol})
	_, id := e.decide(apptest.Erin, "discount 900 for ACME")
	e.escalation(id, "<@U0MALLORY>")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	e.oneReminder(apptest.Mallory, id)
	if got := e.reminderDMs(apptest.Bob, id); len(got) != 0 {
		t.Errorf("the top-level team lead was reminded of north's decision:%s", dump(got))
	}
}

// With approvals_needed: 2, an approver who approved already is not
// reminded; the one still to answer is, and their answer from the DM
// completes the decision on the card.
func TestReminderSkipsWhoApprovedAlready(t *testing.T) {
	pol := strings.Replace(remindPolicy, "remind_after: 2h", "remind_after: 2h\n    approvals_needed: 2", 1)
	e := startDecisions(t, apptest.Options{Policy: pol, NoBot: true})
	e.Emu.AddUserGroup(leads, "leads", apptest.Bob, apptest.Mallory)
	e.StartBot()
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.click(apptest.Bob, card, "Approve")
	e.waitUpdated(card.TS, "one approval", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "1 of 2") })

	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	mal := e.oneReminder(apptest.Mallory, id)
	if !strings.Contains(mal.AllText(), "1 of 2") {
		t.Errorf("reminder does not show the progress: %s", mal.AllText())
	}
	if got := e.reminderDMs(apptest.Bob, id); len(got) != 0 {
		t.Errorf("Bob approved already and was reminded:%s", dump(got))
	}
	e.click(apptest.Mallory, mal, "Approve")
	e.waitUpdated(card.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by") && len(m.Buttons()) == 0
	})
	e.waitDMUpdated(apptest.Mallory, mal.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by") && len(m.Buttons()) == 0
	})
	if d := e.decision(id); d.State != domain.StateApproved {
		t.Errorf("stored: %s", d.State)
	}
}

// Decline from the reminder DM: its modal, then the card and every reminder
// DM say so, with the reason.
func TestReminderDeclineFromTheDM(t *testing.T) {
	e := startReminders(t, 1)
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	card := e.escalation(id, "team lead")
	e.Clock.Advance(2*time.Hour + time.Minute)
	e.runReminders()
	bob := e.oneReminder(apptest.Bob, id)
	mal := e.oneReminder(apptest.Mallory, id)

	e.click(apptest.Mallory, mal, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Mallory, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		t.Fatalf("no decline modal from the DM: %v", err)
	}
	ack, err := e.Emu.SubmitView(e.Ctx(), apptest.Mallory, v.ID, slackemu.Values{}.Set("reason", "reason", "Margin is too thin"))
	if err != nil || len(ack.Errors) > 0 {
		t.Fatalf("submit decline: %v %v", err, ack.Errors)
	}
	declined := func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Declined by <@U0MALLORY>") && strings.Contains(m.AllText(), "Margin is too thin") && len(m.Buttons()) == 0
	}
	e.waitUpdated(card.TS, "declined", declined)
	e.waitDMUpdated(apptest.Mallory, mal.TS, "declined", declined)
	e.waitDMUpdated(apptest.Bob, bob.TS, "declined", declined)
	e.waitDM(apptest.Dave, "declined your")
}
