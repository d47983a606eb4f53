package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/service/decisions"
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
	return e.afterACrashDoing(t, kind, suffix, send, nil)
}

// afterACrashDoing is afterACrash for a replica that did something before
// it died: did is called, while no replica is connected, with the request
// key the envelope is handled under ("action:<trigger>:<action>",
// "view:<trigger>").
func (e *decisionEnv) afterACrashDoing(t *testing.T, kind, suffix string, send func(ctx context.Context) (slackemu.Ack, error), did func(ctx context.Context, key string)) slackemu.Ack {
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
	if did != nil {
		did(e.Ctx(), kind+":"+trigger+suffix)
	}
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

// errCrashed is what a replica that died reaches: nothing.
var errCrashed = errors.New("the replica died")

// crashedCards is the decisions Notifier of a replica that dies right
// after a change is saved: no card, DM or view of it reaches Slack.
type crashedCards struct{}

func (crashedCards) PostCard(context.Context, *domain.DecisionRecord, int) (domain.DecisionMessage, error) {
	return domain.DecisionMessage{}, errCrashed
}
func (crashedCards) RepostCard(context.Context, *domain.DecisionRecord, int) (domain.DecisionMessage, error) {
	return domain.DecisionMessage{}, errCrashed
}
func (crashedCards) UpdateCards(context.Context, *domain.DecisionRecord) error  { return errCrashed }
func (crashedCards) WithdrawCard(context.Context, domain.DecisionMessage) error { return errCrashed }
func (crashedCards) TellRequester(context.Context, *domain.DecisionRecord, domain.HistoryEntry) error {
	return errCrashed
}
func (crashedCards) Remind(context.Context, *domain.DecisionRecord) error { return errCrashed }
func (crashedCards) Changed(context.Context, *domain.DecisionRecord)      {}

// crashedDMs is crashedCards for commitments.
type crashedDMs struct{}

func (crashedDMs) AskLeader(context.Context, *domain.CommitmentRecord) (domain.MessageRef, error) {
	return domain.MessageRef{}, errCrashed
}
func (crashedDMs) TellEmployee(context.Context, *domain.CommitmentRecord, domain.Event) error {
	return errCrashed
}
func (crashedDMs) TellLeader(context.Context, *domain.CommitmentRecord, domain.Event) error {
	return errCrashed
}
func (crashedDMs) ShowAnswered(context.Context, *domain.CommitmentRecord, commitments.Origin) {}
func (crashedDMs) ShowSettled(context.Context, *domain.CommitmentRecord, commitments.Origin, []domain.MessageRef) {
}
func (crashedDMs) Remind(context.Context, *domain.CommitmentRecord, domain.ReminderKind, dates.Date) (domain.MessageRef, error) {
	return domain.MessageRef{}, errCrashed
}
func (crashedDMs) Changed(context.Context, *domain.CommitmentRecord) {}

// frontline is the members of the policy's user group, as the emulator
// has them.
type frontline struct{}

func (frontline) CachedGroupMembers(context.Context, string, string) ([]string, bool, error) {
	return []string{apptest.Alice, apptest.Erin}, true, nil
}
func (frontline) FreshGroupMembers(context.Context, string, string) ([]string, error) {
	return []string{apptest.Alice, apptest.Erin}, nil
}

// dyingDecisions is the decisions service of a replica that saves its
// change and dies before anything follows it (crashedCards): the service
// itself, over the same Redis, policy and clock.
func (e *decisionEnv) dyingDecisions(t *testing.T) *decisions.Service {
	t.Helper()
	pols := domain.NewPolicies(e.Policy)
	r := roster.New(apptest.Team, frontline{}, nil)
	if err := r.Resolve(e.Ctx(), pols.Current()); err != nil {
		t.Fatalf("resolve the roster: %v", err)
	}
	return decisions.New(pols, e.store, crashedCards{}, r, nil, e.Clock, nil)
}

// named is the people of the policy, every one of them named in it.
type named struct{}

func (named) IsMember(_ context.Context, _, user string, ids []string) (bool, error) {
	return slices.Contains(ids, user), nil
}
func (named) Person(context.Context, string, string) (commitments.Person, error) {
	return commitments.Person{Exists: true}, nil
}

// dyingCommitments is dyingDecisions for commitments.
func (e *decisionEnv) dyingCommitments() *commitments.Service {
	return commitments.New(commitments.Config{Store: e.store, Notifier: crashedDMs{}, Directory: named{},
		Clock: e.Clock, Policies: domain.NewPolicies(e.Policy)})
}

// waitEnvelopeDone waits until envelope id of kind is recorded handled.
func waitEnvelopeDone(t *testing.T, e *decisionEnv, kind, id string) {
	t.Helper()
	key := store.NewKeys(e.Prefix).Team(apptest.Team, "dedupe", kind, id)
	if err := apptest.WaitFor(10*time.Second, func() bool {
		v, err := e.Redis.Client(t).Get(context.Background(), key).Result()
		return err == nil && strings.HasPrefix(v, "d:")
	}); err != nil {
		t.Fatalf("envelope %s %s never recorded handled: %v", kind, id, err)
	}
}

// redeliverAfterACrash waits until the click of ack on action is handled,
// then marks its envelope in progress by a replica that died (the crash
// after everything but recording it handled) and has Slack deliver it
// again; it returns the click's claim.
func redeliverAfterACrash(t *testing.T, e *decisionEnv, ack slackemu.Ack, action string) string {
	t.Helper()
	claim := e.Emu.Trigger(ack.EnvelopeID) + ":" + action
	waitEnvelopeDone(t, e, "action", claim)
	markEnvelopeCrashed(t, e, "action", claim)
	if _, err := e.Emu.Redeliver(e.Ctx(), ack.EnvelopeID, "timeout"); err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	return claim
}

// toldAlready counts what user was told of a decision answered already
// (an ephemeral or a DM saying "already").
func toldAlready(e *decisionEnv, user string) int {
	return countWith(append(e.Emu.Ephemerals(user), e.Emu.DMs(user)...), "already")
}

// approvedWithoutButtons reports whether card m shows Bob's approval and
// no buttons.
func approvedWithoutButtons(m slackemu.Message) bool {
	return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
}

// The replica saved Bob's approval and died before anything followed it
// (its click's claim left in progress): the click, delivered again, is
// recognised as the one that approved, and finishes what the crash left
// undone instead of answering "already approved": the card loses its
// buttons and Dave is told, once.
func TestRedeliveredClickFinishesWhatACrashLeftUndone(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	dying := e.dyingDecisions(t)
	e.afterACrashDoing(t, "action", ":"+handlers.ActionApprove, func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.Click(ctx, apptest.Bob, card, "Approve")
	}, func(ctx context.Context, key string) {
		if _, err := dying.Approve(domain.WithRequestKey(ctx, key), apptest.Team, id, apptest.Bob); err != nil {
			t.Fatalf("the dying replica's approval: %v", err)
		}
	})
	e.waitUpdated(card.TS, "approved without buttons", approvedWithoutButtons)
	e.waitDM(apptest.Dave, "approved your")
	e.StopAll() // at rest: everything the replica would send went out
	if n := countWith(e.Emu.DMs(apptest.Dave), id, "approved your"); n != 1 {
		t.Errorf("Dave got %d DMs of the approval, want 1", n)
	}
	if n := toldAlready(e, apptest.Bob); n != 0 {
		t.Errorf("Bob was told %d times his own click was answered already: %s", n, dump(append(e.Emu.Ephemerals(apptest.Bob), e.Emu.DMs(apptest.Bob)...)))
	}
	if d := e.decision(id); d.State != domain.StateApproved || d.DecidedBy != apptest.Bob {
		t.Errorf("stored: %s by %q, want approved by Bob", d.State, d.DecidedBy)
	}
}

