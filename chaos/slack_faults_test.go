package chaos

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// faults injects, on each method, the failures Slack really answers: a
// 503 (not on the methods a retry cannot repeat the effect of, such as
// views.open with its one-time trigger_id), a 429 with Retry-After 1 s and a
// 2.5 s answer, in that order, as the next calls of the method; on
// chat.postMessage, then a 504 after the message was posted (Slack's front
// end giving up on a call its back end completed): the bot cannot tell a
// 503 that did not post from a 504 that did but by reading the channel.
func faults(emu *slackemu.Server, methods map[string]bool) {
	for m, with503 := range methods {
		if with503 {
			emu.InjectStatus(m, 1, 503)
		}
		emu.InjectRateLimit(m, 1, time.Second)
		emu.InjectDelay(m, 1, 2500*time.Millisecond)
		if m == "chat.postMessage" {
			emu.InjectStatusAfter(m, 1, 504)
		}
	}
}

// Slack failing on every Web API method the bot uses while people log
// decisions and answer them: a 503, a 429 with Retry-After and a 2.5 s
// answer each. Promised: every envelope acknowledged within Slack's 3 s;
// every person answered; every card posted once and left in its final
// state (approved, escalated, declined) with no buttons; the requester told
// of each answer by exactly one DM, although chat.postMessage answered 503
// (not posted) and 504 (posted) to cards and DMs.
func TestSlackFaults(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, WorldOptions{})
	emu := w.Emu
	// Start-up: the workspace checks fail first.
	faults(emu, map[string]bool{"auth.test": true, "conversations.info": true})
	bot := w.StartBot()
	bot.ErrorsOK = true // failed calls are logged
	bot.WaitReady()

	// Logging: the card, the confirmation's DM channel, the directory and
	// the App Home all go through failing calls. The cards' posts answer
	// 503 (not posted) and 504 (posted): the bot reads the channel's
	// history (which fails too) before posting again.
	faults(emu, map[string]bool{
		"chat.postMessage": true, "conversations.history": true, "chat.postEphemeral": false,
		"conversations.open": true, "users.info": true, "usergroups.users.list": true,
		"usergroups.list": true, "views.publish": true,
	})
	cmds := Decisions(12)
	res := w.Run(Load{Rate: 4, Commands: cmds})
	f := Tally(res)
	for _, r := range res {
		if !r.Confirmed {
			t.Errorf("command %d %q: reply %q (late %v), %v", r.Index, r.Text, r.Reply, r.Late, r.Err)
		}
	}
	var cards []slackemu.Message
	for _, r := range res {
		if !r.Above || !r.Confirmed {
			continue
		}
		c, err := w.WaitCard(apptest.Escalations, r.Decision, func(m slackemu.Message) bool { return HasButton(m, "Approve") })
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, c)
	}
	if len(cards) != 4 {
		t.Fatalf("%d cards, want 4", len(cards))
	}

	// Answering: every card update, DM and the decline modal fail first.
	faults(emu, map[string]bool{
		"chat.update": true, "chat.postMessage": true, "conversations.history": true, "views.open": true, "views.update": true,
	})
	ctx := w.Ctx()
	approve, escalate, decline := cards[:2], cards[2], cards[3]
	for _, c := range approve {
		if _, err := emu.Click(ctx, apptest.Bob, c, "Approve"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := emu.Click(ctx, apptest.Bob, escalate, "Escalate"); err != nil {
		t.Fatal(err)
	}
	// The decline modal: views.open answers 503 once (a trigger_id cannot be
	// used twice, so it is not retried) and the person is told to try
	// again; the second click opens it.
	declineID := decisionID.FindString(decline.AllText())
	var modal slackemu.View
	tries := 0
	for modal.ID == "" && tries < 3 {
		tries++
		before := len(emu.Ephemerals(apptest.Bob))
		if _, err := emu.Click(ctx, apptest.Bob, decline, "Decline"); err != nil {
			t.Fatal(err)
		}
		if err := apptest.WaitFor(stepTimeout, func() bool {
			for _, v := range emu.OpenViews(apptest.Bob) {
				if v.CallbackID == "decision_decline_reason" && strings.Contains(v.AllText(), declineID) {
					modal = v
					return true
				}
			}
			return len(emu.Ephemerals(apptest.Bob)) > before
		}); err != nil {
			t.Fatalf("Decline: no modal and no word to Bob: %v", err)
		}
	}
	if modal.ID == "" {
		t.Fatalf("no decline modal after %d clicks", tries)
	}
	ack, err := emu.SubmitView(ctx, apptest.Bob, modal.ID, slackemu.Values{}.Set("reason", "reason", "over the quarter's budget"))
	if err != nil {
		t.Fatal(err)
	}
	f.MaxAck = max(f.MaxAck, ack.Latency)

	final := func(c slackemu.Message, want string) {
		t.Helper()
		if _, err := w.WaitCard(apptest.Escalations, decisionID.FindString(c.AllText()), func(m slackemu.Message) bool {
			return m.TS == c.TS && len(m.Buttons()) == 0 && strings.Contains(m.AllText(), want)
		}); err != nil {
			m, _ := emu.Message(apptest.Escalations, c.TS)
			t.Errorf("card not %q: %v\n%s %v", want, err, m.AllText(), m.Buttons())
		}
	}
	for _, c := range approve {
		final(c, "Approved by")
	}
	final(escalate, "Now with the *manager*, on a new card")
	final(decline, "Declined by")
	escID := decisionID.FindString(escalate.AllText())
	if _, err := w.WaitCard(apptest.Escalations, escID, func(m slackemu.Message) bool {
		return m.TS != escalate.TS && HasButton(m, "Approve") && strings.Contains(m.AllText(), "<@"+apptest.Carol+">")
	}); err != nil {
		t.Errorf("no manager's card for %s: %v", escID, err)
	}
	told := func(c slackemu.Message) string {
		id := decisionID.FindString(c.AllText())
		user := requesterOf(cmds, res, id)
		if _, err := emu.WaitDM(w.Ctx(), user, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), id) }); err != nil {
			t.Errorf("%s not told of %s: %v", user, id, err)
		}
		return user
	}
	var answered []slackemu.Message
	answered = append(answered, approve...)
	answered = append(answered, decline)
	users := map[string]string{}
	for _, c := range answered {
		users[decisionID.FindString(c.AllText())] = told(c)
	}
	bot.Stop()

	// At rest: one card per level, one DM per answer.
	for id, n := range w.CardsByDecision(apptest.Escalations) {
		want := 1
		if id == escID {
			want = 2
		}
		if n != want {
			f.Duplicates += max(0, n-want)
			t.Errorf("%d cards for %s, want %d", n, id, want)
		}
	}
	for id, u := range users {
		if n := len(w.DMsWith(u, id)); n != 1 {
			f.Duplicates += max(0, n-1)
			t.Errorf("%s got %d DMs about %s, want 1", u, n, id)
		}
	}
	// Every envelope, clicks and the submission included, within 3 s.
	for _, l := range emu.AckLatencies() {
		f.MaxAck = max(f.MaxAck, l)
		if l > ackBound {
			t.Errorf("an envelope was acknowledged after %v, beyond Slack's %v", l, ackBound)
		}
	}
	CheckAckBound(t, res)
	// Every method the bot called had its faults.
	failed, used := map[string]bool{}, map[string]bool{}
	for _, c := range emu.Calls("") {
		used[c.Method] = true
		if !c.OK || c.Status != 200 {
			failed[c.Method] = true
		}
	}
	var unfaulted, methods []string
	for m := range used {
		methods = append(methods, m)
		if !failed[m] && m != "apps.connections.open" {
			unfaulted = append(unfaulted, m)
		}
	}
	sort.Strings(methods)
	if len(unfaulted) > 0 {
		slices.Sort(unfaulted)
		t.Errorf("methods the bot used that never failed in this test: %v (inject faults on them too)", unfaulted)
	}
	posts5xx := 0
	for _, c := range emu.Calls("chat.postMessage") {
		if c.Status >= 500 {
			posts5xx++
		}
	}
	if posts5xx < 4 {
		t.Errorf("chat.postMessage answered a 5xx %d times, want 4 (a 503 and a 504 in each phase)", posts5xx)
	}
	f.Extra = append(f.Extra, fmt.Sprintf("decline_clicks=%d post_5xx=%d history_reads=%d methods=%s",
		tries, posts5xx, emu.CallCount("conversations.history"), strings.Join(methods, ",")))
	f.Report(t)
}

// requesterOf returns who logged decision id in a load.
func requesterOf(cmds []Command, res []Result, id string) string {
	for i, r := range res {
		if r.Decision == id {
			return cmds[i].User
		}
	}
	return ""
}
