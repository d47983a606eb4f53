package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// countWith counts the messages of ms whose text contains every one of subs.
func countWith(ms []slackemu.Message, subs ...string) int {
	n := 0
	for _, m := range ms {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(m.AllText(), s)
		}
		if all {
			n++
		}
	}
	return n
}

// A replica posted praise, a win, a commitment or an ask and died before
// its ack (its claim left "in progress", lease run out): Slack's
// redelivery is handled again, and posts, stores and tells nothing twice.
func TestRedeliveredPraiseWinCommitAfterACrashChangeNothingTwice(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	cases := []struct {
		name, user, text string
		count            func() int
	}{
		{"praise", apptest.Dave, "praise <@U0ALICE|alice> stayed late to fix the van #courage", func() int {
			return countWith(e.Emu.Messages(apptest.Praise), "stayed late to fix the van")
		}},
		{"win", apptest.Dave, "win closed the ACME renewal <@U0ERIN|erin> #ownership", func() int {
			return countWith(e.Emu.Messages(apptest.Praise), "closed the ACME renewal")
		}},
		{"commit", apptest.Bob, "commit <@U0DAVE|dave> a training budget by in 2 weeks", func() int {
			return countWith(e.Emu.DMs(apptest.Dave), "training budget")
		}},
		{"ask", apptest.Dave, "ask <@U0BOB|bob> a second van for Tuesdays", func() int {
			return countWith(e.Emu.DMs(apptest.Bob), "second van for Tuesdays")
		}},
	}
	for _, c := range cases {
		res := e.Command(c.user, c.text)
		if strings.Contains(res.AllText(), "try again") {
			t.Fatalf("%s: reply %q", c.name, res.AllText())
		}
		if err := apptest.WaitFor(30*time.Second, func() bool { return c.count() >= 1 }); err != nil {
			t.Fatalf("%s: nothing posted: %v", c.name, err)
		}
		markCrashed(t, e, res.TriggerID)
		ack, err := e.Emu.Redeliver(e.Ctx(), res.EnvelopeID, "timeout")
		if err != nil {
			t.Fatalf("%s: redelivery not acked: %v", c.name, err)
		}
		if got := ackText(t, ack); got != res.Text {
			t.Errorf("%s: redelivery answer = %q, want the first answer %q", c.name, got, res.Text)
		}
	}
	// At rest (the bot stopped: everything it would send went out).
	e.StopAll()
	for _, c := range cases {
		if n := c.count(); n != 1 {
			t.Errorf("%s: %d posts or DMs after the redelivery, want 1", c.name, n)
		}
	}
	byLeader, _, err := e.store.CommitmentsOf(e.Ctx(), apptest.Team, apptest.Bob, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(byLeader) != 2 {
		t.Errorf("Bob's commitments and asks = %d, want 2 (one commit, one ask)", len(byLeader))
	}
}