// The replica approved, sent the card's update and Dave's DM, and died
// before recording the click handled: the click, delivered again, finds
// the DM it sent and sends none; Dave has one. Anyone else's click on the
// decided card (Carol's, or Bob's own second one) is still told it was
// approved already.
func TestRedeliveredClickAfterItsDMSendsItOnce(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	ack, err := e.Emu.Click(e.Ctx(), apptest.Bob, card, "Approve")
	if err != nil {
		t.Fatalf("Bob clicks Approve: %v", err)
	}
	e.waitUpdated(card.TS, "approved without buttons", approvedWithoutButtons)
	e.waitDM(apptest.Dave, "approved your")
	redeliverAfterACrash(t, e, ack, handlers.ActionApprove)
	// Later clicks on the card as it was (buttons and all) are not Bob's
	// first one: answered already.
	e.click(apptest.Carol, card, "Approve")
	e.waitEphemeral(apptest.Carol, "already approved")
	e.click(apptest.Bob, card, "Decline")
	e.waitEphemeral(apptest.Bob, "already approved")
	e.StopAll()
	if n := toldAlready(e, apptest.Bob); n != 1 {
		t.Errorf("Bob was told %d times a click of his was answered already, want 1 (his second click): %s", n, dump(append(e.Emu.Ephemerals(apptest.Bob), e.Emu.DMs(apptest.Bob)...)))
	}
	if n := countWith(e.Emu.DMs(apptest.Dave), id, "approved your"); n != 1 {
		t.Errorf("Dave got %d DMs of the approval, want 1", n)
	}
	if m, _ := e.Emu.Message(apptest.Escalations, card.TS); !approvedWithoutButtons(m) {
		t.Errorf("the card is not approved without buttons: %s", m.AllText())
	}
	if d := e.decision(id); d.State != domain.StateApproved || d.DecidedBy != apptest.Bob {
		t.Errorf("stored: %s by %q, want approved by Bob", d.State, d.DecidedBy)
	}
}

