package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

// Praise by reaction waits on a list from the step that gives it until its
// post is recorded: due for a repair once given before the cut-off, claimed
// by one run at a time until the claim ends, off the list once posted or
// undone; an entry whose audit event is gone is dropped. The praise index
// (KEYS before the list) still holds the praise: the list is not mistaken
// for an index.
func TestReactionPraiseWaitsForItsPost(t *testing.T) {
	s, rdb, prefix := setupDecisions(t)
	ctx := context.Background()
	const day = "2026-03-02"
	give := func(giver, ts string, at time.Time) domain.PraiseTicket {
		t.Helper()
		ev := domain.Event{Payload: domain.PraiseGivenData{Reaction: "clap", Channel: "C1", MessageTS: ts}, Actor: giver, Subject: "U0ERIN", At: at}
		tk, ok, err := s.GiveReactionPraise(ctx, team, giver, day, 10, "C1", ts, ev)
		if err != nil || !ok {
			t.Fatalf("give %s %s: %v %v", giver, ts, ok, err)
		}
		return tk
	}
	pending := func(due time.Time) []string {
		t.Helper()
		evs, err := s.PendingReactionPraise(ctx, team, due, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ev := range evs {
			if p, ok := ev.Payload.(domain.PraiseGivenData); !ok || p.Channel != "C1" || ev.Subject != "U0ERIN" {
				t.Errorf("pending event %+v lacks the praise's facts", ev)
			}
			ids = append(ids, ev.ID)
		}
		return ids
	}

	a := give("U0DAVE", "1.1", t0)
	b := give("U0BOB", "1.1", t0.Add(time.Minute))
	c := give("U0ALICE", "1.1", t0.Add(2*time.Minute))
	if got := pending(t0.Add(-time.Second)); len(got) != 0 {
		t.Errorf("due before any was given: %v; want none", got)
	}
	if got := pending(t0.Add(time.Minute)); len(got) != 2 || got[0] != a.AuditID || got[1] != b.AuditID {
		t.Errorf("due a minute after the first: %v; want %s, %s (oldest first)", got, a.AuditID, b.AuditID)
	}
	if n, err := rdb.ZCard(ctx, store.NewKeys(prefix).Team(team, "praise", "to", "U0ERIN")).Result(); err != nil || n != 3 {
		t.Errorf("Erin's praise index holds %d, %v; want 3", n, err)
	}

	// Posted by its handler: off the list. Undone: off the list.
	if err := s.PraisePosted(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.UndoPraise(ctx, c); err != nil {
		t.Fatal(err)
	}
	due := t0.Add(10 * time.Minute)
	if got := pending(due); len(got) != 1 || got[0] != a.AuditID {
		t.Fatalf("after one posted and one undone: %v; want only %s", got, a.AuditID)
	}

	// One claim at a time; it ends at until, then it is due again.
	until := due.Add(2 * time.Minute)
	if ok, err := s.ClaimReactionPraise(ctx, team, a.AuditID, due, until); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, _ := s.ClaimReactionPraise(ctx, team, a.AuditID, due, until); ok {
		t.Error("claimed twice")
	}
	if got := pending(due); len(got) != 0 {
		t.Errorf("due while claimed: %v; want none", got)
	}
	if ok, _ := s.ClaimReactionPraise(ctx, team, a.AuditID, until, until.Add(2*time.Minute)); !ok {
		t.Error("not claimable once the claim ended")
	}
	if err := s.ReactionPraisePosted(ctx, team, a.AuditID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimReactionPraise(ctx, team, a.AuditID, until.Add(time.Hour), until.Add(2*time.Hour)); ok {
		t.Error("claimed after it was posted")
	}

	// Its audit event gone: dropped from the list.
	d := give("U0DAVE", "2.2", t0.Add(3*time.Minute))
	if err := rdb.XDel(ctx, s.AuditKey(team), d.AuditID).Err(); err != nil {
		t.Fatal(err)
	}
	if got := pending(due); len(got) != 0 {
		t.Errorf("with its audit event gone: %v; want none", got)
	}
	if n, _ := rdb.ZCard(ctx, store.NewKeys(prefix).Team(team, "praise-reaction-pending")).Result(); n != 0 {
		t.Errorf("the list holds %d after the dropped entry; want 0", n)
	}
}
