package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

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
	if err := s.CreateCommitment(ctx, openCommitment("C-AAAAAA", "2026-03-06"), madeEvent(c)); !errors.Is(err, domain.ErrExists) {
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
	var ce *domain.CommitmentConflictError
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

func TestCommitmentReminderOncePerDayAndDueDate(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	c := openCommitment("C-CCCCCC", "2026-03-05")
	if err := s.CreateCommitment(ctx, c, madeEvent(c)); err != nil {
		t.Fatal(err)
	}
	claim := func(c *store.CommitmentRecord, kind domain.ReminderKind, day, owner string) bool {
		t.Helper()
		ev := domain.Event{Payload: domain.CommitmentOverdueData{}, Subject: c.ID, At: t0}
		claimed, err := s.ClaimCommitmentReminder(ctx, c, kind, day, owner, time.Minute, &ev)
		if err != nil {
			t.Fatal(err)
		}
		return claimed
	}
	remind := func(kind domain.ReminderKind, day, owner string) bool {
		t.Helper()
		claimed := claim(c, kind, day, owner)
		if claimed {
			if err := s.CommitmentReminderSent(ctx, c, day, owner); err != nil {
				t.Fatal(err)
			}
		}
		return claimed
	}
	// Due soon: once per due date, whatever the day.
	for _, tt := range []struct {
		day, owner string
		want       bool
	}{{"2026-03-04", "a", true}, {"2026-03-04", "b", false}, {"2026-03-05", "b", false}} {
		if got := remind(domain.ReminderDueSoon, tt.day, tt.owner); got != tt.want {
			t.Errorf("due soon on %s by %s = %v; want %v", tt.day, tt.owner, got, tt.want)
		}
	}
	// Overdue: once a day, and the overdue event once per due date.
	for _, day := range []string{"2026-03-06", "2026-03-07"} {
		if got := remind(domain.ReminderOverdue, day, "a"); !got {
			t.Errorf("overdue on %s not claimed", day)
		}
		if got := remind(domain.ReminderOverdue, day, "b"); got {
			t.Errorf("overdue again on %s claimed", day)
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

	// A due-soon reminder that could not be sent goes out on a later run.
	c2 := openCommitment("C-DDDDDD", "2026-03-10")
	if err := s.CreateCommitment(ctx, c2, madeEvent(c2)); err != nil {
		t.Fatal(err)
	}
	if got := claim(c2, domain.ReminderDueSoon, "2026-03-08", "a"); !got {
		t.Fatalf("due soon not claimed")
	}
	if got := claim(c2, domain.ReminderDueSoon, "2026-03-08", "b"); got {
		t.Errorf("due soon claimed while another owner holds it")
	}
	if err := s.ReleaseCommitmentReminder(ctx, c2, domain.ReminderDueSoon, "2026-03-08", "a"); err != nil {
		t.Fatal(err)
	}
	if got := claim(c2, domain.ReminderDueSoon, "2026-03-09", "b"); !got {
		t.Errorf("due soon after a release not claimed")
	}

	// A done commitment gets none.
	cur, _ := s.GetCommitment(ctx, team, c.ID)
	cur.State = domain.CommitmentDone
	if err := s.UpdateCommitment(ctx, cur, domain.CommitmentOpen, nil); err != nil {
		t.Fatal(err)
	}
	if got := remind(domain.ReminderOverdue, "2026-03-08", "c"); got {
		t.Errorf("done commitment's reminder claimed")
	}
}
