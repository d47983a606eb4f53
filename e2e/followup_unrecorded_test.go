package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/store"
)

// The follow-up DM went out and the run stopped before it recorded it
// (played here by putting the decision back on the due set, as if the
// record had never been written): the next run finds the DM in Dave's DMs
// by its metadata and records it, and Dave still has one follow-up, whose
// buttons answer the decision.
func TestFollowUpSentButNotRecordedIsNotSentTwice(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	_, id := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived")
	e.Clock.Advance(73 * time.Hour)
	run := func() {
		t.Helper()
		if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobOutcomeFollowups); err != nil {
			t.Fatalf("run %s: %v", jobs.JobOutcomeFollowups, err)
		}
	}
	run()
	if n := len(e.followUps(apptest.Dave, id)); n != 1 {
		t.Fatalf("%d follow-ups after the first run; want 1", n)
	}
	rc := e.Redis.Client(t)
	keys := store.NewKeys(e.Prefix)
	ctx := context.Background()
	if err := rc.ZAdd(ctx, keys.Team(apptest.Team, "outcomes", "due"), redis.Z{Score: float64(e.Clock.Now().Add(-time.Minute).UnixMilli()), Member: id}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.HDel(ctx, keys.Team(apptest.Team, "decision", id), "ask").Err(); err != nil {
		t.Fatal(err)
	}

	e.Clock.Advance(time.Minute)
	run()
	if n := len(e.followUps(apptest.Dave, id)); n != 1 {
		t.Fatalf("%d follow-ups after the run that took it over; want 1 (the first one found)", n)
	}
	if _, due, err := e.store.FollowUpDue(e.Ctx(), apptest.Team, id); err != nil || due {
		t.Errorf("still due after the run that found the DM: %v, %v", due, err)
	}
	fu := e.followUps(apptest.Dave, id)[0]
	e.click(apptest.Dave, fu, "It worked")
	e.waitDM(apptest.Dave, "Recorded:")
}
