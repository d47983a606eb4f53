package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// claimFor is the claim of slash envelope id for token.
func claimFor(id, token string) *domain.EnvelopeClaim {
	return &domain.EnvelopeClaim{Team: team, Kind: "slash", ID: id, Token: token, Lease: 3 * time.Second, TTL: time.Hour}
}

// TestCreateDecisionClaimsTheEnvelope: a decision created with an envelope
// claim in its context claims the envelope in the same step; another
// handling of the same envelope then finds it busy and changes nothing, and
// once it is recorded done finds its reply.
func TestCreateDecisionClaimsTheEnvelope(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()

	first := claimFor("trig1", "tokA")
	d := pendingDecision("D-CLAIM1")
	if err := s.CreateDecision(domain.WithEnvelopeClaim(ctx, first), d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	if first.Outcome != domain.Claimed {
		t.Fatalf("outcome %v, want Claimed", first.Outcome)
	}

	// The same handling again (a client retry): claimed again, the decision
	// exists already.
	again := claimFor("trig1", "tokA")
	d2 := pendingDecision("D-CLAIM1")
	err := s.CreateDecision(domain.WithEnvelopeClaim(ctx, again), d2, createdEvent(d2))
	if again.Outcome != domain.Claimed || !errors.Is(err, domain.ErrExists) {
		t.Errorf("same token again: outcome %v, error %v; want Claimed and ErrExists", again.Outcome, err)
	}

	// Another handling of the same envelope while the first holds it.
	other := claimFor("trig1", "tokB")
	d3 := pendingDecision("D-CLAIM2")
	err = s.CreateDecision(domain.WithEnvelopeClaim(ctx, other), d3, createdEvent(d3))
	if other.Outcome != domain.ClaimBusy || !errors.Is(err, domain.ErrEnvelopeTaken) {
		t.Errorf("while held: outcome %v, error %v; want ClaimBusy and ErrEnvelopeTaken", other.Outcome, err)
	}
	if _, err := s.GetDecision(ctx, team, "D-CLAIM2"); !errors.Is(err, domain.ErrDecisionNotFound) {
		t.Errorf("a busy claim stored a decision: %v", err)
	}

	// Recorded done: the next handling gets the reply.
	if err := s.FinishEnvelope(ctx, team, "slash", "trig1", []byte(`{"text":"logged"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	late := claimFor("trig1", "tokC")
	err = s.CreateDecision(domain.WithEnvelopeClaim(ctx, late), d3, createdEvent(d3))
	if late.Outcome != domain.ClaimDone || string(late.Reply) != `{"text":"logged"}` || !errors.Is(err, domain.ErrEnvelopeTaken) {
		t.Errorf("after done: outcome %v, reply %q, error %v", late.Outcome, late.Reply, err)
	}

	// A claim once tried is not tried again by the next state change.
	if domain.EnvelopeClaimOf(domain.WithEnvelopeClaim(ctx, first)) != nil {
		t.Error("a claim already taken is offered again")
	}
}

// TestCreateDecisionFinishesTheEnvelope: with the request's answer (Done),
// a decision created records its envelope handled in the same step, so that
// nothing is left to record after the ack; a redelivery gets the answer and
// changes nothing. Without one (Done gives nil: a card to post after the
// answer), the envelope is claimed as before.
func TestCreateDecisionFinishesTheEnvelope(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()

	first := claimFor("trigF", "tokA")
	var gotID string
	first.Done = func(d *domain.DecisionRecord) []byte { gotID = d.ID; return []byte(`{"text":"yours"}`) }
	d := pendingDecision("D-FIN1")
	if err := s.CreateDecision(domain.WithEnvelopeClaim(ctx, first), d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	if first.Outcome != domain.ClaimFinished || string(first.Reply) != `{"text":"yours"}` || gotID != "D-FIN1" {
		t.Fatalf("outcome %v, reply %q, Done saw %q; want ClaimFinished with the answer for D-FIN1", first.Outcome, first.Reply, gotID)
	}
	redelivered := claimFor("trigF", "tokB")
	d2 := pendingDecision("D-FIN2")
	err := s.CreateDecision(domain.WithEnvelopeClaim(ctx, redelivered), d2, createdEvent(d2))
	if redelivered.Outcome != domain.ClaimDone || string(redelivered.Reply) != `{"text":"yours"}` || !errors.Is(err, domain.ErrEnvelopeTaken) {
		t.Errorf("redelivery: outcome %v, reply %q, error %v; want ClaimDone with the answer", redelivered.Outcome, redelivered.Reply, err)
	}
	if _, err := s.GetDecision(ctx, team, "D-FIN2"); !errors.Is(err, domain.ErrDecisionNotFound) {
		t.Errorf("the redelivery stored a decision: %v", err)
	}

	later := claimFor("trigP", "tokA")
	later.Done = func(*domain.DecisionRecord) []byte { return nil }
	p := pendingDecision("D-FIN3")
	if err := s.CreateDecision(domain.WithEnvelopeClaim(ctx, later), p, createdEvent(p)); err != nil {
		t.Fatal(err)
	}
	if later.Outcome != domain.Claimed {
		t.Errorf("no answer yet: outcome %v, want Claimed", later.Outcome)
	}
}

// BenchmarkCreateDecision measures storing a decision, alone and with the
// envelope's claim in the same script (the ack path of a slash command).
func BenchmarkCreateDecision(b *testing.B) {
	srv := redistest.Start(b)
	s := store.New(srv.Client(b), store.NewKeys(srv.Prefix(b)))
	ctx := context.Background()
	for _, withClaim := range []bool{false, true} {
		b.Run(fmt.Sprintf("claim=%v", withClaim), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				d := pendingDecision(fmt.Sprintf("D-B%v%07d", withClaim, i))
				c := ctx
				if withClaim {
					c = domain.WithEnvelopeClaim(ctx, claimFor(d.ID, "tok"))
				}
				if err := s.CreateDecision(c, d, createdEvent(d)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
