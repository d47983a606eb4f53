package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/store"
)

// The card reached Slack and the process died before it recorded the
// card's message (played here by removing the record): the repair job finds
// the card in the escalations channel by its metadata and records it. It
// posts no second card, and the one card still answers the decision.
func TestRepairRecordsACardThatReachedSlackUnrecorded(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	card := e.escalation(id, "ACME")
	rc := e.Redis.Client(t)
	key := store.NewKeys(e.Prefix).Team(apptest.Team, "decision", id)
	if n, err := rc.HDel(context.Background(), key, "msg:0").Result(); err != nil || n != 1 {
		t.Fatalf("remove the card's record: %d, %v", n, err)
	}

	e.Clock.Advance(2 * time.Minute)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
		t.Fatalf("run escalation_timeouts: %v", err)
	}
	if n := cardsFor(e, id); n != 1 {
		t.Errorf("cards for %s after the repair = %d, want 1", id, n)
	}
	got, err := rc.HGet(context.Background(), key, "msg:0").Result()
	if want := card.Channel + "|" + card.TS; err != nil || got != want {
		t.Errorf("the card recorded after the repair = %q, %v; want %q (the card in the channel)", got, err, want)
	}
	e.click(apptest.Bob, card, "Approve")
	e.waitDM(apptest.Dave, "approved")
}