// The replica saved Bob's decline and died before anything followed it:
// the form, delivered again, closes (no "already declined" beside the
// reason), the card shows the decline without buttons and Dave gets the
// reason, once.
func TestRedeliveredDeclineFinishesWhatACrashLeftUndone(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	dying := e.dyingDecisions(t)
	e.click(apptest.Bob, card, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		t.Fatalf("no decline modal: %v", err)
	}
	const reason = "margin too thin this quarter"
	ack := e.afterACrashDoing(t, "view", "", func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.SubmitView(ctx, apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", reason))
	}, func(ctx context.Context, key string) {
		if _, err := dying.Decline(domain.WithRequestKey(ctx, key), apptest.Team, id, apptest.Bob, reason); err != nil {
			t.Fatalf("the dying replica's decline: %v", err)
		}
	})
	if len(ack.Errors) > 0 {
		t.Errorf("the redelivered decline form shows errors: %v", ack.Errors)
	}
	e.waitUpdated(card.TS, "declined without buttons", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Declined by <@U0BOB>") && len(m.Buttons()) == 0
	})
	e.waitDM(apptest.Dave, reason)
	e.StopAll()
	if n := countWith(e.Emu.DMs(apptest.Dave), id, reason); n != 1 {
		t.Errorf("Dave got %d DMs of the decline, want 1", n)
	}
	if d := e.decision(id); d.State != domain.StateDeclined || d.DeclineReason != reason {
		t.Errorf("stored: %s (%q), want declined with the reason", d.State, d.DeclineReason)
	}
}

// The replica saved Bob's Escalate and died before anything followed it:
// the click, delivered again, brings the first card in line, posts the
// manager's card and tells Dave, each once.
func TestRedeliveredEscalateFinishesWhatACrashLeftUndone(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	dying := e.dyingDecisions(t)
	e.afterACrashDoing(t, "action", ":"+handlers.ActionEscalate, func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.Click(ctx, apptest.Bob, card, "Escalate")
	}, func(ctx context.Context, key string) {
		if _, err := dying.Escalate(domain.WithRequestKey(ctx, key), apptest.Team, id, 0, apptest.Bob); err != nil {
			t.Fatalf("the dying replica's escalation: %v", err)
		}
	})
	e.waitUpdated(card.TS, "moved on without buttons", func(m slackemu.Message) bool { return len(m.Buttons()) == 0 })
	second, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		return m.ThreadTS == "" && m.TS != card.TS && strings.Contains(m.AllText(), id)
	})
	if err != nil {
		t.Fatalf("no manager's card: %v", err)
	}
	e.recorded(id, second)
	e.waitDM(apptest.Dave, "brought in")
	e.StopAll()
	if n := cardsFor(e, id); n != 2 {
		t.Errorf("cards for %s = %d, want 2 (the team lead's and the manager's)", id, n)
	}
	if n := countWith(e.Emu.DMs(apptest.Dave), id, "brought in"); n != 1 {
		t.Errorf("Dave got %d DMs of the escalation, want 1", n)
	}
	if n := toldAlready(e, apptest.Bob); n != 0 {
		t.Errorf("Bob was told %d times his own click was answered already", n)
	}
	if d := e.decision(id); d.State != domain.StatePending || d.Level != 1 {
		t.Errorf("stored: %s at level %d, want pending with the manager", d.State, d.Level)
	}
}

