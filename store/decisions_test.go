package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

const team = "T1"

func setupDecisions(t *testing.T) (*store.Store, *redis.Client, string) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	prefix := srv.Prefix(t)
	return store.New(rdb, store.NewKeys(prefix)), rdb, prefix
}

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func pendingDecision(id string) *domain.DecisionRecord {
	return &domain.DecisionRecord{Decision: domain.Decision{
		ID: id, Team: team, Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900),
		Currency: "USD", Customer: "ACME <!channel>", Reason: "travel charge", Tags: []string{"customer-first"},
		State: domain.StatePending, Level: 0, LevelName: "team-lead", Why: "$900 is above your $500 box",
		CreatedAt: t0, Deadline: t0.Add(4 * time.Hour),
		History: []domain.HistoryEntry{{Action: "created", Actor: "U0DAVE", To: "team-lead", At: t0}},
	}}
}

func createdEvent(d *domain.DecisionRecord) domain.Event {
	return domain.Event{Actor: d.Requester, Subject: d.ID, To: string(d.State), At: d.CreatedAt,
		Payload: domain.DecisionCreatedData{DecisionFacts: domain.DecisionFacts{Amount: d.Amount, Activity: d.Activity}}}
}

func TestCreateAndGetDecision(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-AAAAAA")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatalf("CreateDecision: %v", err)
	}
	got, err := s.GetDecision(ctx, team, d.ID)
	if err != nil {
		t.Fatalf("GetDecision: %v", err)
	}
	if diff := cmp.Diff(d, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("decision round trip (-want +got):\n%s", diff)
	}
	if got.Version != 1 {
		t.Errorf("version: got %d, want 1", got.Version)
	}
	// Another decision under the same ID (the same one again is a retry of
	// the script: TestDecisionScriptsAreSafeToRunTwice).
	again := pendingDecision(d.ID)
	again.Reason = "another reason"
	if err := s.CreateDecision(ctx, again, createdEvent(d)); !errors.Is(err, domain.ErrExists) {
		t.Errorf("second create with the same ID: got %v, want ErrExists", err)
	}
	if _, err := s.GetDecision(ctx, team, "D-ZZZZZZ"); !errors.Is(err, domain.ErrDecisionNotFound) {
		t.Errorf("missing decision: got %v, want ErrNotFound", err)
	}
	mine, err := s.RecentDecisions(ctx, team, "U0DAVE", 10)
	if err != nil || len(mine) != 1 || mine[0].ID != d.ID {
		t.Errorf("RecentDecisions: got %v, %v; want [%s]", mine, err, d.ID)
	}
	due, err := s.DueDecisions(ctx, team, t0.Add(5*time.Hour), 10)
	if err != nil || !cmp.Equal(due, []string{d.ID}) {
		t.Errorf("DueDecisions after the deadline: got %v, %v", due, err)
	}
	due, _ = s.DueDecisions(ctx, team, t0.Add(time.Hour), 10)
	if len(due) != 0 {
		t.Errorf("DueDecisions before the deadline: got %v, want none", due)
	}
	between, _ := s.DecisionsBetween(ctx, team, t0, t0.Add(time.Minute))
	if !cmp.Equal(between, []string{d.ID}) {
		t.Errorf("DecisionsBetween: got %v", between)
	}
	evs, err := s.ReadAudit(ctx, team, t0.Add(-time.Minute), t0.Add(time.Minute))
	if err != nil || len(evs) != 1 {
		t.Fatalf("ReadAudit: got %v, %v; want 1 event", evs, err)
	}
	if p, ok := evs[0].Payload.(domain.DecisionCreatedData); !ok || evs[0].Subject != d.ID || p.Amount != 90000 {
		t.Errorf("audit event: got %+v", evs[0])
	}
}

func TestAutonomousDecisionIsNotPending(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-BBBBBB")
	d.State, d.Level, d.LevelName, d.Deadline = domain.StateAutonomous, -1, "", time.Time{}
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	ids, err := s.PendingDecisions(ctx, team, 10)
	if err != nil || len(ids) != 0 {
		t.Errorf("PendingDecisions: got %v, %v; want none", ids, err)
	}
}

