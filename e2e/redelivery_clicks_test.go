package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

// markEnvelopeCrashed records envelope id of kind ("action", "view") as
// "in progress" by a replica that died: its lease ran out long ago.
func markEnvelopeCrashed(t *testing.T, e *decisionEnv, kind, id string) {
	t.Helper()
	key := store.NewKeys(e.Prefix).Team(apptest.Team, "dedupe", kind, id)
	if err := e.Redis.Client(t).Set(context.Background(), key, "p:1000:crashed-replica", time.Hour).Err(); err != nil {
		t.Fatalf("mark in progress: %v", err)
	}
}

// afterACrash sends what send sends (a click, a submission) while no
// replica is connected, marks its envelope in progress by a replica that
// died before changing anything (kind, and the trigger followed by
// suffix), then starts a replica, which gets the envelope, and returns its
// ack: the crash between the mark and the state change.
func (e *decisionEnv) afterACrash(t *testing.T, kind, suffix string, send func(ctx context.Context) (slackemu.Ack, error)) slackemu.Ack {
	t.Helper()
	e.StopAll()
	if err := apptest.WaitFor(10*time.Second, func() bool { return e.Emu.Connections() == 0 }); err != nil {
		t.Fatalf("the replicas are still connected: %v", err)
	}
	type sent struct {
		ack slackemu.Ack
		err error
	}
	acks := make(chan sent, 1)
	go func() {
		a, err := send(e.Ctx())
		acks <- sent{a, err}
	}()
	var env string
	if err := apptest.WaitFor(10*time.Second, func() bool {
		if q := e.Emu.Queued(); len(q) > 0 {
			env = q[0]
		}
		return env != ""
	}); err != nil {
		t.Fatalf("nothing sent: %v", err)
	}
	trigger := e.Emu.Trigger(env)
	if trigger == "" {
		t.Fatalf("envelope %s has no trigger_id", env)
	}
	markEnvelopeCrashed(t, e, kind, trigger+suffix)
	e.StartBot()
	r := <-acks
	if r.err != nil {
		t.Fatalf("not acked after the restart: %v", r.err)
	}
	return r.ack
}

// A replica marked Bob's Approve in progress and died before approving:
// the click, delivered again, approves (it is not dropped as a duplicate),
// the card loses its buttons and Dave is told once.
func TestClickMarkedByACrashedReplicaIsHandled(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	e.afterACrash(t, "action", ":"+handlers.ActionApprove, func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.Click(ctx, apptest.Bob, card, "Approve")
	})
	e.waitUpdated(card.TS, "approved without buttons", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
	e.waitDM(apptest.Dave, "approved your")
	if d := e.decision(id); d.State != domain.StateApproved || d.DecidedBy != apptest.Bob {
		t.Errorf("stored: %s by %q, want approved by Bob", d.State, d.DecidedBy)
	}
	e.StopAll()
	if n := countWith(e.Emu.DMs(apptest.Dave), id, "approved your"); n != 1 {
		t.Errorf("Dave got %d DMs of the approval, want 1", n)
	}
}

// A replica marked Bob's decline form in progress and died before
// declining: the submission, delivered again, declines (the modal is not
// closed on an empty ack with nothing done), and Dave gets the reason.
func TestSubmissionMarkedByACrashedReplicaIsHandled(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	e.click(apptest.Bob, card, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		t.Fatalf("no decline modal: %v", err)
	}
	ack := e.afterACrash(t, "view", "", func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.SubmitView(ctx, apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", "margin too thin this quarter"))
	})
	if len(ack.Errors) > 0 {
		t.Fatalf("decline modal errors: %v", ack.Errors)
	}
	e.waitUpdated(card.TS, "declined without buttons", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Declined by <@U0BOB>") && len(m.Buttons()) == 0
	})
	e.waitDM(apptest.Dave, "margin too thin this quarter")
	if d := e.decision(id); d.State != domain.StateDeclined {
		t.Errorf("stored: %s, want declined", d.State)
	}
}

// A redelivered submission that was handled gets the answer it got the
// first time: the log form's errors again (the modal stays open, not
// closed by an empty ack), and the logged decision's view again, with the
// decision logged once.
func TestRedeliveredSubmissionGetsTheSameAnswer(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	e.Command(apptest.Dave, "")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Dave, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewLogDecision })
	if err != nil {
		t.Fatalf("no log modal: %v", err)
	}
	bad := slackemu.Values{}.Set("activity", "activity", "discount").Set("amount", "amount", "12.345")
	first, err := e.Emu.SubmitView(e.Ctx(), apptest.Dave, v.ID, bad)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if first.ResponseAction != "errors" || first.Errors["amount"] == "" {
		t.Fatalf("bad amount: got %q %v, want errors on amount", first.ResponseAction, first.Errors)
	}
	again, err := e.Emu.Redeliver(e.Ctx(), first.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	if again.ResponseAction != "errors" || again.Errors["amount"] != first.Errors["amount"] {
		t.Errorf("redelivered bad amount: got %q %v, want the errors %v again", again.ResponseAction, again.Errors, first.Errors)
	}
	if _, ok := e.Emu.View(v.ID); !ok || len(e.Emu.OpenViews(apptest.Dave)) == 0 {
		t.Errorf("the log modal was closed by the redelivery")
	}

	good := slackemu.Values{}.Set("activity", "activity", "discount").Set("amount", "amount", "900").
		Set("customer", "customer", "ACME").Set("reason", "reason", "kept the account")
	first, err = e.Emu.SubmitView(e.Ctx(), apptest.Dave, v.ID, good)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if first.ResponseAction != "update" {
		t.Fatalf("good submission: got %q %v, want update", first.ResponseAction, first.Errors)
	}
	id := decisionIDRe.FindString(string(first.Payload))
	if id == "" {
		t.Fatalf("the logged view names no decision: %s", first.Payload)
	}
	e.escalation(id, "ACME")
	again, err = e.Emu.Redeliver(e.Ctx(), first.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	if again.ResponseAction != "update" || decisionIDRe.FindString(string(again.Payload)) != id {
		t.Errorf("redelivered submission: got %q %s, want the view of %s again", again.ResponseAction, again.Payload, id)
	}
	if n := decisionsOf(t, e, apptest.Dave); n != 1 {
		t.Errorf("decisions logged = %d, want 1", n)
	}
	if n := cardsFor(e, id); n != 1 {
		t.Errorf("cards for %s = %d, want 1", id, n)
	}
}
