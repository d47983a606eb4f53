package store_test

import (
	"context"
	"testing"
	"time"
)

func TestEnvelopeClaim(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	claim := func(token string, lease time.Duration) (bool, bool, string) {
		t.Helper()
		first, done, reply, err := s.ClaimEnvelope(ctx, "T1", "slash", "trig1", token, lease, time.Hour)
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		return first, done, string(reply)
	}
	if first, done, _ := claim("a", time.Hour); !first || done {
		t.Fatalf("first claim = %v, %v; want claimed", first, done)
	}
	// The same claim run twice (a client retry) stays the holder's.
	if first, _, _ := claim("a", time.Hour); !first {
		t.Error("the same token claiming again was refused; the script must be safe to run twice")
	}
	if first, done, _ := claim("b", time.Hour); first || done {
		t.Errorf("another replica's claim under a live lease = %v, %v; want busy", first, done)
	}
	if err := s.RenewEnvelope(ctx, "T1", "slash", "trig1", "b", time.Hour); err == nil {
		t.Error("a replica renewed a claim it does not hold")
	}
	if err := s.ReleaseEnvelope(ctx, "T1", "slash", "trig1", "b"); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := claim("b", time.Hour); first {
		t.Error("a release by another token dropped the holder's claim")
	}
	for range 2 { // finishing twice is the same as once
		if err := s.FinishEnvelope(ctx, "T1", "slash", "trig1", []byte(`{"text":"hi"}`), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if first, done, reply := claim("c", time.Hour); first || !done || reply != `{"text":"hi"}` {
		t.Errorf("claim of a finished envelope = %v, %v, %q; want done with the reply", first, done, reply)
	}
}

func TestEnvelopeClaimTakenOverAfterItsLease(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	if first, _, _, err := s.ClaimEnvelope(ctx, "T1", "slash", "x", "dead", time.Millisecond, time.Hour); err != nil || !first {
		t.Fatalf("claim = %v, %v", first, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		first, _, _, err := s.ClaimEnvelope(ctx, "T1", "slash", "x", "alive", time.Hour, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a claim whose lease ran out was never taken over")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.ReleaseEnvelope(ctx, "T1", "slash", "x", "alive"); err != nil {
		t.Fatal(err)
	}
	if first, _, _, _ := s.ClaimEnvelope(ctx, "T1", "slash", "x", "next", time.Hour, time.Hour); !first {
		t.Error("a released claim could not be claimed again")
	}
}
