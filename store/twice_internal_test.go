package store

import (
	"errors"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// On Redis Cluster, go-redis may send a script again after a timeout: a
// decision's create and update scripts, each sent twice, change nothing the
// second time and answer as the first did; a second call is still refused.
func TestDecisionScriptsAreSafeToRunTwice(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := New(rdb, NewKeys(srv.Prefix(t)))
	scriptRuns = 2
	t.Cleanup(func() { scriptRuns = 1 })
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	d := &domain.DecisionRecord{Decision: domain.Decision{
		ID: "D-TWICE1", Team: "T1", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900),
		Currency: "USD", State: domain.StatePending, LevelName: "team-lead", CreatedAt: t0, Deadline: t0.Add(time.Hour),
	}}
	created := domain.Event{Actor: "U0DAVE", Subject: d.ID, To: "pending", At: t0, Payload: domain.DecisionCreatedData{DecisionFacts: d.Facts()}}
	if err := s.CreateDecision(ctx, d, created); err != nil {
		t.Fatalf("CreateDecision sent twice: %v", err)
	}
	scriptRuns = 1
	if err := s.CreateDecision(ctx, d, created); !errors.Is(err, domain.ErrExists) {
		t.Errorf("a second CreateDecision call = %v, want ErrExists", err)
	}
	scriptRuns = 2
	d.State, d.DecidedBy = domain.StateApproved, "U0BOB"
	approved := domain.Event{Actor: "U0BOB", Subject: d.ID, From: "pending", To: "approved", At: t0, Payload: domain.DecisionApprovedData{DecisionFacts: d.Facts()}}
	if err := s.UpdateDecision(ctx, d, domain.StatePending, &approved); err != nil {
		t.Fatalf("UpdateDecision sent twice: %v", err)
	}
	if d.Version != 2 {
		t.Errorf("version = %d, want 2", d.Version)
	}
	scriptRuns = 1
	d.Version = 1
	var ce *domain.DecisionConflictError
	if err := s.UpdateDecision(ctx, d, domain.StatePending, &approved); !errors.As(err, &ce) {
		t.Errorf("a second UpdateDecision call (a double click) = %v, want a conflict", err)
	}
	if n, err := rdb.XLen(ctx, s.AuditKey("T1")).Result(); err != nil || n != 2 {
		t.Errorf("audit events = %d, %v; want 2 (created, approved once)", n, err)
	}
	got, err := s.GetDecision(ctx, "T1", d.ID)
	if err != nil || got.Version != 2 || got.State != domain.StateApproved {
		t.Errorf("decision = %+v, %v; want version 2, approved", got, err)
	}
}

// A decision created with its envelope's claim and its answer, its script
// sent twice (a client retry after a timeout): the second run is the same
// handling's (its token), so it answers as the first did (stored, the
// envelope handled with the answer) and writes again, so that a WAIT after
// it also covers the first run's writes; not "done", which writes nothing.
func TestClaimedDecisionScriptSentTwice(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := New(rdb, NewKeys(srv.Prefix(t)))
	scriptRuns = 2
	t.Cleanup(func() { scriptRuns = 1 })
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	d := &domain.DecisionRecord{Decision: domain.Decision{
		ID: "D-TWICE2", Team: "T1", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(250),
		Currency: "USD", State: domain.StateAutonomous, CreatedAt: t0,
	}}
	created := domain.Event{Actor: "U0DAVE", Subject: d.ID, To: "autonomous", At: t0, Payload: domain.DecisionCreatedData{DecisionFacts: d.Facts()}}
	c := &domain.EnvelopeClaim{Team: "T1", Kind: "slash", ID: "trigT", Token: "tokT", Lease: 3 * time.Second, TTL: time.Hour,
		Done: func(*domain.DecisionRecord) []byte { return []byte(`{"text":"yours"}`) }}
	if err := s.CreateDecision(domain.WithEnvelopeClaim(ctx, c), d, created); err != nil {
		t.Fatalf("CreateDecision sent twice: %v", err)
	}
	if c.Outcome != domain.ClaimFinished || string(c.Reply) != `{"text":"yours"}` {
		t.Errorf("sent twice: outcome %v, reply %q; want ClaimFinished with the answer", c.Outcome, c.Reply)
	}
	v, err := rdb.Get(ctx, s.keys.Team("T1", "dedupe", "slash", "trigT")).Result()
	if err != nil || v != `f:tokT:{"text":"yours"}` {
		t.Errorf("the mark is %q, %v; want the answer under the handling's token", v, err)
	}
}
