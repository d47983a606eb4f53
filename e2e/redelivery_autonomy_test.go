package e2e

import (
	"context"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/autonomy"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Redelivered raise: Bob's Raise click delivered again after the replica
// that handled it died between the saved raise and the good news to Alice
// (or after the news, before the click was recorded handled) tells Alice
// once, and Bob is not told he raised it already.

// crashedAutonomy is the autonomy Notifier of a replica that dies right
// after an answer is saved: nothing reaches Slack.
type crashedAutonomy struct{}

func (crashedAutonomy) SendProposal(context.Context, *domain.Proposal, string, money.Amount) (domain.MessageRef, error) {
	return domain.MessageRef{}, errCrashed
}
func (crashedAutonomy) ShowAnswer(context.Context, *domain.Proposal, string, domain.MessageRef) error {
	return errCrashed
}
func (crashedAutonomy) TellRaised(context.Context, *domain.Proposal) error { return errCrashed }
func (crashedAutonomy) TellReset(context.Context, string, string, string, domain.Activity, string, money.Amount, money.Amount) error {
	return errCrashed
}
func (crashedAutonomy) Touched(context.Context, string, ...string) {}

// dyingAutonomy is dyingDecisions for earned autonomy.
func (e *decisionEnv) dyingAutonomy(t *testing.T) *autonomy.Service {
	t.Helper()
	pols := domain.NewPolicies(e.Policy)
	r := roster.New(apptest.Team, frontline{}, nil)
	if err := r.Resolve(e.Ctx(), pols.Current()); err != nil {
		t.Fatalf("resolve the roster: %v", err)
	}
	return autonomy.New(pols, e.store, crashedAutonomy{}, r, e.Clock, nil)
}

// streakProposed earns Alice a raise proposal to Bob and returns its DM.
func (e *decisionEnv) streakProposed() slackemu.Message {
	e.t.Helper()
	for _, amt := range []string{"600", "900", "700"} {
		e.worked(apptest.Alice, "discount "+amt+" for ACME")
	}
	return e.proposal(apptest.Bob)
}

const grewText = "your discount box grew to $900"

// checkRaisedOnce fails unless Alice was told of her raise once, Bob's
// proposal DM at ts shows it raised without buttons, and one raise is
// audited.
func (e *decisionEnv) checkRaisedOnce(ts string) {
	e.t.Helper()
	if n := countWith(e.Emu.DMs(apptest.Alice), grewText); n != 1 {
		e.t.Errorf("Alice was told of her raise %d times, want once: %s", n, dump(e.Emu.DMs(apptest.Alice)))
	}
	if m, _ := e.Emu.Message(e.Emu.DMChannelID(apptest.Bob), ts); len(m.Buttons()) != 0 || countWith([]slackemu.Message{m}, "<@U0BOB> raised <@U0ALICE>'s discount box to $900") != 1 {
		e.t.Errorf("Bob's proposal DM is not answered without buttons: %s", m.AllText())
	}
	if n := e.autonomyEvents(apptest.Alice, domain.EventAutonomyRaised); n != 1 {
		e.t.Errorf("%d autonomy.raised events; want 1", n)
	}
}

// The replica saved Bob's raise and died before anything followed it: the
// click, delivered again, is recognised as the one that raised and tells
// Alice (where it answered Bob "You already raised" and Alice never heard).
func TestRedeliveredRaiseTellsTheEmployeeAfterACrash(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	pr := e.streakProposed()
	id := pr.Buttons()[0].Value
	dying := e.dyingAutonomy(t)
	e.afterACrashDoing(t, "action", ":"+handlers.ActionRaise, func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.Click(ctx, apptest.Bob, pr, "Raise to $900")
	}, func(ctx context.Context, key string) {
		if _, err := dying.Raise(domain.WithRequestKey(ctx, key), apptest.Team, id, apptest.Bob); err != nil {
			t.Fatalf("the dying replica's raise: %v", err)
		}
	})
	e.waitDM(apptest.Alice, grewText)
	e.dmUpdated(apptest.Bob, pr.TS, "answered", func(m slackemu.Message) bool { return len(m.Buttons()) == 0 })
	// Bob's next click on the old copy is his second: told already.
	e.click(apptest.Bob, pr, "Raise to $900")
	e.waitEphemeral(apptest.Bob, "You already raised")
	e.StopAll()
	e.checkRaisedOnce(pr.TS)
	if n := toldAlready(e, apptest.Bob); n != 1 {
		t.Errorf("Bob was told %d times he raised it already, want once (his second click): %s", n, dump(append(e.Emu.Ephemerals(apptest.Bob), e.Emu.DMs(apptest.Bob)...)))
	}
}

// The replica raised, told Alice and died before recording the click
// handled: delivered again, the click finds the news it sent and sends
// none, and Bob is not told he raised it already.
func TestRedeliveredRaiseAfterItsNewsSendsItOnce(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: autonomyPolicy()})
	pr := e.streakProposed()
	ack, err := e.Emu.Click(e.Ctx(), apptest.Bob, pr, "Raise to $900")
	if err != nil {
		t.Fatalf("Bob clicks Raise: %v", err)
	}
	e.waitDM(apptest.Alice, grewText)
	redeliverAfterACrash(t, e, ack, handlers.ActionRaise)
	e.click(apptest.Bob, pr, "Raise to $900")
	e.waitEphemeral(apptest.Bob, "You already raised")
	e.StopAll()
	e.checkRaisedOnce(pr.TS)
	if n := toldAlready(e, apptest.Bob); n != 1 {
		t.Errorf("Bob was told %d times he raised it already, want once (his second click): %s", n, dump(append(e.Emu.Ephemerals(apptest.Bob), e.Emu.DMs(apptest.Bob)...)))
	}
}
