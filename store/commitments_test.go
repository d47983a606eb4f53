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
			if settled, err := s.CommitmentReminderSent(ctx, c, day, owner, domain.MessageRef{Channel: "DL", TS: day}); err != nil || settled {
				t.Fatalf("record reminder: settled %v, %v", settled, err)
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

// The reminder DMs of a commitment are kept while it is open with their due
// date, taken once (oldest first) after a change, bounded, and a DM
// recorded after the change is reported settled.
func TestCommitmentReminderDMsTakenOnce(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	c := openCommitment("C-EEEEEE", "2026-03-05")
	if err := s.CreateCommitment(ctx, c, madeEvent(c)); err != nil {
		t.Fatal(err)
	}
	send := func(c *store.CommitmentRecord, day string) bool {
		t.Helper()
		claimed, err := s.ClaimCommitmentReminder(ctx, c, domain.ReminderOverdue, day, "o", time.Minute, nil)
		if err != nil || !claimed {
			t.Fatalf("claim %s: %v, %v", day, claimed, err)
		}
		settled, err := s.CommitmentReminderSent(ctx, c, day, "o", domain.MessageRef{Channel: "DL", TS: day})
		if err != nil {
			t.Fatal(err)
		}
		// Recording it again (a retry) answers the same.
		again, err := s.CommitmentReminderSent(ctx, c, day, "o", domain.MessageRef{Channel: "DL", TS: day})
		if err != nil || again != settled {
			t.Fatalf("record %s again: settled %v (first %v), %v", day, again, settled, err)
		}
		return settled
	}
	// More than the bound: the oldest go.
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	var days []string
	for i := range 33 {
		day := start.AddDate(0, 0, i).Format("2006-01-02")
		days = append(days, day)
		if send(c, day) {
			t.Fatalf("reminder of %s settled while open", day)
		}
	}
	cur, err := s.GetCommitment(ctx, team, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.State = domain.CommitmentDone
	if err := s.UpdateCommitment(ctx, cur, domain.CommitmentOpen, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.TakeCommitmentReminderDMs(ctx, team, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 31 || got[0].TS != days[2] || got[30].TS != days[32] || got[0].Channel != "DL" {
		t.Fatalf("taken = %d DMs %v; want the newest 31, oldest first", len(got), got)
	}
	if again, err := s.TakeCommitmentReminderDMs(ctx, team, c.ID); err != nil || len(again) != 0 {
		t.Errorf("taken twice: %v, %v", again, err)
	}
	// A reminder claimed while open and recorded after the change: settled.
	c2 := openCommitment("C-FFFFFF", "2026-03-05")
	if err := s.CreateCommitment(ctx, c2, madeEvent(c2)); err != nil {
		t.Fatal(err)
	}
	if claimed, err := s.ClaimCommitmentReminder(ctx, c2, domain.ReminderOverdue, "2026-03-06", "o", time.Minute, nil); err != nil || !claimed {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	moved, _ := s.GetCommitment(ctx, team, c2.ID)
	moved.Due = "2026-03-20"
	if err := s.UpdateCommitment(ctx, moved, domain.CommitmentOpen, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if settled, err := s.CommitmentReminderSent(ctx, c2, "2026-03-06", "o", domain.MessageRef{Channel: "DL", TS: "1.0"}); err != nil || !settled {
			t.Errorf("recorded after a new date: settled %v, %v; want settled", settled, err)
		}
	}
	if got, err := s.TakeCommitmentReminderDMs(ctx, team, c2.ID); err != nil || len(got) != 0 {
		t.Errorf("a settled reminder was kept: %v, %v", got, err)
	}
}
