package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

// markCrashed records slash command trigger as "in progress" by a replica
// that died: its lease ran out long ago.
func markCrashed(t *testing.T, e *decisionEnv, trigger string) {
	t.Helper()
	key := store.NewKeys(e.Prefix).Team(apptest.Team, "dedupe", "slash", trigger)
	if err := e.Redis.Client(t).Set(context.Background(), key, "p:1000:crashed-replica", time.Hour).Err(); err != nil {
		t.Fatalf("mark in progress: %v", err)
	}
}

// decisionsOf returns how many decisions requester has logged.
func decisionsOf(t *testing.T, e *decisionEnv, requester string) int64 {
	t.Helper()
	key := store.NewKeys(e.Prefix).Team(apptest.Team, "decisions", "by-requester", requester)
	n, err := e.Redis.Client(t).ZCard(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("count decisions: %v", err)
	}
	return n
}

// cardsFor returns the escalation cards naming decision id.
func cardsFor(e *decisionEnv, id string) int {
	n := 0
	for _, m := range e.Emu.Messages(apptest.Escalations) {
		if m.ThreadTS == "" && strings.Contains(m.AllText(), id) {
			n++
		}
	}
	return n
}

func ackText(t *testing.T, a slackemu.Ack) string {
	t.Helper()
	var body struct {
		Text string `json:"text"`
	}
	if len(a.Payload) == 0 || string(a.Payload) == "null" {
		return ""
	}
	if err := json.Unmarshal(a.Payload, &body); err != nil {
		t.Fatalf("ack payload %s: %v", a.Payload, err)
	}
	return body.Text
}

// A replica marked the command in progress and died before logging it:
// the command, delivered again, is handled (not dropped as a duplicate).
func TestCommandMarkedByACrashedReplicaIsHandled(t *testing.T) {
	e := startDecisions(t, apptest.Options{NoBot: true})
	envID, err := e.Emu.SendSlashCommand(e.Ctx(), apptest.Dave, apptest.General, "discount 900 for ACME customer threatened to leave")
	if err != nil {
		t.Fatal(err)
	}
	markCrashed(t, e, e.Emu.SlashTrigger(envID))
	e.StartBot()
	res, err := e.Emu.WaitSlashResult(e.Ctx(), envID)
	if err != nil {
		t.Fatalf("command not acked: %v", err)
	}
	id := decisionIDRe.FindString(res.AllText())
	if id == "" {
		t.Fatalf("reply = %q, want the decision logged (an ID)", res.AllText())
	}
	e.escalation(id, "ACME")
	if n := decisionsOf(t, e, apptest.Dave); n != 1 {
		t.Errorf("decisions logged = %d, want 1", n)
	}
}

// The replica logged the decision and died before its ack: Slack's
// redelivery gets the same answer, the decision is stored once and its
// card posted once.
func TestRedeliveryAfterACrashAfterTheChangeIsConfirmedOnce(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	res, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	if id == "" {
		t.Fatalf("reply = %q, want a decision ID", res.AllText())
	}
	e.escalation(id, "ACME")
	markCrashed(t, e, res.TriggerID)
	ack, err := e.Emu.Redeliver(e.Ctx(), res.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	if ack.Attempt != 1 {
		t.Errorf("redelivery attempt = %d, want 1", ack.Attempt)
	}
	if got := ackText(t, ack); got != res.Text {
		t.Errorf("redelivery answer = %q, want the first answer %q", got, res.Text)
	}
	if n := decisionsOf(t, e, apptest.Dave); n != 1 {
		t.Errorf("decisions logged = %d, want 1", n)
	}
	if n := cardsFor(e, id); n != 1 {
		t.Errorf("cards for %s = %d, want 1", id, n)
	}
}

// A redelivery of a command that was handled and answered gets the same
// answer again and changes nothing.
func TestRedeliveryOfAFinishedCommandGetsTheSameAnswer(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	res, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	e.escalation(id, "ACME")
	ack, err := e.Emu.Redeliver(e.Ctx(), res.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	if got := ackText(t, ack); got == "" || got != res.Text {
		t.Errorf("redelivery answer = %q, want the first answer %q", got, res.Text)
	}
	if n := decisionsOf(t, e, apptest.Dave); n != 1 {
		t.Errorf("decisions logged = %d, want 1", n)
	}
	if n := cardsFor(e, id); n != 1 {
		t.Errorf("cards for %s = %d, want 1", id, n)
	}
}

// One 503 on chat.update after an approval: the call is retried and the
// card ends without buttons.
func TestApprovedCardLosesItsButtonsThrough5xx(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	e.Emu.InjectStatus("chat.update", 1, 503)
	e.click(apptest.Bob, card, "Approve")
	e.waitUpdated(card.TS, "approved without buttons", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
}

// Slack fails every try of the card's update after an approval: the repair
// job brings the card in line (no buttons left) once Slack is back.
func TestRepairUpdatesTheCardOfADecidedDecision(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	e.Emu.InjectStatus("chat.update", 3, 503)
	e.click(apptest.Bob, card, "Approve")
	e.waitDM(apptest.Dave, "approved")
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(e.Emu.Calls("chat.update")) >= 3 }); err != nil {
		t.Fatalf("chat.update calls = %d, want 3 failed tries", len(e.Emu.Calls("chat.update")))
	}
	if m, _ := e.Emu.Message(apptest.Escalations, card.TS); len(m.Buttons()) == 0 {
		t.Fatalf("the card lost its buttons although every update failed: %s", m.AllText())
	}
	e.Clock.Advance(2 * time.Minute)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
		t.Fatalf("run escalation_timeouts: %v", err)
	}
	e.waitUpdated(card.TS, "approved without buttons", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
	// Repaired once: the next run updates nothing.
	n := len(e.Emu.Calls("chat.update"))
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
		t.Fatalf("run escalation_timeouts: %v", err)
	}
	if got := len(e.Emu.Calls("chat.update")); got != n {
		t.Errorf("a second repair run made %d chat.update calls, want 0", got-n)
	}
}
