package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/domain"
)

func TestDecisionReminderOnceAcrossOwners(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-RRRRRR")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	// Twenty owners claim at once: one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0BOB", fmt.Sprint("owner", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("claims won: %d, want 1", n)
	}
	// Another approver's claim is their own.
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0MIA", "x", time.Minute); err != nil || !ok {
		t.Fatalf("claim for another approver: %v, %v", ok, err)
	}
	if err := s.ReleaseDecisionReminder(ctx, team, d.ID, 0, "U0MIA", "x"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0MIA", "y", time.Minute); err != nil || !ok {
		t.Fatalf("claim after a release: %v, %v", ok, err)
	}
}

func TestDecisionReminderRecordedBesideTheCards(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-SSSSSS")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	owner := "o1"
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0BOB", owner, time.Minute); err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	m := domain.ReminderDM{Level: 0, Approver: "U0BOB", MessageRef: domain.MessageRef{Channel: "DU0BOB", TS: "1.000100"}}
	for range 2 { // safe to run twice
		if ok, err := s.DecisionReminderSent(ctx, team, d.ID, m, owner); err != nil || !ok {
			t.Fatalf("sent: %v, %v", ok, err)
		}
	}
	got, err := s.GetDecision(ctx, team, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]domain.ReminderDM{m}, got.ReminderDMs); diff != "" {
		t.Errorf("reminder DMs (-want +got):\n%s", diff)
	}
	if got.Version != d.Version {
		t.Errorf("recording a reminder changed the version: %d, want %d", got.Version, d.Version)
	}
	// Sent: nobody claims it again.
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0BOB", "o2", time.Minute); err != nil || ok {
		t.Errorf("claim after it was sent: %v, %v; want false", ok, err)
	}
	// A late owner whose claim ran out is told to withdraw its duplicate.
	dup := m
	dup.TS = "2.000200"
	if ok, err := s.DecisionReminderSent(ctx, team, d.ID, dup, "o3"); err != nil || ok {
		t.Errorf("duplicate recorded: %v, %v; want false", ok, err)
	}
	// Decided, or moved up: the level's reminders need sending no more.
	d.State = domain.StateApproved
	if err := s.UpdateDecision(ctx, d, domain.StatePending, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0MIA", "o4", time.Minute); err != nil || ok {
		t.Errorf("claim of a decided decision: %v, %v; want false", ok, err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, "D-NOPE00", 0, "U0MIA", "o4", time.Minute); err != nil || ok {
		t.Errorf("claim of a missing decision: %v, %v; want false", ok, err)
	}
}

func TestDecisionReminderOnlyAtTheCurrentLevel(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-TTTTTT")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 1, "U0CAROL", "o", time.Minute); err != nil || ok {
		t.Errorf("claim for a level it is not at: %v, %v; want false", ok, err)
	}
	d.Level, d.LevelName = 1, "manager"
	if err := s.UpdateDecision(ctx, d, domain.StatePending, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 1, "U0CAROL", "o", time.Minute); err != nil || !ok {
		t.Errorf("claim at its new level: %v, %v; want true", ok, err)
	}
}

// A replica that dies holding a claim leaves it to the next one once its
// lease runs out.
func TestDecisionReminderClaimTakenOverAfterItsLease(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-UUUUUU")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0BOB", "dead", 20*time.Millisecond); err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0BOB", "next", time.Minute); err != nil || ok {
		t.Fatalf("claim while held: %v, %v; want false", ok, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := s.ClaimDecisionReminder(ctx, team, d.ID, 0, "U0BOB", "next", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead owner's claim was never taken over")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