// postsThenDies is the decisions Notifier of a replica that posts the new
// level's card (through the real one) and dies before recording it.
type postsThenDies struct {
	crashedCards
	real decisions.Notifier
}

func (n postsThenDies) PostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	if _, err := n.real.PostCard(ctx, d, level); err != nil {
		return domain.DecisionMessage{}, err
	}
	return domain.DecisionMessage{}, errCrashed
}

// The replica saved Bob's Escalate, posted the manager's card and died
// before recording it: the click, delivered again, finds that card and
// posts none (no second card with live buttons), records it, and tells
// Dave once.
func TestRedeliveredEscalateAfterItsCardPostsItOnce(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	// The replica's own Slack side, over the emulator: it is stopped by
	// afterACrashDoing before the dying replica acts.
	real := handlers.DecisionNotifier{H: e.Bots()[0].App.Handlers}
	pols := domain.NewPolicies(e.Policy)
	r := roster.New(apptest.Team, frontline{}, nil)
	if err := r.Resolve(e.Ctx(), pols.Current()); err != nil {
		t.Fatalf("resolve the roster: %v", err)
	}
	dying := decisions.New(pols, e.store, postsThenDies{real: real}, r, nil, e.Clock, nil)
	e.afterACrashDoing(t, "action", ":"+handlers.ActionEscalate, func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.Click(ctx, apptest.Bob, card, "Escalate")
	}, func(ctx context.Context, key string) {
		if _, err := dying.Escalate(domain.WithRequestKey(ctx, key), apptest.Team, id, 0, apptest.Bob); err != nil {
			t.Fatalf("the dying replica's escalation: %v", err)
		}
		if n := cardsFor(e, id); n != 2 {
			t.Fatalf("the dying replica posted no manager's card (cards: %d)", n)
		}
	})
	e.waitUpdated(card.TS, "moved on without buttons", func(m slackemu.Message) bool { return len(m.Buttons()) == 0 })
	e.waitDM(apptest.Dave, "brought in")
	if err := apptest.WaitFor(10*time.Second, func() bool { _, ok := e.decision(id).MessageFor(1); return ok }); err != nil {
		t.Fatalf("the manager's card was never recorded: %v", err)
	}
	e.StopAll()
	if n := cardsFor(e, id); n != 2 {
		t.Errorf("cards for %s = %d, want 2 (the team lead's and the manager's): %s", id, n, dump(e.Emu.Messages(apptest.Escalations)))
	}
	if n := countWith(e.Emu.DMs(apptest.Dave), id, "brought in"); n != 1 {
		t.Errorf("Dave got %d DMs of the escalation, want 1", n)
	}
}

// The replica saved Bob's acceptance of Dave's ask and died before Dave
// was told: the form, delivered again, closes (no "accepted already"
// beside the date), Dave is told once and the ask's DM to Bob shows the
// answer without buttons.
func TestRedeliveredAcceptTellsTheEmployeeOnce(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	_, id := e.commit(apptest.Dave, "ask "+cmBob+" a second van for Tuesdays by friday")
	dm := e.waitDM(apptest.Bob, "asks for your support")
	dying := e.dyingCommitments()
	e.click(apptest.Bob, dm, "Accept")
	v := e.openModal(apptest.Bob, handlers.ViewAskAccept)
	ack := e.afterACrashDoing(t, "view", "", func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.SubmitView(ctx, apptest.Bob, v.ID, slackemu.Values{}.Set("due", "due", "2026-11-27"))
	}, func(ctx context.Context, key string) {
		a := commitments.Action{Team: apptest.Team, ID: id, User: apptest.Bob}
		if _, err := dying.Accept(domain.WithRequestKey(ctx, key), a, "2026-11-27"); err != nil {
			t.Fatalf("the dying replica's acceptance: %v", err)
		}
	})
	if len(ack.Errors) > 0 {
		t.Errorf("the redelivered accept form shows errors: %v", ack.Errors)
	}
	const told = "<@U0BOB> accepted your ask"
	e.waitDM(apptest.Dave, told)
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == dm.TS && strings.Contains(m.AllText(), "You accepted it") && len(m.Buttons()) == 0
	}); err != nil {
		t.Errorf("the ask's DM was not updated in place: %v", err)
	}
	e.StopAll()
	if n := countWith(e.Emu.DMs(apptest.Dave), told); n != 1 {
		t.Errorf("Dave was told %d times his ask was accepted, want 1", n)
	}
	if c := e.commitment(id); c.State != domain.CommitmentOpen || c.Due != "2026-11-27" {
		t.Errorf("stored: %s due %s, want open due 2026-11-27", c.State, c.Due)
	}
}

