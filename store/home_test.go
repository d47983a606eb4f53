package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

func praiseEvent(from, to, text string, at time.Time) domain.Event {
	return domain.Event{Actor: from, Subject: to, At: at, Payload: domain.PraiseGivenData{Text: text}}
}

// latestPraise is the text of user's latest praise in [from, to), "" for none.
func latestPraise(t *testing.T, s *store.Store, user string, from, to time.Time) string {
	t.Helper()
	ev, ok, err := s.LatestPraiseFor(t.Context(), team, user, from, to)
	if err != nil {
		t.Fatalf("LatestPraiseFor(%s): %v", user, err)
	}
	if !ok {
		return ""
	}
	switch p := ev.Payload.(type) {
	case domain.PraiseGivenData:
		return p.Text
	case domain.WinPostedData:
		return p.Text
	}
	t.Fatalf("LatestPraiseFor(%s) = %T; want praise or a win", user, ev.Payload)
	return ""
}

func TestPraiseIndexKeptByGiveAndUndo(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	if _, ok, err := s.GivePraise(ctx, team, "U0BOB", "2026-03-02", 10, praiseEvent("U0BOB", "U0DAVE", "first", t0)); err != nil || !ok {
		t.Fatalf("GivePraise: %v %v", ok, err)
	}
	win := domain.Event{Actor: "U0CAROL", At: t0.Add(time.Minute), Payload: domain.WinPostedData{Text: "the win", Users: []string{"U0DAVE", "U0ERIN", "U0DAVE"}}}
	tk, ok, err := s.GivePraise(ctx, team, "U0CAROL", "2026-03-02", 10, win)
	if err != nil || !ok {
		t.Fatalf("GivePraise(win): %v %v", ok, err)
	}
	end := t0.Add(time.Hour)
	if got := latestPraise(t, s, "U0DAVE", t0, end); got != "the win" {
		t.Errorf("Dave's latest = %q; want the win", got)
	}
	if got := latestPraise(t, s, "U0ERIN", t0, end); got != "the win" {
		t.Errorf("Erin's latest = %q; want the win", got)
	}
	if got := latestPraise(t, s, "U0CAROL", t0, end); got != "" {
		t.Errorf("Carol, who posted the win, has %q; want none", got)
	}
	if got := latestPraise(t, s, "U0DAVE", t0, t0.Add(time.Minute)); got != "first" {
		t.Errorf("Dave's latest before the win = %q; want first (the window's end is exclusive)", got)
	}
	if got := latestPraise(t, s, "U0DAVE", t0.Add(2*time.Minute), end); got != "" {
		t.Errorf("Dave's latest after the window's start = %q; want none", got)
	}

	if err := s.UndoPraise(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if got := latestPraise(t, s, "U0DAVE", t0, end); got != "first" {
		t.Errorf("Dave's latest after the win was taken back = %q; want first", got)
	}
	if got := latestPraise(t, s, "U0ERIN", t0, end); got != "" {
		t.Errorf("Erin's latest after the win was taken back = %q; want none", got)
	}
}

func TestPraiseIndexKeepsTheNewest(t *testing.T) {
	s, rdb, prefix := setupDecisions(t)
	ctx := t.Context()
	for i := range store.PraiseIndexKeep + 5 {
		if _, err := s.Audit(ctx, team, praiseEvent("U0BOB", "U0DAVE", fmt.Sprint("praise ", i), t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := rdb.ZCard(ctx, prefix+":{"+team+"}:praise:to:U0DAVE").Result()
	if err != nil || n != store.PraiseIndexKeep {
		t.Errorf("index holds %d entries (%v); want %d", n, err, store.PraiseIndexKeep)
	}
	want := fmt.Sprint("praise ", store.PraiseIndexKeep+4)
	if got := latestPraise(t, s, "U0DAVE", t0, t0.Add(time.Hour)); got != want {
		t.Errorf("latest = %q; want %q", got, want)
	}
}

// Praise appended before the index existed (AppendAudit writes the stream
// alone, as an older version did) shows once IndexPraise ran; it runs once.
func TestIndexPraiseBackfillsOnce(t *testing.T) {
	s, rdb, _ := setupDecisions(t)
	ctx := t.Context()
	old := []domain.Event{
		praiseEvent("U0BOB", "U0DAVE", "long ago", t0.Add(-200*24*time.Hour)),
		praiseEvent("U0BOB", "U0DAVE", "last month", t0.Add(-30*24*time.Hour)),
		{Actor: "U0CAROL", At: t0.Add(-24 * time.Hour), Payload: domain.WinPostedData{Text: "yesterday's win", Users: []string{"U0ERIN"}}},
		{Actor: "U0DAVE", Subject: "D-1", At: t0.Add(-time.Hour), Payload: domain.DecisionCreatedData{}},
	}
	for _, ev := range old {
		if _, err := s.AppendAudit(ctx, rdb, team, ev); err != nil {
			t.Fatal(err)
		}
	}
	since, end := t0.Add(-180*24*time.Hour), t0.Add(time.Hour)
	if got := latestPraise(t, s, "U0DAVE", since, end); got != "" {
		t.Fatalf("before the backfill Dave has %q; the old praise should not be indexed yet", got)
	}
	if err := s.IndexPraise(ctx, team, since); err != nil {
		t.Fatal(err)
	}
	if got := latestPraise(t, s, "U0DAVE", since, end); got != "last month" {
		t.Errorf("Dave's latest = %q; want last month", got)
	}
	if got := latestPraise(t, s, "U0ERIN", since, end); got != "yesterday's win" {
		t.Errorf("Erin's latest = %q; want yesterday's win", got)
	}
	// Done once: praise appended behind the index's back now stays out.
	if _, err := s.AppendAudit(ctx, rdb, team, praiseEvent("U0BOB", "U0DAVE", "unindexed", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexPraise(ctx, team, since); err != nil {
		t.Fatal(err)
	}
	if got := latestPraise(t, s, "U0DAVE", since, end); got != "last month" {
		t.Errorf("after a second IndexPraise Dave's latest = %q; want last month (the backfill runs once)", got)
	}
}

// An index entry whose audit record is gone is passed over.
func TestLatestPraiseSkipsMissingEntries(t *testing.T) {
	s, rdb, _ := setupDecisions(t)
	ctx := t.Context()
	if _, err := s.Audit(ctx, team, praiseEvent("U0BOB", "U0DAVE", "kept", t0)); err != nil {
		t.Fatal(err)
	}
	id, err := s.Audit(ctx, team, praiseEvent("U0BOB", "U0DAVE", "deleted", t0.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.XDel(ctx, s.AuditKey(team), id).Err(); err != nil {
		t.Fatal(err)
	}
	if got := latestPraise(t, s, "U0DAVE", t0, t0.Add(time.Hour)); got != "kept" {
		t.Errorf("latest = %q; want kept", got)
	}
}

// A commitment.made appended on its own becomes a commitment, listed where
// `/empower commitments` and the App Home read; one with a record already
// is only appended.
func TestAuditCommitmentMadeKeepsTheRecord(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	made := domain.Event{Actor: "U0BOB", Subject: "C-7", At: t0, Payload: domain.CommitmentMadeData{CommitmentFacts: domain.CommitmentFacts{
		Leader: "U0BOB", Employee: "U0DAVE", Text: "book the training", Due: "2026-03-05", Source: domain.SourceCommit}}}
	id, err := s.Audit(ctx, team, made)
	if err != nil || id == "" {
		t.Fatalf("Audit = %q, %v", id, err)
	}
	c, err := s.GetCommitment(ctx, team, "C-7")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != domain.CommitmentOpen || c.Leader != "U0BOB" || c.Employee != "U0DAVE" || c.Due != "2026-03-05" || !c.CreatedAt.Equal(t0) {
		t.Errorf("record = %+v", c.Commitment)
	}
	byBob, _, err := s.CommitmentsOf(ctx, team, "U0BOB", 10)
	if err != nil || len(byBob) != 1 || byBob[0].ID != "C-7" {
		t.Errorf("Bob's commitments = %+v, %v", byBob, err)
	}
	_, toDave, err := s.CommitmentsOf(ctx, team, "U0DAVE", 10)
	if err != nil || len(toDave) != 1 || toDave[0].ID != "C-7" {
		t.Errorf("Dave's commitments = %+v, %v", toDave, err)
	}
	if ids, _ := s.OpenCommitmentsDueBy(ctx, team, "2026-03-05", 10); len(ids) != 1 {
		t.Errorf("open index = %v; want C-7", ids)
	}

	// Again, with a record: appended, the record untouched.
	again := made
	again.At = t0.Add(time.Hour)
	if id, err := s.Audit(ctx, team, again); err != nil || id == "" {
		t.Fatalf("second Audit = %q, %v", id, err)
	}
	if c2, _ := s.GetCommitment(ctx, team, "C-7"); c2.Version != 1 || !c2.CreatedAt.Equal(t0) {
		t.Errorf("record after the second append = %+v v%d", c2.Commitment, c2.Version)
	}
	evs, _ := s.ReadAudit(ctx, team, t0, t0.Add(2*time.Hour))
	if len(evs) != 2 {
		t.Errorf("%d audit events; want 2", len(evs))
	}
}

func TestTickStepOnce(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	owner, err := s.AwaitTickStep(ctx, team, "digest_post", t0, time.Minute, time.Millisecond)
	if err != nil || owner == "" {
		t.Fatalf("first AwaitTickStep = %q, %v; want an owner", owner, err)
	}
	if ok, err := s.FinishTickStep(ctx, team, "digest_post", t0, owner, time.Hour); err != nil || !ok {
		t.Fatalf("FinishTickStep = %v, %v", ok, err)
	}
	if again, err := s.AwaitTickStep(ctx, team, "digest_post", t0, time.Minute, time.Millisecond); err != nil || again != "" {
		t.Errorf("AwaitTickStep after the finish = %q, %v; want done", again, err)
	}
	if other, err := s.AwaitTickStep(ctx, team, "digest_post", t0.Add(time.Hour), time.Minute, time.Millisecond); err != nil || other == "" {
		t.Errorf("AwaitTickStep of the next tick = %q, %v; want an owner", other, err)
	}
}
