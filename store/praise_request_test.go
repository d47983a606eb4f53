package store_test

import (
	"context"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
)

// The praise of a request is counted and audited once however often the
// request is handled: handled again before its post went out (a crash in
// between), it answers the first ticket to post it now; once posted, it
// answers Already and writes nothing. A failed post undone gives again.
func TestGiveRequestPraiseOnce(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	ev := domain.Event{Payload: domain.PraiseGivenData{Text: "stayed late"}, Actor: "U0DAVE", Subject: "U0ERIN", At: t0}
	first, ok, err := s.GiveRequestPraise(ctx, team, "U0DAVE", "2026-03-02", 5, "slash:T1", ev)
	if err != nil || !ok || first.Count != 1 || first.AuditID == "" {
		t.Fatalf("first: %v %v %+v", ok, err, first)
	}
	again, ok, err := s.GiveRequestPraise(ctx, team, "U0DAVE", "2026-03-02", 5, "slash:T1", ev)
	if err != nil || !ok || again.AuditID != first.AuditID || again.Count != 1 || again.Already {
		t.Fatalf("handled again before the post: %v %v %+v, want the first ticket %+v", ok, err, again, first)
	}
	if err := s.PraisePosted(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := s.PraisePosted(ctx, again); err != nil { // twice: the same
		t.Fatal(err)
	}
	posted, ok, err := s.GiveRequestPraise(ctx, team, "U0DAVE", "2026-03-02", 5, "slash:T1", ev)
	if err != nil || ok || !posted.Already {
		t.Fatalf("handled again after the post: %v %v %+v, want Already", ok, err, posted)
	}
	// Another request counts; undone, it gives again (counted once).
	other, ok, err := s.GiveRequestPraise(ctx, team, "U0DAVE", "2026-03-02", 5, "slash:T2", ev)
	if err != nil || !ok || other.Count != 2 {
		t.Fatalf("other: %v %v %+v", ok, err, other)
	}
	if err := s.UndoPraise(ctx, other); err != nil {
		t.Fatal(err)
	}
	redo, ok, err := s.GiveRequestPraise(ctx, team, "U0DAVE", "2026-03-02", 5, "slash:T2", ev)
	if err != nil || !ok || redo.Count != 2 || redo.AuditID == other.AuditID {
		t.Fatalf("after undo: %v %v %+v", ok, err, redo)
	}
}