// Bob marked his commitment done from its reminder, Dave was thanked, and
// the replica died before recording the click handled: the click,
// delivered again, finds the DM and sends none; Bob is not told his own
// click came too late.
func TestRedeliveredDoneAfterItsDMSendsItOnce(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" fix the van's heater by tomorrow")
	e.runReminders(1)
	r := e.waitDM(apptest.Bob, "coming due")
	ack, err := e.Emu.Click(e.Ctx(), apptest.Bob, r, "Done")
	if err != nil {
		t.Fatalf("Bob clicks Done: %v", err)
	}
	const thanked = "did what they promised"
	e.waitDM(apptest.Dave, thanked)
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool { return m.TS == r.TS && len(m.Buttons()) == 0 }); err != nil {
		t.Errorf("the reminder kept its buttons: %v", err)
	}
	claim := e.Emu.Trigger(ack.EnvelopeID) + ":" + handlers.ActionCommitmentDone
	waitEnvelopeDone(t, e.decisionEnv, "action", claim)
	markEnvelopeCrashed(t, e.decisionEnv, "action", claim)
	if _, err := e.Emu.Redeliver(e.Ctx(), ack.EnvelopeID, "timeout"); err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	e.StopAll()
	if n := countWith(e.Emu.DMs(apptest.Dave), thanked); n != 1 {
		t.Errorf("Dave was thanked %d times, want 1", n)
	}
	if n := countWith(append(e.Emu.Ephemerals(apptest.Bob), e.Emu.DMs(apptest.Bob)...), "already done"); n != 0 {
		t.Errorf("Bob was told %d times his own click came too late", n)
	}
	if c := e.commitment(id); c.State != domain.CommitmentDone {
		t.Errorf("stored: %s, want done", c.State)
	}
}

// The replica saved Dave's ask and died before Bob was asked: the command,
// delivered again, asks him, once, and tells Dave so (not "I couldn't
// reach him").
func TestRedeliveredAskAfterACrashAsksTheLeaderOnce(t *testing.T) {
	e := startCommitments(t, apptest.Options{NoBot: true})
	const text = "a second van for Tuesdays"
	envID, err := e.Emu.SendSlashCommand(e.Ctx(), apptest.Dave, apptest.General, "ask "+cmBob+" "+text)
	if err != nil {
		t.Fatal(err)
	}
	trigger := e.Emu.SlashTrigger(envID)
	markCrashed(t, e.decisionEnv, trigger)
	ask := commitments.AskRequest{Team: apptest.Team, Employee: apptest.Dave, Leader: apptest.Bob, Text: text}
	if _, _, err := e.dyingCommitments().Ask(domain.WithRequestKey(e.Ctx(), "slash:"+trigger), ask); err != nil {
		t.Fatalf("the dying replica's ask: %v", err)
	}
	e.StartBot()
	res, err := e.Emu.WaitSlashResult(e.Ctx(), envID)
	if err != nil {
		t.Fatalf("command not acked: %v", err)
	}
	if !strings.Contains(res.AllText(), "Asked <@U0BOB>") {
		t.Errorf("reply = %q, want Dave told Bob was asked", res.AllText())
	}
	e.waitDM(apptest.Bob, text)
	e.StopAll()
	if n := countWith(e.Emu.DMs(apptest.Bob), text); n != 1 {
		t.Errorf("Bob was asked %d times, want 1", n)
	}
}