func TestUpdateDecisionTransitions(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-CCCCCC")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}

	stale := *d
	// Escalate: still pending, new deadline.
	d.Level, d.LevelName, d.Deadline = 1, "manager", t0.Add(28*time.Hour)
	ev := domain.Event{Payload: domain.DecisionEscalatedData{}, Actor: "U0BOB", Subject: d.ID, From: "team-lead", To: "manager", At: t0.Add(time.Hour)}
	if err := s.UpdateDecision(ctx, d, domain.StatePending, &ev); err != nil {
		t.Fatalf("escalate: %v", err)
	}
	if d.Version != 2 {
		t.Errorf("version after escalate: got %d, want 2", d.Version)
	}
	due, _ := s.DueDecisions(ctx, team, t0.Add(5*time.Hour), 10)
	if len(due) != 0 {
		t.Errorf("due after escalation moved the deadline: got %v, want none", due)
	}

	// A writer holding the old version loses and sees the current decision.
	stale.State = domain.StateApproved
	err := s.UpdateDecision(ctx, &stale, domain.StatePending, &domain.Event{Payload: domain.DecisionApprovedData{}, Subject: d.ID, At: t0})
	var ce *domain.DecisionConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("stale update: got %v, want *ConflictError", err)
	}
	if ce.Current.LevelName != "manager" || ce.Current.Version != 2 {
		t.Errorf("conflict's current decision: got level %q version %d", ce.Current.LevelName, ce.Current.Version)
	}

	// Approve: leaves the pending index.
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline = domain.StateApproved, "U0CAROL", t0.Add(2*time.Hour), time.Time{}
	ev = domain.Event{Payload: domain.DecisionApprovedData{}, Actor: "U0CAROL", Subject: d.ID, From: "pending", To: "approved", At: t0.Add(2 * time.Hour)}
	if err := s.UpdateDecision(ctx, d, domain.StatePending, &ev); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if ids, _ := s.PendingDecisions(ctx, team, 10); len(ids) != 0 {
		t.Errorf("pending after approval: got %v, want none", ids)
	}
	got, _ := s.GetDecision(ctx, team, d.ID)
	if got.State != domain.StateApproved || got.DecidedBy != "U0CAROL" {
		t.Errorf("stored decision: got %s by %s", got.State, got.DecidedBy)
	}

	evs, err := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Hour*3))
	if err != nil {
		t.Fatal(err)
	}
	var types []domain.EventType
	for _, e := range evs {
		types = append(types, e.Type())
	}
	want := []domain.EventType{domain.EventDecisionCreated, domain.EventDecisionEscalated, domain.EventDecisionApproved}
	if !cmp.Equal(types, want) {
		t.Errorf("audit types: got %v, want %v (the lost update must not be audited)", types, want)
	}
}

func TestConcurrentUpdatesExactlyOneWins(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-DDDDDD")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range n {
		wg.Go(func() {
			c := *d
			c.State, c.DecidedBy = domain.StateApproved, []string{"U0BOB", "U0CAROL"}[i%2]
			err := s.UpdateDecision(ctx, &c, domain.StatePending, &domain.Event{Payload: domain.DecisionApprovedData{}, Subject: c.ID, At: t0})
			var ce *domain.DecisionConflictError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.As(err, &ce):
				conflicts++
			default:
				t.Errorf("update: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != n-1 {
		t.Errorf("got %d wins and %d conflicts, want 1 and %d", wins, conflicts, n-1)
	}
	evs, _ := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Hour))
	if len(evs) != 2 {
		t.Errorf("audit events: got %d, want 2 (created, approved once)", len(evs))
	}
}

func TestAttachMessage(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-GGGGGG")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	ok, ver, err := s.AttachMessage(ctx, team, d.ID, domain.DecisionMessage{Level: 0, MessageRef: domain.MessageRef{Channel: "C0ESC", TS: "1.000100"}})
	if err != nil || !ok || ver != 1 {
		t.Fatalf("first attach: got %v, %d, %v; want true, 1, nil", ok, ver, err)
	}
	ok, _, err = s.AttachMessage(ctx, team, d.ID, domain.DecisionMessage{Level: 0, MessageRef: domain.MessageRef{Channel: "C0ESC", TS: "2.000200"}})
	if err != nil || ok {
		t.Errorf("second attach for the same level: got %v, %v; want false, nil", ok, err)
	}
	if _, _, err := s.AttachMessage(ctx, team, d.ID, domain.DecisionMessage{Level: 1, MessageRef: domain.MessageRef{Channel: "C0ESC", TS: "3.000300"}}); err != nil {
		t.Fatal(err)
	}
	// A change of state keeps the messages.
	d.State = domain.StateApproved
	if err := s.UpdateDecision(ctx, d, domain.StatePending, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDecision(ctx, team, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.DecisionMessage{{Level: 0, MessageRef: domain.MessageRef{Channel: "C0ESC", TS: "1.000100"}}, {Level: 1, MessageRef: domain.MessageRef{Channel: "C0ESC", TS: "3.000300"}}}
	if diff := cmp.Diff(want, got.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if _, _, err := s.AttachMessage(ctx, team, "D-NOPE00", want[0]); !errors.Is(err, domain.ErrDecisionNotFound) {
		t.Errorf("attach to a missing decision: got %v, want ErrNotFound", err)
	}
}

func TestUpdateWhenRedisIsDownWritesNothing(t *testing.T) {
	srv := redistest.StartOwn(t, redistest.Options{AOF: true})
	rdb := srv.Client(t)
	s := store.New(rdb, store.NewKeys(srv.Prefix(t)))
	ctx := t.Context()
	d := pendingDecision("D-FFFFFF")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	c := *d
	c.State = domain.StateApproved
	if err := s.UpdateDecision(ctx, &c, domain.StatePending, &domain.Event{Payload: domain.DecisionApprovedData{}, Subject: d.ID, At: t0}); err == nil {
		t.Fatal("update with Redis down: got nil error")
	}
	srv.Restart()
	got, err := s.GetDecision(ctx, team, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.StatePending || got.Version != 1 {
		t.Errorf("after a failed update: got %s v%d, want pending v1", got.State, got.Version)
	}
}
