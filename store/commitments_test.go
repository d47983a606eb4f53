package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

func openCommitment(id, due string) *store.CommitmentRecord {
	return &store.CommitmentRecord{Commitment: domain.Commitment{ID: id, Team: team, Leader: "UL", Employee: "UE", Text: "a van", State: domain.CommitmentOpen,
		Source: domain.SourceCommit, Due: due, CreatedAt: t0, MadeAt: t0}}
}

func madeEvent(c *store.CommitmentRecord) domain.Event {
	return domain.Event{Actor: c.Leader, Subject: c.ID, To: "open", At: t0,
		Payload: domain.CommitmentMadeData{CommitmentFacts: domain.CommitmentFacts{Leader: c.Leader, Employee: c.Employee, Due: c.Due}}}
}

func TestCommitmentLifecycle(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	c := openCommitment("C-AAAAAA", "2026-03-05")
	if err := s.CreateCommitment(ctx, c, madeEvent(c)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCommitment(ctx, openCommitment("C-AAAAAA", "2026-03-06"), madeEvent(c)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	later := openCommitment("C-BBBBBB", "2026-04-01")
	if err := s.CreateCommitment(ctx, later, madeEvent(later)); err != nil {
		t.Fatal(err)
	}
	ids, err := s.OpenCommitmentsDueBy(ctx, team, "2026-03-31", 100)
	if err != nil || len(ids) != 1 || ids[0] != c.ID {
		t.Fatalf("due by: %v %v", ids, err)
	}
	// Two writers from the same version: one wins, the other sees the winner.
	a, _ := s.GetCommitment(ctx, team, c.ID)
	b, _ := s.GetCommitment(ctx, team, c.ID)
	a.State = domain.CommitmentDone
	if err := s.UpdateCommitment(ctx, a, domain.CommitmentOpen, nil); err != nil {
		t.Fatal(err)
	}
	b.Due = "2026-03-09"
	var ce *store.CommitmentConflictError
	if err := s.UpdateCommitment(ctx, b, domain.CommitmentOpen, nil); !errors.As(err, &ce) || ce.Current.State != domain.CommitmentDone {
		t.Fatalf("lost race: %v", err)
	}
	if ids, _ := s.OpenCommitmentsDueBy(ctx, team, "2026-12-31", 100); len(ids) != 1 || ids[0] != later.ID {
		t.Errorf("done one still open: %v", ids)
	}
	byLeader, toEmployee, err := s.CommitmentsOf(ctx, team, "UL", 10)
	if err != nil || len(byLeader) != 2 || len(toEmployee) != 0 {
		t.Errorf("commitments of the leader: %d, %d, %v", len(byLeader), len(toEmployee), err)
	}
}

func TestClaimCommitmentReminderOncePerDay(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	c := openCommitment("C-CCCCCC", "2026-03-05")
	if err := s.CreateCommitment(ctx, c, madeEvent(c)); err != nil {
		t.Fatal(err)
	}
	claim := func(kind, day string) int64 {
		var won atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ev := domain.Event{Payload: domain.CommitmentOverdueData{}, Subject: c.ID, At: t0}
				ok, err := s.ClaimCommitmentReminder(ctx, c, kind, day, &ev)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		return won.Load()
	}
	if n := claim(store.ReminderDueSoon, "2026-03-04"); n != 1 {
		t.Errorf("due soon day 1: %d winners", n)
	}
	if n := claim(store.ReminderDueSoon, "2026-03-05"); n != 0 {
		t.Errorf("due soon again on day 2: %d winners", n)
	}
	for _, day := range []string{"2026-03-06", "2026-03-07"} {
		if n := claim(store.ReminderOverdue, day); n != 1 {
			t.Errorf("overdue %s: %d winners", day, n)
		}
	}
	evs, err := s.ReadAudit(ctx, team, t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	overdue := 0
	for _, ev := range evs {
		if ev.Type() == domain.EventCommitmentOverdue {
			overdue++
		}
	}
	if overdue != 1 {
		t.Errorf("overdue events: %d, want 1", overdue)
	}
	// A released claim is claimable again; a done commitment never.
	if err := s.ReleaseCommitmentReminder(ctx, c, store.ReminderOverdue, "2026-03-07"); err != nil {
		t.Fatal(err)
	}
	if n := claim(store.ReminderOverdue, "2026-03-07"); n != 1 {
		t.Errorf("after release: %d winners", n)
	}
	cur, _ := s.GetCommitment(ctx, team, c.ID)
	cur.State = domain.CommitmentDone
	if err := s.UpdateCommitment(ctx, cur, domain.CommitmentOpen, nil); err != nil {
		t.Fatal(err)
	}
	if n := claim(store.ReminderOverdue, "2026-03-08"); n != 0 {
		t.Errorf("done commitment claimed: %d", n)
	}
}
