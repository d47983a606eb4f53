package store

import (
	"errors"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// The earned-autonomy scripts, each sent twice as a client retry would,
// change nothing the second time and answer as the first did; another
// call is still refused.
func TestAutonomyScriptsAreSafeToRunTwice(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := New(rdb, NewKeys(srv.Prefix(t)))
	scriptRuns = 2
	t.Cleanup(func() { scriptRuns = 1 })
	ctx := t.Context()
	t0 := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	auditLen := func() int64 {
		n, err := rdb.XLen(ctx, s.AuditKey("T1")).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	pr := &domain.Proposal{ID: "A-TWICE1", Team: "T1", Person: "U0ALICE", Activity: "discount", Currency: "USD",
		Limit: money.FromMajor(500), Largest: money.FromMajor(900), Count: 3, Approvers: []string{"U0BOB", "U0FRANK"}, CreatedAt: t0}
	proposed := domain.Event{Subject: pr.Person, To: pr.ID, At: t0, Payload: domain.AutonomyProposedData{}}
	if ok, err := s.Propose(ctx, pr, time.Time{}, proposed); err != nil || !ok {
		t.Fatalf("Propose sent twice = %v, %v; want true", ok, err)
	}
	scriptRuns = 1
	again := *pr
	again.ID = "A-TWICE2"
	if ok, err := s.Propose(ctx, &again, time.Time{}, proposed); err != nil || ok {
		t.Errorf("a second proposal while one is open = %v, %v; want false", ok, err)
	}
	if n := auditLen(); n != 1 {
		t.Errorf("audit events after proposing = %d; want 1", n)
	}
	st, err := s.Autonomy(ctx, "T1", pr.Person)
	if err != nil || st.Open["discount"] != pr.ID || !st.Since["discount"].Equal(t0) {
		t.Errorf("autonomy after proposing = %+v, %v; want open %s since %s", st, err, pr.ID, t0)
	}

	scriptRuns = 2
	t1 := t0.Add(time.Hour)
	limit := &domain.PersonalLimit{Activity: "discount", Amount: money.FromMajor(900), Currency: "USD", By: "U0BOB", At: t1, Proposal: pr.ID}
	raised := domain.Event{Actor: "U0BOB", Subject: pr.Person, At: t1, Payload: domain.AutonomyRaisedData{}}
	if err := s.AnswerProposal(ctx, pr, domain.ProposalRaised, "U0BOB", t1, limit, raised); err != nil {
		t.Fatalf("AnswerProposal sent twice: %v", err)
	}
	scriptRuns = 1
	var ae *domain.ProposalAnsweredError
	deferred := domain.Event{Actor: "U0FRANK", Subject: pr.Person, At: t1, Payload: domain.AutonomyDeferredData{}}
	if err := s.AnswerProposal(ctx, pr, domain.ProposalDeferred, "U0FRANK", t1, nil, deferred); !errors.As(err, &ae) ||
		ae.Current.State != domain.ProposalRaised || ae.Current.AnsweredBy != "U0BOB" || ae.Current.RaisedTo != money.FromMajor(900) {
		t.Errorf("a second answer = %v (%+v); want answered: raised by U0BOB to 900", err, ae)
	}
	if n := auditLen(); n != 2 {
		t.Errorf("audit events after answering = %d; want 2", n)
	}
	own, err := s.PersonalLimits(ctx, "T1", pr.Person)
	if err != nil || own["discount"].Amount != money.FromMajor(900) || own["discount"].By != "U0BOB" {
		t.Errorf("own limits = %+v, %v; want discount 900 by U0BOB", own, err)
	}

	// A decision routed without the limit is refused with the limit; routed
	// with it, stored.
	d := &domain.DecisionRecord{Decision: domain.Decision{ID: "D-OWN001", Team: "T1", Requester: pr.Person, Activity: "discount",
		Amount: money.FromMajor(800), Currency: "USD", State: domain.StatePending, CreatedAt: t1}}
	created := domain.Event{Actor: pr.Person, Subject: d.ID, To: "pending", At: t1, Payload: domain.DecisionCreatedData{DecisionFacts: d.Facts()}}
	var oe *domain.OwnLimitChangedError
	if err := s.CreateDecisionRouted(ctx, d, "", created); !errors.As(err, &oe) || oe.Limit == nil || oe.Limit.Amount != money.FromMajor(900) {
		t.Fatalf("CreateDecisionRouted without the limit = %v; want the limit of 900", err)
	}
	d.State = domain.StateAutonomous
	scriptRuns = 2
	if err := s.CreateDecisionRouted(ctx, d, oe.Raw, created); err != nil {
		t.Fatalf("CreateDecisionRouted with the limit, sent twice: %v", err)
	}

	t2 := t1.Add(time.Hour)
	reset := domain.Event{Actor: "U0BOB", Subject: pr.Person, At: t2, Payload: domain.AutonomyResetData{}}
	if ok, err := s.ResetLimit(ctx, "T1", pr.Person, "discount", t2, reset); err != nil || !ok {
		t.Fatalf("ResetLimit sent twice = %v, %v; want true", ok, err)
	}
	scriptRuns = 1
	if ok, err := s.ResetLimit(ctx, "T1", pr.Person, "discount", t2, reset); err != nil || ok {
		t.Errorf("a second reset = %v, %v; want false", ok, err)
	}
	if n := auditLen(); n != 4 {
		t.Errorf("audit events = %d; want 4 (proposed, raised, created, reset, each once)", n)
	}
	st, err = s.Autonomy(ctx, "T1", pr.Person)
	if err != nil || len(st.Limits) != 0 || st.Open["discount"] != "" || !st.Since["discount"].Equal(t2) {
		t.Errorf("autonomy after the reset = %+v, %v; want no limit, nothing open, since %s", st, err, t2)
	}
}
