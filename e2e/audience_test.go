package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// A frontline user group that Slack does not know (a typo in the policy, a
// deleted group) is left out with a warning: the people named directly and
// the other groups still get this week's question.
func TestFeedbackUnknownGroupStillReachesEveryoneElse(t *testing.T) {
	pol := strings.Replace(apptest.DefaultPolicy, "frontline: [S0FRONTLINE, U0DAVE]",
		"frontline: [S0NOSUCHGROUP, S0FRONTLINE, U0DAVE]", 1)
	e := apptest.Start(t, apptest.Options{Policy: pol})
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobFeedback); err != nil {
		t.Fatalf("feedback run with an unknown group: %v", err)
	}
	for _, u := range []string{apptest.Dave, apptest.Alice, apptest.Erin} {
		n := 0
		for _, m := range e.Emu.DMs(u) {
			for _, b := range m.Buttons() {
				if b.Text == "Answer" {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("%s got %d feedback DMs, want 1", u, n)
		}
	}
	if len(e.Logs.Lines("S0NOSUCHGROUP")) == 0 {
		t.Errorf("no warning names the unknown group:\n%s", e.Logs.String())
	}
}

// An approver user group that Slack does not know leaves the rest of its
// level, and the levels above, able to answer.
func TestApproveWithAnUnknownApproverGroup(t *testing.T) {
	pol := strings.Replace(apptest.DefaultPolicy, "approvers: [U0BOB]", "approvers: [S0NOSUCHGROUP, U0BOB]", 1)
	e := apptest.Start(t, apptest.Options{Policy: pol})
	res := e.Command(apptest.Dave, "discount 1500 for ACME renewal")
	id := regexp.MustCompile(`D-[0-9A-Z]+`).FindString(res.AllText())
	if id == "" {
		t.Fatalf("no decision ID in %q", res.AllText())
	}
	msg, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), id) && len(m.Buttons()) > 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.Click(e.Ctx(), apptest.Carol, msg, "Approve"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		return m.TS == msg.TS && len(m.Buttons()) == 0 && strings.Contains(m.AllText(), "Approved by")
	}); err != nil {
		t.Fatalf("the manager could not approve: %v\n%v", err, e.Emu.Ephemerals(apptest.Carol))
	}
}

// A Slack that does not take a user ID as the channel of a DM
// (channel_not_found): the fan-out opens the DM with conversations.open
// and still reaches everyone once.
func TestFeedbackDMWhenUserIDIsNotAChannel(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	e.Emu.InjectError("chat.postMessage", 1, "channel_not_found")
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobFeedback); err != nil {
		t.Fatalf("feedback run: %v", err)
	}
	for _, u := range []string{apptest.Dave, apptest.Alice, apptest.Erin} {
		n := 0
		for _, m := range e.Emu.DMs(u) {
			for _, b := range m.Buttons() {
				if b.Text == "Answer" {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("%s got %d feedback DMs, want 1", u, n)
		}
	}
	if n := e.Emu.CallCount("conversations.open"); n != 1 {
		t.Errorf("conversations.open called %d times, want 1 (for the refused DM)", n)
	}
}
