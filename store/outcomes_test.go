package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

func TestOutcomeDueOnlyOnTransition(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	d := pendingDecision("D-AAAAA1")
	d.OutcomeDue = t0.Add(72 * time.Hour) // ignored: pending is not asked about
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	if _, due, _ := s.FollowUpDue(ctx, team, d.ID); due {
		t.Fatal("pending decision is due for a follow-up")
	}
	d.State, d.DecidedBy, d.OutcomeDue = domain.StateApproved, "U0BOB", t0.Add(80*time.Hour)
	if err := s.UpdateDecision(ctx, d, domain.StatePending, nil); err != nil {
		t.Fatal(err)
	}
	at, due, err := s.FollowUpDue(ctx, team, d.ID)
	if err != nil || !due || !at.Equal(t0.Add(80*time.Hour)) {
		t.Fatalf("after approval: due %v at %v (%v); want due at +80h", due, at, err)
	}
	ids, _ := s.DueFollowUps(ctx, team, t0.Add(79*time.Hour), 10)
	if len(ids) != 0 {
		t.Fatalf("due before its time: %v", ids)
	}
	ids, _ = s.DueFollowUps(ctx, team, t0.Add(81*time.Hour), 10)
	if len(ids) != 1 || ids[0] != d.ID {
		t.Fatalf("due = %v; want [%s]", ids, d.ID)
	}
	// Sent: off the due set, and a later bookkeeping update never re-adds it.
	if claimed, again, _ := s.ClaimFollowUp(ctx, team, d.ID, "a", time.Minute); !claimed || again {
		t.Fatalf("first claim: claimed %v, again %v; want claimed, not again", claimed, again)
	}
	ev := domain.Event{Payload: domain.OutcomeAskedData{}, Subject: d.ID, At: t0.Add(81 * time.Hour)}
	if _, err := s.FollowUpSent(ctx, team, d.ID, "a", domain.MessageRef{Channel: "DU0DAVE", TS: "1.1"}, ev); err != nil {
		t.Fatal(err)
	}
	cur, err := s.GetDecision(ctx, team, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateDecision(ctx, cur, cur.State, nil); err != nil {
		t.Fatal(err)
	}
	if _, due, _ := s.FollowUpDue(ctx, team, d.ID); due {
		t.Fatal("due again after a later update")
	}
	got, _ := s.GetDecision(ctx, team, d.ID)
	if got.Outcome.FollowUp != (domain.MessageRef{Channel: "DU0DAVE", TS: "1.1"}) {
		t.Errorf("follow-up DM = %+v", got.Outcome.FollowUp)
	}
}

func TestFollowUpDoneOnceSentOrAnswered(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	due := func(id string) *domain.DecisionRecord {
		t.Helper()
		d := pendingDecision(id)
		d.State, d.Level, d.Deadline, d.OutcomeDue = domain.StateAutonomous, -1, time.Time{}, t0
		if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	var lastAgain bool
	claim := func(id, owner string) bool {
		t.Helper()
		claimed, again, err := s.ClaimFollowUp(ctx, team, id, owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		lastAgain = again
		return claimed
	}
	isDue := func(id string) bool {
		t.Helper()
		_, due, err := s.FollowUpDue(ctx, team, id)
		if err != nil {
			t.Fatal(err)
		}
		return due
	}
	// Sent: recorded once, even when the record is sent twice.
	a := due("D-AAAAA2")
	if !claim(a.ID, "a") {
		t.Fatal("claim lost; want claimed")
	}
	ev := domain.Event{Payload: domain.OutcomeAskedData{}, Subject: a.ID, At: t0}
	for range 2 {
		if rec, err := s.FollowUpSent(ctx, team, a.ID, "a", domain.MessageRef{Channel: "DU0DAVE", TS: "1.1"}, ev); err != nil || rec != nil {
			t.Fatalf("follow-up sent = %v, %v; want nothing recorded", rec, err)
		}
	}
	if claim(a.ID, "b") || isDue(a.ID) {
		t.Errorf("after the DM: claimed again or still due; want done")
	}
	evs, _ := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Hour))
	asked := 0
	for _, e := range evs {
		if e.Type() == domain.EventOutcomeAsked {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("%d outcome.asked events; want 1", asked)
	}

	// Answered before the DM: done, and off the due set.
	b := due("D-AAAAA4")
	ans := domain.Event{Payload: domain.OutcomeWorkedData{}, Actor: "U0DAVE", Subject: b.ID, At: t0}
	if _, err := s.RecordOutcome(ctx, team, b.ID, "U0DAVE", domain.OutcomeWorked, "", "", ans); err != nil {
		t.Fatal(err)
	}
	if claim(b.ID, "a") {
		t.Errorf("claimed after the outcome; want done")
	}
	if isDue(b.ID) {
		t.Error("answered decision still due")
	}

	// Answered while the DM was on its way (after the claim, before the
	// DM is recorded): the record found no DM; recording the DM answers the
	// decision as recorded, twice alike, and keeps the DM.
	r := due("D-AAAAA7")
	if !claim(r.ID, "a") {
		t.Fatal("claim lost; want claimed")
	}
	rans := domain.Event{Payload: domain.OutcomeFailedData{}, Actor: "U0DAVE", Subject: r.ID, At: t0}
	got, err := s.RecordOutcome(ctx, team, r.ID, "U0DAVE", domain.OutcomeFailed, "", "", rans)
	if err != nil || !got.Outcome.FollowUp.IsZero() {
		t.Fatalf("record while the DM is on its way = %+v, %v; want recorded, no DM known", got, err)
	}
	for range 2 {
		rec, err := s.FollowUpSent(ctx, team, r.ID, "a", domain.MessageRef{Channel: "DU0DAVE", TS: "1.7"}, ev)
		if err != nil || rec == nil || rec.Outcome.Result != domain.OutcomeFailed || rec.Outcome.FollowUp != (domain.MessageRef{Channel: "DU0DAVE", TS: "1.7"}) {
			t.Fatalf("follow-up sent after the outcome = %+v, %v; want the decision as recorded, with its DM", rec, err)
		}
	}
	if claim(r.ID, "b") || isDue(r.ID) {
		t.Errorf("answered while on its way: claimed again or still due; want done")
	}

	// Refused by Slack for good: done, nothing asked.
	c := due("D-AAAAA5")
	if !claim(c.ID, "a") {
		t.Fatal("claim lost; want claimed")
	}
	if err := s.FollowUpRefused(ctx, team, c.ID, "a", "user_not_found"); err != nil {
		t.Fatal(err)
	}
	if claim(c.ID, "b") || isDue(c.ID) {
		t.Errorf("after a refusal: claimed again or still due; want done")
	}

	// A run whose claim was taken over records nothing.
	d := due("D-AAAAA6")
	claim(d.ID, "a")
	if err := s.ReleaseFollowUp(ctx, team, d.ID, "a"); err != nil {
		t.Fatal(err)
	}
	if lastAgain {
		t.Error("the first claim says again")
	}
	if !claim(d.ID, "b") {
		t.Fatal("claim after a release lost; want claimed")
	}
	if !lastAgain {
		t.Error("the claim after a release does not say again: the released run may have sent the DM")
	}
	if claim(d.ID, "c") {
		t.Error("claimed while another run holds it")
	}
	_, err = s.FollowUpSent(ctx, team, d.ID, "a", domain.MessageRef{Channel: "DU0DAVE", TS: "1.2"}, ev)
	if !errors.Is(err, store.ErrLeaseHeld) || domain.ErrorCode(err) != domain.Conflict {
		t.Errorf("record by a run that lost the claim = %v; want ErrLeaseHeld, conflict", err)
	}
	if !isDue(d.ID) {
		t.Error("follow-up recorded by a run that lost its claim")
	}
}

func TestRecordOutcomeOnce(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	d := pendingDecision("D-AAAAA3")
	d.State, d.Level, d.Deadline = domain.StateAutonomous, -1, time.Time{}
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	ev := domain.Event{Payload: domain.OutcomeWorkedData{}, Actor: "U0DAVE", Subject: d.ID, At: t0}
	var ref *domain.OutcomeRefusal
	if _, err := s.RecordOutcome(ctx, team, d.ID, "U0ERIN", domain.OutcomeWorked, "", "", ev); !errors.As(err, &ref) || ref.Reason != domain.RefusedNotRequester {
		t.Fatalf("someone else: %v; want not_requester", err)
	}
	if _, err := s.AddOutcomeNote(ctx, team, d.ID, "U0DAVE", "x", "", ev); !errors.As(err, &ref) || ref.Reason != domain.RefusedNoOutcome {
		t.Fatalf("note first: %v; want no_outcome", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	oks := 0
	for _, r := range []string{domain.OutcomeWorked, domain.OutcomeFailed, domain.OutcomeWorked, domain.OutcomeFailed} {
		wg.Go(func() {
			_, err := s.RecordOutcome(ctx, team, d.ID, "U0DAVE", r, "", "", ev)
			if err == nil {
				mu.Lock()
				oks++
				mu.Unlock()
			} else if !errors.As(err, new(*domain.OutcomeRefusal)) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if oks != 1 {
		t.Fatalf("%d outcomes recorded; want 1", oks)
	}
	got, err := s.AddOutcomeNote(ctx, team, d.ID, "U0DAVE", "renewed", "", ev)
	if err != nil || got.Outcome.Note != "renewed" {
		t.Fatalf("note: %v %+v", err, got)
	}
	if _, err := s.AddOutcomeNote(ctx, team, d.ID, "U0DAVE", "again", "", ev); !errors.As(err, &ref) || ref.Reason != domain.RefusedAlready {
		t.Fatalf("second note: %v; want already", err)
	}
	if _, err := s.RecordOutcome(ctx, team, "D-NOPE00", "U0DAVE", domain.OutcomeWorked, "", "", ev); !errors.Is(err, domain.ErrDecisionNotFound) || domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("unknown: %v; want ErrNotFound, not_found", err)
	}
	if _, err := s.AddOutcomeNote(ctx, team, "D-NOPE00", "U0DAVE", "x", "", ev); !errors.Is(err, domain.ErrDecisionNotFound) || domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("note of unknown: %v; want ErrNotFound, not_found", err)
	}
}

func TestDecisionWithoutBookkeeping(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	d := pendingDecision("D-AAAAA4")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Decision(ctx, team, d.ID)
	if err != nil || got.ID != d.ID || got.State != domain.StatePending || got.Requester != d.Requester {
		t.Fatalf("Decision = %+v, %v; want %s pending", got, err, d.ID)
	}
	if _, err := s.Decision(ctx, team, "D-NOPE00"); !errors.Is(err, domain.ErrDecisionNotFound) || domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("unknown: %v; want ErrNotFound, not_found", err)
	}
}

func TestGivePraiseDailyLimitAndUndo(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	ev := domain.Event{Payload: domain.PraiseGivenData{}, Actor: "U0DAVE", Subject: "U0ERIN", At: t0}
	var tickets []domain.PraiseTicket
	for i := range 3 {
		tk, ok, err := s.GivePraise(ctx, team, "U0DAVE", "2026-03-02", 3, ev)
		if err != nil || !ok || tk.Count != i+1 {
			t.Fatalf("praise %d: %v %v %+v", i, ok, err, tk)
		}
		tickets = append(tickets, tk)
	}
	if _, ok, _ := s.GivePraise(ctx, team, "U0DAVE", "2026-03-02", 3, ev); ok {
		t.Fatal("4th praise of the day accepted; limit is 3")
	}
	if _, ok, _ := s.GivePraise(ctx, team, "U0DAVE", "2026-03-03", 3, ev); !ok {
		t.Fatal("next day's praise refused")
	}
	if err := s.UndoPraise(ctx, tickets[2]); err != nil {
		t.Fatal(err)
	}
	_ = s.UndoPraise(ctx, tickets[2]) // twice: taken back once
	if _, ok, _ := s.GivePraise(ctx, team, "U0DAVE", "2026-03-02", 3, ev); !ok {
		t.Fatal("praise refused after one was taken back")
	}
	if _, ok, _ := s.GivePraise(ctx, team, "U0DAVE", "2026-03-02", 3, ev); ok {
		t.Fatal("limit not restored after the undo")
	}
	evs, _ := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Hour))
	n := 0
	for _, e := range evs {
		if e.Type() == domain.EventPraiseGiven {
			n++
		}
	}
	if n != 4 { // 3 + next day + 1 after undo - 1 undone
		t.Errorf("%d praise.given events; want 4", n)
	}
}

// Praise by reaction: once per giver and message, atomically with the
// count; an undone one may be given again; the limit holds.
func TestGiveReactionPraiseOncePerGiverAndMessage(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	ev := domain.Event{Payload: domain.PraiseGivenData{Reaction: "clap", Channel: "C1", MessageTS: "1.1"}, Actor: "U0DAVE", Subject: "U0ERIN", At: t0}
	const day = "2026-03-02"
	tk, ok, err := s.GiveReactionPraise(ctx, team, "U0DAVE", day, 2, "C1", "1.1", ev)
	if err != nil || !ok || tk.Count != 1 || tk.Once == "" {
		t.Fatalf("first: %v %v %+v", ok, err, tk)
	}
	again, ok, err := s.GiveReactionPraise(ctx, team, "U0DAVE", day, 2, "C1", "1.1", ev)
	if err != nil || ok || !again.Already {
		t.Fatalf("same message again: ok %v, already %v, %v; want refused as already given", ok, again.Already, err)
	}
	if _, ok, _ := s.GiveReactionPraise(ctx, team, "U0BOB", day, 2, "C1", "1.1", ev); !ok {
		t.Fatal("another giver's praise of the same message refused")
	}
	if err := s.UndoPraise(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GiveReactionPraise(ctx, team, "U0DAVE", day, 2, "C1", "1.1", ev); !ok {
		t.Fatal("praise refused after the first was taken back")
	}
	if _, ok, _ := s.GiveReactionPraise(ctx, team, "U0DAVE", day, 2, "C1", "2.2", ev); !ok {
		t.Fatal("another message refused below the limit")
	}
	over, ok, _ := s.GiveReactionPraise(ctx, team, "U0DAVE", day, 2, "C1", "3.3", ev)
	if ok || over.Already || over.Count != 2 {
		t.Fatalf("past the limit: ok %v, already %v, count %d; want refused at 2", ok, over.Already, over.Count)
	}
	// Refused past the limit, it was not recorded: the next day it is given.
	if _, ok, _ := s.GiveReactionPraise(ctx, team, "U0DAVE", "2026-03-03", 2, "C1", "3.3", ev); !ok {
		t.Fatal("the message refused past yesterday's limit is refused today")
	}
}
