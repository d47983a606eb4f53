package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/service/feedback"
)

// A run that died after Slack took a person's DM but before it was recorded
// leaves that person claimed, unrecorded. The run that takes the claim over
// finds the DM in the person's DM history by its metadata and records it:
// the person has one DM of the round, not two.
func TestFanoutTakeoverFindsTheDMTheDeadRunSent(t *testing.T) {
	env := apptest.Start(t, apptest.Options{})
	a := env.Bots()[0].App
	ctx := env.Ctx()
	round := domain.FeedbackRound{ID: "R-takeover", Question: "What slows you down?", Tick: time.Now()}
	people := []string{apptest.Alice, apptest.Dave, apptest.Erin}
	send := handlers.FeedbackNotifier{H: a.Handlers}.Question(ctx, apptest.Team, round, people, feedback.News{})

	// The dead run: it began, claimed Dave, and its DM reached Slack.
	if _, err := a.Store.FanoutBegin(ctx, apptest.Team, feedback.JobRound, round.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Store.FanoutClaim(ctx, apptest.Team, feedback.JobRound, round.ID, apptest.Dave, "dead", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, _, err := send(ctx, apptest.Dave); err != nil {
		t.Fatal(err)
	}
	claim := a.Store.Keys().Team(apptest.Team, "fanout-claim", feedback.JobRound, round.ID, apptest.Dave)
	if err := apptest.WaitFor(5*time.Second, func() bool {
		n, err := a.Redis.Exists(context.Background(), claim).Result()
		return err == nil && n == 0
	}); err != nil {
		t.Fatalf("the dead run's claim never expired: %v", err)
	}

	f := &jobs.Fanout{Store: a.Store, Finder: a.Handlers}
	tot, err := f.Run(ctx, jobs.FanoutRun{Team: apptest.Team, Job: feedback.JobRound, Run: round.ID, People: people, Send: jobs.SendFunc(send)})
	if err != nil {
		t.Fatal(err)
	}
	if tot.TakenOver != 1 || tot.Found != 1 || tot.Sent != 2 {
		t.Errorf("totals = %+v, want Dave's claim taken over and his DM found, 2 sent", tot)
	}
	for _, p := range people {
		if got := env.Emu.DMs(p); len(got) != 1 {
			t.Errorf("%s has %d DMs of the round, want 1", p, len(got))
		} else if md := got[0].Metadata; md == nil || md.EventType != handlers.FanoutEventType || md.EventPayload["run"] != round.ID {
			t.Errorf("%s's DM carries metadata %+v, want %s naming run %s", p, md, handlers.FanoutEventType, round.ID)
		}
	}
	ledger, err := a.Store.FanoutLedger(ctx, apptest.Team, feedback.JobRound, round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st := ledger[apptest.Dave]; !st.Sent() || st.TS != env.Emu.DMs(apptest.Dave)[0].TS {
		t.Errorf("Dave's ledger entry = %+v, want sent with the found DM's ts", st)
	}
}
